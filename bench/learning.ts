// `npm run bench learning`: retraining the heads (layers/core/ml/learning/retrain.ts) on 10,000 examples — the
// shipped training set plus SYNTHETIC corrections: shipped training tickets again under new ids, their embeddings
// perturbed (Gaussian noise, σ = 0.015 per dimension, re-normalised: cosine ≈ 0.96 to the original) and 10% of
// their labels changed at random. No deployment's data; they exist to give the fit 10k rows of the right shape,
// both fields corrected, so the C selection runs for both. Beside it, the baseline: the shipped set alone (1,706
// rows, no corrections). Each runs in its own process, so its peak RSS is its own.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../layers/core/config.js";
import { CATEGORIES } from "../layers/core/domain/schemas.js";
import { Heads } from "../layers/core/ml/heads.js";
import { isHeldOutCorrection } from "../layers/core/ml/learning/guard.js";
import { retrainHeads, type BaseExample, type LabelledExample } from "../layers/core/ml/learning/retrain.js";
import { loadTrainingSet, TRAINING_SET_FILE } from "../layers/core/ml/learning/training-set.js";
import { fmt } from "./support.js";
import { random } from "../test/support/random.js";

const SELF = fileURLToPath(import.meta.url);
const ROWS = 10_000;

interface Run {
  rows: number;
  corrections: number;
  ms: number;
  /** Peak RSS of the process, and how much the retrain added to it (MB). */
  peakRssMb: number;
  retrainRssMb: number;
  fits: string;
}

/** n synthetic corrections (see the top of the file), all with ids outside the guard's held-out quarter. */
function syntheticCorrections(train: BaseExample[], n: number): LabelledExample[] {
  const rnd = random(17);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out: LabelledExample[] = [];
  for (let k = 0; out.length < n; k++) {
    const id = `synthetic-${k}`;
    if (isHeldOutCorrection(id)) continue;
    const src = train[k % train.length]!;
    const e = Float32Array.from(src.embedding, (v) => v + 0.015 * gauss());
    const norm = Math.hypot(...e);
    e.forEach((v, i) => (e[i] = v / norm));
    const category = rnd() < 0.1 ? CATEGORIES[Math.floor(rnd() * CATEGORIES.length)]! : src.category;
    const urgent = rnd() < 0.1 ? !src.urgent : src.urgent;
    out.push({ id, text: src.text, embedding: e, category, urgent });
  }
  return out;
}

/** In the child: one retrain of `rows` examples, printed as `RESULT {json}`. */
async function child(rows: number) {
  const { MODELS_DIR } = loadConfig({});
  const set = await loadTrainingSet(join(MODELS_DIR, TRAINING_SET_FILE));
  const current = await Heads.load(join(MODELS_DIR, "heads.json"));
  const corrections = syntheticCorrections(set.train, rows - set.train.length);
  const rssBefore = process.resourceUsage().maxRSS / 1024;
  const t0 = performance.now();
  const { report } = retrainHeads(current.file, set.train, corrections, { c: set.c });
  const ms = performance.now() - t0;
  const peak = process.resourceUsage().maxRSS / 1024;
  const h = report.heads;
  const fits = [h.english.category, h.english.urgency, h.other.category, h.other.urgency].map((r) => `${r.iterations}`).join("/");
  const run: Run = { rows, corrections: corrections.length, ms, peakRssMb: peak, retrainRssMb: peak - rssBefore, fits };
  console.log(`RESULT ${JSON.stringify(run)}`);
}

function measure(rows: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", SELF, String(rows)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.once("exit", (code) => {
      const line = /RESULT (.*)/.exec(out);
      if (code === 0 && line) resolve(JSON.parse(line[1]!) as Run);
      else reject(new Error(`learning bench child (${rows} rows) exited with ${code}`));
    });
  });
}

export async function benchLearning(): Promise<Record<string, number>> {
  const { MODELS_DIR } = loadConfig({});
  const shipped = (await loadTrainingSet(join(MODELS_DIR, TRAINING_SET_FILE))).train.length;
  const base = await measure(shipped);
  const big = await measure(ROWS);
  console.log(`\n## Retraining the heads (2 cores; 10k = shipped + synthetic corrections, see bench/learning.ts)`);
  console.log("rows    corrections  seconds  peak RSS MB  RSS added by retrain MB  final fits' iterations (en cat/urg, other cat/urg)");
  for (const r of [base, big]) {
    console.log(`${String(r.rows).padEnd(7)} ${String(r.corrections).padStart(11)}  ${fmt(r.ms / 1000).padStart(7)}  ${fmt(r.peakRssMb, 0).padStart(11)}  ${fmt(r.retrainRssMb, 0).padStart(23)}  ${r.fits}`);
  }
  console.log(`ratio 10k / shipped set: time ${fmt(big.ms / base.ms, 2)}×, peak RSS ${fmt(big.peakRssMb / base.peakRssMb, 2)}× (rows ${fmt(big.rows / base.rows, 2)}×)`);
  return { base_seconds: base.ms / 1000, seconds_10k: big.ms / 1000, peak_rss_mb_10k: big.peakRssMb, retrain_rss_mb_10k: big.retrainRssMb };
}

if (process.argv[1] === SELF) await child(Number(process.argv[2]));
