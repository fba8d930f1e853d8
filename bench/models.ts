import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../layers/core/config.js";
import { cleanedText } from "../layers/core/domain/classification.js";
import { MiniLmEncoder } from "../layers/core/ml/encoder.js";
import { loadModels, type EncoderPrecision } from "../layers/core/ml/models.js";
import { planSubBatches, subBatchBudgetTokens } from "../layers/core/ml/model-router.js";
import { acceptTickets } from "../layers/core/services/intake.js";
import { createLocalRuntime } from "../functions/local/runtime.js";
import { createIoRedis } from "../layers/core/store/ioredis-adapter.js";
import { dropPrefix, fmt, REDIS_URL, stopChild, workSince, type EncoderWork } from "./support.js";

const PIPELINE_TICKETS = Number(process.env.BENCH_PIPELINE_TICKETS ?? 2000);
const SINGLE_TICKETS = 300;
/** Rounds of (sentence-transformers, raw encoder best, pipeline) per precision; the median round is reported. */
const ROUNDS = Number(process.env.BENCH_MODEL_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_MODEL_ROUNDS must be a whole number ≥ 1, got '${process.env.BENCH_MODEL_ROUNDS}'`);
const RAW_DIR = fileURLToPath(new URL("../tools/model/data/raw/", import.meta.url));
const MODEL_TOOLS = fileURLToPath(new URL("../tools/model/", import.meta.url));
const VENV_PYTHON = join(MODEL_TOOLS, ".venv/bin/python");

/**
 * The labelled tickets (tools/model/data/raw/*.jsonl), the first n whose cleaned texts are all different, each
 * with its own id: no text repeats, so neither the batch's own de-duplication nor the embedding cache can
 * flatter the pipeline.
 */
function tickets(n: number) {
  const files = readdirSync(RAW_DIR).filter((f) => f.endsWith(".jsonl")).sort();
  const seen = new Set<string>();
  const out: { ticket_id: string; subject: string; body: string; text: string }[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(RAW_DIR, f), "utf8").split("\n")) {
      if (!line.trim() || out.length >= n) continue;
      const { subject, body } = JSON.parse(line) as { subject: string; body: string };
      const text = cleanedText({ subject, body }).text;
      if (seen.has(text)) continue;
      seen.add(text);
      out.push({ ticket_id: `bench-${out.length}`, subject, body, text });
    }
  }
  if (out.length < n) throw new Error(`only ${out.length} distinct labelled tickets; BENCH_PIPELINE_TICKETS=${n} asks for more`);
  return out;
}

/**
 * The encoder alone over the texts the pipeline encodes (the cleaned ones), tokenised beforehand: in arrival
 * order, and sorted by length over the whole set (what no queue batch can do) in fixed sub-batches and in the
 * model router's own plan, and as a worker passes over a deep queue (blocks of WORKER_DEEP_BATCH_SIZE in
 * arrival order, each planned on its own: the pipeline's work, run alone) — with one session on every thread,
 * and with the configured sessions (ENCODER_SESSIONS) each taking the next sub-batch as soon as it is free.
 * With `only` (a variant's name, as its rate is keyed), that variant alone.
 */
async function rawEncoder(texts: string[], precision: EncoderPrecision, only?: string) {
  // The environment's settings (ENCODER_THREADS, ENCODER_SESSIONS), as the pipeline's worker gets them.
  const config = loadConfig();
  const rates: Record<string, number> = {};
  // This process's CPU time during each run (the encoder's threads, all but idle otherwise).
  const cpuSeconds: Record<string, number> = {};
  const work: Record<string, EncoderWork> = {};
  for (const sessions of [...new Set([1, config.ENCODER_SESSIONS])]) {
    if (only && !only.endsWith(` ×${sessions}`)) continue;
    const models = await loadModels(config.MODELS_DIR, config.ENCODER_THREADS, precision, sessions);
    const { encoder } = models;
    const ids = texts.map((t) => encoder.tokenize(t));
    const sorted = [...ids].sort((a, b) => a.length - b.length);
    const time = async (name: string, groups: number[][][]) => {
      if (only && only !== `${name} ×${sessions}`) return;
      const work0 = encoder instanceof MiniLmEncoder ? { ...encoder.work } : undefined;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let next = 0;
      const session = async () => {
        while (next < groups.length) await encoder.embedTokens(groups[next++]!);
      };
      await Promise.all(Array.from({ length: sessions }, session));
      rates[`${name} ×${sessions}`] = ids.length / ((performance.now() - t0) / 1000);
      const { user, system } = process.cpuUsage(cpu0);
      cpuSeconds[`${name} ×${sessions}`] = (user + system) / 1e6;
      if (encoder instanceof MiniLmEncoder && work0) work[`${name} ×${sessions}`] = workSince(work0, encoder.work);
    };
    const chunks = (all: number[][], b: number) => Array.from({ length: Math.ceil(all.length / b) }, (_, i) => all.slice(i * b, (i + 1) * b));
    await time("arrival/16", chunks(ids, 16));
    for (const b of [4, 8, 16, 32]) await time(`sorted/${b}`, chunks(sorted, b));
    // The model router's planner (sorted, cut where its cost model says) over all the texts at once.
    const budget = subBatchBudgetTokens(config.TRANSFORMER_LATENCY_MS, models.msPerToken);
    await time("sorted/plan", planSubBatches(ids.map((x) => x.length), budget).map((g) => g.map((i) => ids[i]!)));
    const deep = config.WORKER_DEEP_BATCH_SIZE;
    await time(`blocks of ${deep}/plan`, chunks(ids, deep).flatMap((block) => planSubBatches(block.map((x) => x.length), budget).map((g) => g.map((i) => block[i]!))));
  }
  return { rates, cpuSeconds, work };
}

/**
 * CPU seconds (user + system) of each thread of a process, read from /proc (Linux; empty elsewhere or once it
 * has ended). Why the pipeline falls short of the raw encoder is a question of where the cores' time went.
 */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();
function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // Fields after the command name: utime and stime are the 12th and 13th.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    }
  } catch {
    // No /proc, or the process has gone.
  }
  return out;
}
const cpuSince = (before: Map<number, number>, after: Map<number, number>, keep: (tid: number) => boolean) =>
  [...after].filter(([tid]) => keep(tid)).reduce((sum, [tid, s]) => sum + s - (before.get(tid) ?? 0), 0);

/** redis-server's pid when it runs on this machine (its INFO names a local redis process), else undefined. */
async function localRedisPid(): Promise<number | undefined> {
  const client = createIoRedis(REDIS_URL);
  try {
    const pid = Number(/process_id:(\d+)/.exec(await client.info("server"))?.[1]);
    // In a container its pid means another process here (or none).
    const comm = pid && existsSync(`/proc/${pid}/comm`) ? readFileSync(`/proc/${pid}/comm`, "utf8") : "";
    return comm.startsWith("redis") ? pid : undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * Fills a fresh queue, starts one worker process, times the drain and reads the worker's peak RSS; and where /proc
 * tells, the CPU time its main thread, its other threads (the encoder's, V8's) and redis-server took meanwhile.
 */
async function pipeline(all: ReturnType<typeof tickets>, env: Record<string, string>) {
  const n = all.length;
  const prefix = `bench:${Date.now()}:`;
  const config = loadConfig({ REDIS_URL, REDIS_PREFIX: prefix });
  const rt = createLocalRuntime(config);
  const input = all.map(({ ticket_id, subject, body }) => ({ ticket_id, subject, body }));
  for (let i = 0; i < input.length; i += 500) await acceptTickets(rt, input.slice(i, i + 500));

  const proc = spawn(process.execPath, ["--import", "tsx", "bench/servers/worker.ts"], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", REDIS_PREFIX: prefix, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const loadMs = await new Promise<number>((resolve) => {
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /LOADED (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const redisPid = await localRedisPid();
  const cpuBefore = { worker: threadCpuSeconds(proc.pid!), redis: redisPid ? threadCpuSeconds(redisPid) : new Map<number, number>() };
  const startedAt = Date.now();
  // Looked at four times a second, not more: every look wakes this process and Redis on the two cores the
  // worker is using. The drain's end is read from the tickets afterwards (the last processed_at), not from
  // when a look saw it.
  for (;;) {
    const done = Number((await rt.redis.hgetall(rt.keys.counters)).tickets_processed_total ?? 0);
    if (done >= n) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const sampledSeconds = (Date.now() - startedAt) / 1000;
  const rssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  const workerCpu = threadCpuSeconds(proc.pid!);
  const redisCpu = redisPid ? threadCpuSeconds(redisPid) : new Map<number, number>();
  const cpu = {
    main: cpuSince(cpuBefore.worker, workerCpu, (tid) => tid === proc.pid),
    otherThreads: cpuSince(cpuBefore.worker, workerCpu, (tid) => tid !== proc.pid),
    redis: cpuSince(cpuBefore.redis, redisCpu, () => true),
    available: sampledSeconds * availableParallelism(),
  };
  await stopChild(proc);
  const encoderWork = /ENCODER_WORK (.+)/.exec(out)?.[1];
  const work = encoderWork ? (JSON.parse(encoderWork) as EncoderWork) : undefined;
  const processed = await rt.redis.zrevrange(rt.keys.queue, 0, -1);
  const hashes = await rt.redis.hgetallMany(processed.map(rt.keys.ticket));
  const transformerShare = hashes.filter((h) => h.model === "transformer").length / hashes.length;
  const seconds = (Math.max(...hashes.map((h) => Date.parse(h.processed_at ?? ""))) - startedAt) / 1000;
  if (!(seconds > 0)) throw new Error("the drained tickets carry no processed_at to time the drain by");
  await rt.close();
  await dropPrefix(prefix);
  return { rate: n / seconds, seconds, loadMs, rssMb, transformerShare, cpu, work };
}

/**
 * sentence-transformers on torch (tools/model/bench_encoder.py, 2 threads, CPU) over the same texts, at each of
 * `batchSizes`, when the tools/model venv exists; null (and how to make it) when it does not.
 */
async function sentenceTransformers(texts: string[], batchSizes = [16, 32]): Promise<{ rate: number; batchSize: number; detail: string } | null> {
  if (!existsSync(VENV_PYTHON)) {
    console.log(`sentence-transformers comparison skipped: no ${VENV_PYTHON}. Set it up as tools/model/README.md says:`);
    console.log(`  cd tools/model && python3.11 -m venv .venv && .venv/bin/pip install -r requirements.txt`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-models-"));
  try {
    const file = join(dir, "texts.json");
    writeFileSync(file, JSON.stringify(texts));
    const threads = String(loadConfig({}).ENCODER_THREADS);
    const proc = spawn(VENV_PYTHON, ["bench_encoder.py", "--texts", file, "--threads", threads, "--batch-sizes", batchSizes.join(",")], {
      cwd: MODEL_TOOLS,
      env: { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
    if (code !== 0) throw new Error(`bench_encoder.py exited with ${code}`);
    const result = JSON.parse(out.trim().split("\n").at(-1)!) as { tickets_per_s: number; batch_size: number; by_batch_size: Record<string, number>; torch_threads: number };
    const detail = `batch size ${result.batch_size}, torch threads ${result.torch_threads}; by batch size ${Object.entries(result.by_batch_size).map(([b, r]) => `${b}→${fmt(r, 0)}`).join("  ")}`;
    return { rate: result.tickets_per_s, batchSize: result.batch_size, detail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The middle item of a sorted list (the lower of the two middle ones when even), undefined when empty. */
const middle = <T>(sorted: T[]): T | undefined => sorted[Math.floor((sorted.length - 1) / 2)];

/** One round of the comparison: sentence-transformers, the raw encoder's best variant and the pipeline, back to back. */
type Round = {
  raw: { rate: number; cpuSeconds: number; work: EncoderWork | undefined };
  st: number | undefined;
  pipeline: Awaited<ReturnType<typeof pipeline>>;
};

/**
 * Why the pipeline's rate differs from the raw encoder's best, in the factors whose product it is: the padded
 * tokens each had to encode, the time a pass took per padded token (in its thread), the share of the run the
 * sessions were busy with passes, and — when the best ran another number of sessions — the sessions. And, to
 * tell the pipeline's batching from the rest, its passes against the same batching run alone (blocks of
 * WORKER_DEEP_BATCH_SIZE, as many sessions).
 */
function explainRatio(
  n: number,
  best: { name: string; rate: number; work: EncoderWork | undefined },
  raw: Record<string, EncoderWork>,
  pipeline: { seconds: number; work: EncoderWork | undefined },
) {
  const sessions = loadConfig().ENCODER_SESSIONS;
  const sessionsOf = (name: string) => Number(/×(\d+)$/.exec(name)?.[1] ?? 1);
  const blocks = Object.keys(raw).find((k) => k.startsWith("blocks of") && sessionsOf(k) === sessions);
  if (!best.work || !pipeline.work || !blocks) return;
  const msPerK = (w: EncoderWork) => (1000 * w.passMs) / w.paddedTokens;
  const busy = (w: EncoderWork, seconds: number, sessionCount: number) => w.passMs / 1000 / (seconds * sessionCount);
  const describe = (w: EncoderWork) => `${w.passes} passes, ${w.paddedTokens} padded tokens, ${fmt(msPerK(w), 1)} ms per 1,000`;
  const pipelineBusy = busy(pipeline.work, pipeline.seconds, sessions);
  const bestBusy = busy(best.work, n / best.rate, sessionsOf(best.name));
  console.log(`encoder passes, raw best           : ${describe(best.work)}, busy ${fmt(100 * bestBusy, 0)}% of its run`);
  console.log(`encoder passes, ${blocks.padEnd(19)}: ${describe(raw[blocks]!)} (the pipeline's batching, alone)`);
  console.log(`encoder passes, in the pipeline    : ${describe(pipeline.work)}, busy ${fmt(100 * pipelineBusy, 0)}% of the drain`);
  console.log(
    `pipeline / raw best = padded tokens ${fmt(best.work.paddedTokens / pipeline.work.paddedTokens, 2)} × time per padded token ${fmt(msPerK(best.work) / msPerK(pipeline.work), 2)}` +
      ` × busy share ${fmt(pipelineBusy / bestBusy, 2)}${sessions === sessionsOf(best.name) ? "" : ` × sessions ${sessions}/${sessionsOf(best.name)}`}` +
      `; time per padded token against the same batching alone: ${fmt(msPerK(raw[blocks]!) / msPerK(pipeline.work), 2)}`,
  );
}

export async function benchModels(): Promise<Record<string, number>> {
  const all = tickets(PIPELINE_TICKETS);
  const texts = all.map((t) => t.text);
  console.log(`\n## Models: the same ${all.length} distinct labelled tickets (cleaned texts, none repeated) in every run`);
  console.log(`(2 cores; load average at the start ${loadavg().map((l) => fmt(l, 2)).join(" ")}: other work on the machine lowers every figure)`);
  const share = (x: number) => `${fmt(100 * x, 0)}% transformer`;
  const runs: Record<string, number> = {};
  const st = await sentenceTransformers(texts);
  if (st) console.log(`sentence-transformers (torch, CPU) : ${fmt(st.rate, 0)} tickets/s (${st.detail})`);
  // The exported model (the default), then its int8 variant (ENCODER_PRECISION=int8, MODEL_CARD.md).
  for (const precision of ["fp32", "int8"] as const) {
    console.log(`\n### ENCODER_PRECISION=${precision}`);
    const sweep = await rawEncoder(texts, precision);
    const [bestName] = Object.entries(sweep.rates).sort((a, b) => b[1] - a[1])[0]!;
    console.log(`raw encoder tickets/s by order/batch size × sessions: ${Object.entries(sweep.rates).map(([b, r]) => `${b}→${fmt(r, 0)}`).join("  ")}`);
    // The ratios are taken within a round: sentence-transformers at its best batch size, the raw encoder's best
    // variant (measured again, not the sweep's maximum of noisy runs) and the pipeline, one right after the
    // other, so that the machine's drift (±10–15% from minute to minute on shared 2-core machines) moves them
    // alike; the median round is the figure.
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const torch = st ? await sentenceTransformers(texts, [st.batchSize]) : null;
      const raw = await rawEncoder(texts, precision, bestName);
      const batched = await pipeline(all, { ENCODER_PRECISION: precision });
      const round = { raw: { rate: raw.rates[bestName]!, cpuSeconds: raw.cpuSeconds[bestName]!, work: raw.work[bestName] }, st: torch?.rate, pipeline: batched };
      rounds.push(round);
      console.log(
        `round ${r}: raw encoder best ${fmt(round.raw.rate, 0)}, ${torch ? `sentence-transformers ${fmt(torch.rate, 0)}, ` : ""}pipeline ${fmt(batched.rate, 0)} tickets/s` +
          ` → pipeline / raw ${fmt(batched.rate / round.raw.rate, 2)}${torch ? `, / sentence-transformers ${fmt(batched.rate / torch.rate, 2)}` : ""}`,
      );
    }
    const median = middle(rounds.sort((a, b) => a.pipeline.rate / a.raw.rate - b.pipeline.rate / b.raw.rate))!;
    const { raw, pipeline: batched } = median;
    console.log(`median round of ${rounds.length}:`);
    console.log(`${`raw encoder, best (${bestName})`.padEnd(35)}: ${fmt(raw.rate, 0)} tickets/s`);
    console.log(`pipeline (worker defaults)         : ${fmt(batched.rate, 0)} tickets/s (${share(batched.transformerShare)})`);
    console.log(`pipeline / raw encoder best        : ${fmt(batched.rate / raw.rate, 2)} (target ≥ 0.9)`);
    const { main, otherThreads, redis, available } = batched.cpu;
    if (otherThreads > 0) {
      console.log(
        `CPU (core-s): raw encoder, best ${fmt(raw.cpuSeconds, 2)}; pipeline over the drain: worker main thread ${fmt(main, 2)}, its other threads (encoder, V8) ${fmt(otherThreads, 2)}` +
          `${redis > 0 ? `, redis-server ${fmt(redis, 2)}` : ""}; ${fmt((100 * (main + otherThreads + redis)) / available, 0)}% of the ${availableParallelism()} cores' time`,
      );
    }
    explainRatio(all.length, { name: bestName, rate: raw.rate, work: raw.work }, sweep.work, batched);
    const vsTorchMedian = middle(rounds.filter((r) => r.st).map((r) => r.pipeline.rate / r.st!).sort((a, b) => a - b));
    const peakRssMb = Math.max(...rounds.map((r) => r.pipeline.rssMb));
    if (vsTorchMedian !== undefined) console.log(`pipeline / sentence-transformers   : ${fmt(vsTorchMedian, 2)} (median of the rounds; target ≥ 1.25)`);
    console.log(`model load: ${batched.loadMs} ms (target < 1500 ms); worker peak RSS: ${fmt(peakRssMb, 0)} MB, the highest of the rounds (target < 512 MB)`);
    Object.assign(runs, {
      [`${precision}_encoder_best_rate`]: raw.rate,
      [`${precision}_pipeline_rate`]: batched.rate,
      [`${precision}_pipeline_ratio`]: batched.rate / raw.rate,
      ...(vsTorchMedian !== undefined ? { [`${precision}_pipeline_vs_sentence_transformers`]: vsTorchMedian } : {}),
      [`${precision}_load_ms`]: batched.loadMs,
      [`${precision}_rss_mb`]: peakRssMb,
    });
  }

  // Spread over the whole set, so its lengths are like the batched run's.
  const step = Math.max(1, Math.floor(all.length / SINGLE_TICKETS));
  const single = await pipeline(all.filter((_, i) => i % step === 0).slice(0, SINGLE_TICKETS), { WORKER_BATCH_SIZE: "1", WORKER_DEEP_BATCH_SIZE: "1" });
  console.log(`\npipeline (fp32), batches of 1      : ${fmt(single.rate, 0)} tickets/s over ${SINGLE_TICKETS} of them (${share(single.transformerShare)})`);
  console.log(`batched / batch-size-1 pipeline: ${fmt(runs.fp32_pipeline_rate! / single.rate, 1)}× (target ≥ 5×)`);
  console.log(`load average at the end: ${loadavg().map((l) => fmt(l, 2)).join(" ")}`);
  return { ...runs, ...(st ? { sentence_transformers_rate: st.rate } : {}), batching_gain: runs.fp32_pipeline_rate! / single.rate };
}
