import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeQueueScore, MAX_SEQ, queueScore } from "../../layers/core/domain/queue-score.js";

const urgency = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 10_000);
const seq = fc.integer({ min: 0, max: MAX_SEQ });

describe("queue score", () => {
  it("orders by urgency first, then earlier arrival", () => {
    fc.assert(
      fc.property(urgency, seq, urgency, seq, (s1, q1, s2, q2) => {
        fc.pre(s1 !== s2 || q1 !== q2);
        const first = queueScore(s1, q1) > queueScore(s2, q2);
        const expected = s1 !== s2 ? s1 > s2 : q1 < q2;
        expect(first).toBe(expected);
      }),
    );
  });

  it("is exact: decoding gives back S (4 decimals) and the sequence", () => {
    fc.assert(
      fc.property(urgency, seq, (s, q) => {
        const score = queueScore(s, q);
        expect(Number.isSafeInteger(score)).toBe(true);
        expect(decodeQueueScore(score)).toEqual({ urgency4: s, seq: q });
      }),
    );
  });

  it("treats S equal to 4 decimals as a tie broken by arrival", () => {
    expect(queueScore(0.70001, 5) > queueScore(0.7, 4)).toBe(false);
  });

  it("rejects values it cannot encode", () => {
    expect(() => queueScore(1.01, 1)).toThrow(RangeError);
    expect(() => queueScore(Number.NaN, 1)).toThrow(RangeError);
    expect(() => queueScore(0.5, MAX_SEQ + 1)).toThrow(RangeError);
  });
});
