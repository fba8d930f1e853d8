// The dedup search against brute force on vectors built to stress the integer kernel: near-duplicates whose
// components are all large and of one sign (every quantised product near its maximum, so an int16 pair sum
// saturates if one can), spiky vectors (a few huge components), their negatives, and random unit vectors.
// Run in-process by the tests, and bundled to run alone under an emulated CPU (see cpu-emulation.ts).
import { loadSimilarity, type WindowView } from "../../layers/core/ml/similarity.js";
import { quantize, WINDOW_LEVELS } from "../../layers/core/domain/quantize.js";
import { dot } from "../../layers/core/domain/vectors.js";

export interface CheckResult {
  /** Pairs above the threshold by brute force (float64 dot products of the float32 vectors). */
  expected: number;
  /** Pairs the search missed or invented. */
  missed: number;
  extra: number;
}

const DIM = 384;
const THRESHOLD = 0.9;

function vectors(): Float32Array[] {
  let seed = 2026;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const unit = (v: Float32Array) => {
    const n = Math.sqrt(dot(v, v));
    return v.map((x) => x / n);
  };
  const families: Float32Array[] = [
    Float32Array.from({ length: DIM }, () => 1), // flat, all positive
    Float32Array.from({ length: DIM }, () => -1), // flat, all negative
    Float32Array.from({ length: DIM }, (_, i) => (i < 48 ? 1 : 0.02)), // spiky, positive
    Float32Array.from({ length: DIM }, (_, i) => (i % 8 === 0 ? -1 : -0.05)), // spiky, negative
    Float32Array.from({ length: DIM }, () => rand()), // random direction
  ];
  const out: Float32Array[] = [];
  for (const base of families) {
    for (let k = 0; k < 24; k++) {
      // Noise grows with k, so similarities to the family straddle the threshold.
      const noise = 0.02 * (k % 8) * Math.max(...Array.from(base, Math.abs));
      out.push(unit(base.map((x) => x + noise * rand())));
    }
  }
  return out;
}

function windowOf(rows: Float32Array[]): WindowView {
  const quantized = new Uint8Array(rows.length * DIM);
  const scales = new Float32Array(rows.length);
  let maxScale = 0;
  let maxL1 = 0;
  rows.forEach((v, r) => {
    const { q, scale, l1 } = quantize(v, WINDOW_LEVELS);
    for (let i = 0; i < DIM; i++) quantized[r * DIM + i] = q[i]! + 128;
    scales[r] = scale;
    maxScale = Math.max(maxScale, scale);
    maxL1 = Math.max(maxL1, l1);
  });
  const data = new Float32Array(rows.length * DIM);
  rows.forEach((v, r) => data.set(v, r * DIM));
  return { dim: DIM, rows: rows.length, vectors: data, quantized, scales, maxScale, maxL1 };
}

export async function checkSimilarity(modelsDir: string): Promise<CheckResult> {
  const search = await loadSimilarity(modelsDir, 1);
  const all = vectors();
  const window = windowOf(all);
  const key = (q: number, row: number) => `${q}:${row}`;
  const expected = new Set<string>();
  all.forEach((q, i) => all.forEach((row, j) => dot(q, row) > THRESHOLD && expected.add(key(i, j))));
  const found = new Set<string>();
  // Batches of 32 queries, as the worker sends them.
  for (let from = 0; from < all.length; from += 32) {
    for (const [q, row] of await search.pairs(all.slice(from, from + 32), window, THRESHOLD)) found.add(key(from + q, row));
  }
  return {
    expected: expected.size,
    missed: [...expected].filter((k) => !found.has(k)).length,
    extra: [...found].filter((k) => !expected.has(k)).length,
  };
}

// Run alone (bundled, possibly under an emulator): `node similarity-check.mjs <modelsDir>` prints the result.
if (process.argv[1]?.endsWith("similarity-check.mjs")) {
  checkSimilarity(process.argv[2]!).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
