// Per-vector symmetric int8 quantisation for the dedup search, with the error bound that keeps it exact.
//   v ≈ scale · q, q ∈ [-127, 127], scale = max|v_i| / 127, so |v_i − scale·q_i| ≤ scale / 2.
// For a window vector a and a query b:
//   |a·b − s_a s_b (q_a·q_b)| ≤ (s_b / 2)(‖a‖₁ + dim·s_a / 2) + (s_a / 2)‖b‖₁
// (write a = s_a q_a + ε, b = s_b q_b + δ; the error is Σ s_a q_a,i δ_i + ε_i b_i).

export interface Quantized {
  q: Int8Array;
  scale: number;
  /** ‖v‖₁, for the error bound. */
  l1: number;
}

export function quantize(v: ArrayLike<number>): Quantized {
  let max = 0;
  let l1 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = Math.abs(v[i]!);
    if (x > max) max = x;
    l1 += x;
  }
  const scale = max / 127 || 1;
  const q = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) q[i] = Math.round(v[i]! / scale);
  return { q, scale, l1 };
}

/** The largest |exact − quantised| dot product between any window vector and any query of a batch. */
export function quantizationBound(
  dim: number,
  window: { maxScale: number; maxL1: number },
  queries: { maxScale: number; maxL1: number },
): number {
  return (queries.maxScale / 2) * (window.maxL1 + (dim * window.maxScale) / 2) + (window.maxScale / 2) * queries.maxL1;
}
