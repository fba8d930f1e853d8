import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quantizationBound, quantize } from "../../layers/core/domain/quantize.js";
import { dot } from "../../layers/core/domain/vectors.js";

const unit = (v: number[]) => {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
};
const vector = (dim: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim }).map(unit);

describe("int8 quantisation for the dedup search", () => {
  it("keeps every component within half a step", () => {
    fc.assert(
      fc.property(vector(64), (v) => {
        const { q, scale } = quantize(v);
        v.forEach((x, i) => expect(Math.abs(x - scale * q[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-12));
        expect(Math.max(...Array.from(q, Math.abs))).toBeLessThanOrEqual(127);
      }),
    );
  });

  it("never misses: |exact − quantised| dot product stays within the bound", () => {
    fc.assert(
      fc.property(vector(384), vector(384), (a, b) => {
        const qa = quantize(a);
        const qb = quantize(b);
        let acc = 0;
        for (let i = 0; i < 384; i++) acc += qa.q[i]! * qb.q[i]!;
        const approx = qa.scale * qb.scale * acc;
        const bound = quantizationBound(384, { maxScale: qa.scale, maxL1: qa.l1 }, { maxScale: qb.scale, maxL1: qb.l1 });
        expect(Math.abs(dot(a, b) - approx)).toBeLessThanOrEqual(bound);
        expect(bound).toBeLessThan(0.1); // tight enough to leave few pairs to re-check
      }),
      { numRuns: 200 },
    );
  });
});
