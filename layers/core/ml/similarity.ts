import { join } from "node:path";
import type * as Ort from "onnxruntime-node";
import { kernelIsExact, QUERY_LEVELS, quantize, quantizationBound } from "../domain/quantize.js";
import { dot } from "../domain/vectors.js";
import { ORT_OPTIONS } from "./ort-options.js";

// On top of the quantisation bound: float32 rounding in the graph. The integer sum's cast is exact (< 2^24),
// the two scale products round once each (≤ 2^-24 relative of a score |s| ≤ 2 for unit vectors: 2.4e-7),
// and so do low/high when they become float32 (≤ 1.2e-7): 1e-6 covers all three.
const ROUNDING = 1e-6;

/** The window as the search reads it: float32 rows, and the same rows quantised (WINDOW_LEVELS, +128) with their scales. */
export interface WindowView {
  dim: number;
  rows: number;
  vectors: Float32Array;
  quantized: Uint8Array;
  scales: Float32Array;
  maxScale: number;
  maxL1: number;
}

/** Exact threshold search: every (query, window row) pair with cosine above the threshold. */
export interface SimilaritySearch {
  pairs(queries: Float32Array[], window: WindowView, threshold: number): Promise<[number, number][]>;
}

class OnnxSimilarity implements SimilaritySearch {
  constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
  ) {}

  async pairs(queries: Float32Array[], w: WindowView, threshold: number) {
    if (queries.length === 0 || w.rows === 0) return [];
    if (!kernelIsExact(w.dim)) throw new Error(`similarity search: ${w.dim}-d vectors overflow the exact integer product`);
    const { ort } = this;
    const batch = queries.length;
    const qt = new Int8Array(w.dim * batch);
    const qScales = new Float32Array(batch);
    let maxScale = 0;
    let maxL1 = 0;
    queries.forEach((v, b) => {
      const { q, scale, l1 } = quantize(v, QUERY_LEVELS);
      for (let d = 0; d < w.dim; d++) qt[d * batch + b] = q[d]!;
      qScales[b] = scale;
      maxScale = Math.max(maxScale, scale);
      maxL1 = Math.max(maxL1, l1);
    });
    // Every pair truly above the threshold scores above `low` in int8; those above `high` truly are.
    const margin = quantizationBound(w.dim, w, { maxScale, maxL1 }) + ROUNDING;
    const out = await this.session.run({
      window: new ort.Tensor("uint8", w.quantized, [w.rows, w.dim]),
      queries_t: new ort.Tensor("int8", qt, [w.dim, batch]),
      window_zero: new ort.Tensor("uint8", new Uint8Array([128]), []),
      window_scale: new ort.Tensor("float32", w.scales, [w.rows, 1]),
      query_scale: new ort.Tensor("float32", qScales, [1, batch]),
      low: new ort.Tensor("float32", new Float32Array([threshold - margin]), []),
      high: new ort.Tensor("float32", new Float32Array([threshold + margin]), []),
    });
    const result: [number, number][] = [];
    const sure = out.sure!.data as BigInt64Array;
    for (let i = 0, k = sure.length / 2; i < k; i++) result.push([Number(sure[k + i]), Number(sure[i])]);
    const near = out.near!.data as BigInt64Array;
    for (let i = 0, k = near.length / 2; i < k; i++) {
      const row = Number(near[i]);
      const q = Number(near[k + i]);
      if (dot(queries[q]!, w.vectors.subarray(row * w.dim, (row + 1) * w.dim)) > threshold) result.push([q, row]);
    }
    return result;
  }
}

const loaded = new Map<string, Promise<SimilaritySearch>>();

/** `similarity.onnx` (integer search with exact re-check, tools/model/export_similarity.py), once per process. */
export function loadSimilarity(modelsDir: string, threads: number): Promise<SimilaritySearch> {
  let s = loaded.get(modelsDir);
  if (!s) {
    // onnxruntime is imported on first use, so processes that never search never load it.
    s = import("onnxruntime-node").then(async (ort) => {
      const session = await ort.InferenceSession.create(join(modelsDir, "similarity.onnx"), {
        intraOpNumThreads: threads,
        graphOptimizationLevel: "all",
        // Its threads must not spin after a search while the encoder's thread needs the cores (ort-options.ts).
        extra: ORT_OPTIONS.extra,
      });
      return new OnnxSimilarity(ort, session);
    });
    s.catch(() => loaded.delete(modelsDir));
    loaded.set(modelsDir, s);
  }
  return s;
}
