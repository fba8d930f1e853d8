// Per-vector symmetric integer quantisation for the dedup search, with the error bound that keeps it exact.
//   v ≈ scale · q, |q_i| ≤ levels, scale = fround(max|v_i| / levels), so |v_i − scale·q_i| ≤ scale / 2.
// The scale is a float32 so the graph multiplies by exactly the scale the vector was quantised with.
// For a window vector a and a query b:
//   |a·b − s_a s_b (q_a·q_b)| ≤ (s_b / 2)(‖a‖₁ + dim·s_a / 2) + (s_a / 2)‖b‖₁
// (write a = s_a q_a + ε, b = s_b q_b + δ; the error is Σ s_a q_a,i δ_i + ε_i b_i).
//
// The bound holds only if the integer kernel computes q_a·q_b exactly. onnxruntime's U8S8 kernels on x86-64
// without VNNI (SSSE3/AVX2/AVX-512 core: PMADDUBSW) add each PAIR of u8 × s8 products into a saturating int16,
// so the window row as the kernel sees it (q_a + 128 ∈ [1, 255]) times the query must keep
//   2 · 255 · QUERY_LEVELS ≤ 32767   →   QUERY_LEVELS = 64 (32,640).
// With VNNI/AMX (int32 dot products) and on arm64 (u8 dot products after flipping the sign bit) nothing
// narrower than int32 exists; the sum itself stays below 2^24, so its float32 cast is exact too.

export const WINDOW_LEVELS = 127;
export const QUERY_LEVELS = 64;
const INT16_MAX = 32_767;
const FLOAT32_EXACT_INT = 2 ** 24;

export interface Quantized {
  q: Int8Array;
  scale: number;
  /** ‖v‖₁, for the error bound. */
  l1: number;
}

export function quantize(v: ArrayLike<number>, levels: number): Quantized {
  let max = 0;
  let l1 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = Math.abs(v[i]!);
    if (x > max) max = x;
    l1 += x;
  }
  const scale = Math.fround(max / levels) || 1;
  const q = new Int8Array(v.length);
  // The float32 scale may sit a hair below max/levels: clamp so |q| never passes `levels` (error stays ≤ scale/2).
  for (let i = 0; i < v.length; i++) q[i] = Math.max(-levels, Math.min(levels, Math.round(v[i]! / scale)));
  return { q, scale, l1 };
}

/**
 * Whether the integer product of a window row (WINDOW_LEVELS, stored +128) and a query (QUERY_LEVELS) of
 * `dim` components is computed exactly by every kernel (no int16 pair overflow, float32-exact sum).
 */
export function kernelIsExact(dim: number): boolean {
  return 2 * 255 * QUERY_LEVELS <= INT16_MAX && dim * WINDOW_LEVELS * QUERY_LEVELS < FLOAT32_EXACT_INT;
}

/** The largest |exact − quantised| dot product between any window vector and any query of a batch. */
export function quantizationBound(
  dim: number,
  window: { maxScale: number; maxL1: number },
  queries: { maxScale: number; maxL1: number },
): number {
  return (queries.maxScale / 2) * (window.maxL1 + (dim * window.maxScale) / 2) + (window.maxScale / 2) * queries.maxL1;
}
