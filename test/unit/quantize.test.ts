import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kernelIsExact, QUERY_LEVELS, quantizationBound, quantize, WINDOW_LEVELS } from "../../layers/core/domain/quantize.js";
import { dot } from "../../layers/core/domain/vectors.js";

const unit = (v: number[]) => {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
};
const vector = (dim: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim }).map(unit);
// A few huge components of one sign on a small background: the shape that maximises integer products.
const spiky = (dim: number) =>
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, -1), fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: dim, maxLength: dim }))
    .map(([spikes, sign, noise]) => unit(noise.map((x, i) => (i < spikes ? sign : 0) + x)));

describe("integer quantisation for the dedup search", () => {
  it("keeps every component within half a step and within its levels", () => {
    fc.assert(
      fc.property(fc.oneof(vector(64), spiky(64)), fc.constantFrom(WINDOW_LEVELS, QUERY_LEVELS), (v, levels) => {
        const { q, scale } = quantize(v, levels);
        v.forEach((x, i) => expect(Math.abs(x - scale * q[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-12));
        expect(Math.max(...Array.from(q, Math.abs))).toBeLessThanOrEqual(levels);
        expect(Math.fround(scale)).toBe(scale); // the graph multiplies by this very float32
      }),
    );
  });

  it("never misses: |exact − quantised| dot product stays within the bound", () => {
    fc.assert(
      fc.property(fc.oneof(vector(384), spiky(384)), fc.oneof(vector(384), spiky(384)), (a, b) => {
        const qa = quantize(a, WINDOW_LEVELS);
        const qb = quantize(b, QUERY_LEVELS);
        let acc = 0;
        for (let i = 0; i < 384; i++) acc += qa.q[i]! * qb.q[i]!;
        const approx = qa.scale * qb.scale * acc;
        const bound = quantizationBound(384, { maxScale: qa.scale, maxL1: qa.l1 }, { maxScale: qb.scale, maxL1: qb.l1 });
        expect(Math.abs(dot(a, b) - approx)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves a band narrow enough that few pairs need the float re-check", () => {
    fc.assert(
      fc.property(vector(384), vector(384), (a, b) => {
        const qa = quantize(a, WINDOW_LEVELS);
        const qb = quantize(b, QUERY_LEVELS);
        expect(quantizationBound(384, { maxScale: qa.scale, maxL1: qa.l1 }, { maxScale: qb.scale, maxL1: qb.l1 })).toBeLessThan(0.1);
      }),
      { numRuns: 100 },
    );
  });

  it("keeps every kernel's intermediates in range: int16 pair sums of (q_a + 128)·q_b, and a float32-exact total", () => {
    // Worst case of a PMADDUBSW pair: both window bytes 255 (q_a = 127) and both query values ±QUERY_LEVELS.
    expect(2 * (WINDOW_LEVELS + 128) * QUERY_LEVELS).toBeLessThanOrEqual(32_767);
    expect(kernelIsExact(384)).toBe(true); // MiniLM
    expect(kernelIsExact(512)).toBe(true); // lexical signature
    expect(kernelIsExact(4096)).toBe(false); // 4096 · 127 · 64 ≥ 2^24: a float32 cast could round
  });
});
