import { join } from "node:path";
import type * as Ort from "onnxruntime-node";
import { dot } from "../domain/vectors.js";

// onnxruntime sums in float32 and in its own order; pairs within this margin of the threshold come back
// as `near` and are re-checked in float64, so the count is the one a plain loop over the vectors gives.
const MARGIN = 1e-4;

/** Exact threshold search: every (query, window row) pair with cosine above the threshold. */
export interface SimilaritySearch {
  pairs(queries: Float32Array[], window: Float32Array, rows: number, threshold: number): Promise<[number, number][]>;
}

class OnnxSimilarity implements SimilaritySearch {
  constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
  ) {}

  async pairs(queries: Float32Array[], window: Float32Array, rows: number, threshold: number) {
    if (queries.length === 0 || rows === 0) return [];
    const dim = queries[0]!.length;
    const q = new Float32Array(queries.length * dim);
    queries.forEach((v, i) => q.set(v, i * dim));
    const ort = this.ort;
    const out = await this.session.run({
      queries: new ort.Tensor("float32", q, [queries.length, dim]),
      window: new ort.Tensor("float32", window.subarray(0, rows * dim), [rows, dim]),
      low: new ort.Tensor("float32", new Float32Array([threshold - MARGIN]), []),
      high: new ort.Tensor("float32", new Float32Array([threshold + MARGIN]), []),
    });
    const result: [number, number][] = [];
    const sure = out.sure!.data as BigInt64Array;
    for (let i = 0, k = sure.length / 2; i < k; i++) result.push([Number(sure[i]), Number(sure[k + i])]);
    const near = out.near!.data as BigInt64Array;
    for (let i = 0, k = near.length / 2; i < k; i++) {
      const q = Number(near[i]);
      const row = Number(near[k + i]);
      if (dot(queries[q]!, window.subarray(row * dim, (row + 1) * dim)) > threshold) result.push([q, row]);
    }
    return result;
  }
}

const loaded = new Map<string, Promise<SimilaritySearch>>();

/** `similarity.onnx` (Gemm → Greater → NonZero, tools/model/export_similarity.py), once per process. */
export function loadSimilarity(modelsDir: string, threads: number): Promise<SimilaritySearch> {
  let s = loaded.get(modelsDir);
  if (!s) {
    // onnxruntime is imported on first use, so processes that never search never load it.
    s = import("onnxruntime-node").then(async (ort) => {
      const session = await ort.InferenceSession.create(join(modelsDir, "similarity.onnx"), {
        intraOpNumThreads: threads,
        graphOptimizationLevel: "all",
      });
      return new OnnxSimilarity(ort, session);
    });
    s.catch(() => loaded.delete(modelsDir));
    loaded.set(modelsDir, s);
  }
  return s;
}
