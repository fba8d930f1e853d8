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

describe("queue score with aging (QUEUE_AGING_PER_HOUR)", () => {
  const at = (iso: string) => Date.parse(iso);
  const hour = 3_600_000;

  it("ranks by S + a × hours waited at every instant, so the order never needs rescoring", () => {
    const ms = fc.integer({ min: at("2026-01-01T00:00:00Z"), max: at("2036-01-01T00:00:00Z") });
    const rate = fc.double({ min: 0.001, max: 100, noNaN: true });
    fc.assert(
      fc.property(urgency, ms, urgency, ms, rate, fc.integer({ min: 0, max: 1000 * hour }), (s1, t1, s2, t2, a, later) => {
        const now = Math.max(t1, t2) + later;
        const p1 = s1 + (a * (now - t1)) / hour;
        const p2 = s2 + (a * (now - t2)) / hour;
        fc.pre(Math.abs(p1 - p2) > 1e-6);
        const ahead = queueScore(s1, 1, { perHour: a, acceptedAtMs: t1 }) > queueScore(s2, 2, { perHour: a, acceptedAtMs: t2 });
        expect(ahead).toBe(p1 > p2);
      }),
    );
  });

  it("serves S = 0.1 before a fresh S = 0.9 once it has waited 0.8 / a hours longer, and not before", () => {
    const a = 0.1; // S-units per hour: 8 hours make up the difference
    const old = at("2026-06-01T08:00:00Z");
    const score = (s: number, t: number) => queueScore(s, 1, { perHour: a, acceptedAtMs: t });
    expect(score(0.1, old) > score(0.9, old + 7.9 * hour)).toBe(false);
    expect(score(0.1, old) > score(0.9, old + 8.1 * hour)).toBe(true);
  });

  it("keeps the earlier of equal S first, and 0 means the seed's order", () => {
    const t = at("2026-03-01T00:00:00Z");
    expect(queueScore(0.5, 9, { perHour: 1, acceptedAtMs: t }) > queueScore(0.5, 10, { perHour: 1, acceptedAtMs: t + 1 })).toBe(true);
    expect(queueScore(0.5, 9, { perHour: 0, acceptedAtMs: t })).toBe(queueScore(0.5, 9));
    expect(() => queueScore(0.5, 9, { perHour: 1, acceptedAtMs: Number.NaN })).toThrow(RangeError);
  });
});
