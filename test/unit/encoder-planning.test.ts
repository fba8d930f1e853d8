import { describe, expect, it } from "vitest";
import { EmbeddingCache } from "../../layers/core/ml/embedding-cache.js";
import { planSubBatches } from "../../layers/core/ml/model-router.js";

/** Deterministic pseudo-random token lengths, 3–256 like real tickets (most short, a few long). */
function lengths(n: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    return Math.min(256, 3 + Math.floor(u * u * 253));
  });
}

describe("sub-batch planning", () => {
  for (const n of [1, 7, 32, 128, 512]) {
    it(`covers each of ${n} texts once, in runs of the length-sorted order, within the size and token budget`, () => {
      const ls = lengths(n, n);
      const budget = 1_300;
      const groups = planSubBatches(ls, budget);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(ls.map((_, i) => i));
      let previousMax = 0;
      for (const g of groups) {
        const gl = g.map((i) => ls[i]!);
        expect(g.length).toBeGreaterThan(0);
        expect(g.length).toBeLessThanOrEqual(16);
        // Sorted runs: a group starts at or after where the one before it ended.
        expect(Math.min(...gl)).toBeGreaterThanOrEqual(previousMax);
        previousMax = Math.max(...gl);
        if (g.length > 1) expect(g.length * Math.max(...gl)).toBeLessThanOrEqual(budget);
      }
    });
  }

  it("pads less than cutting the same sorted texts into fixed groups of 16", () => {
    const ls = lengths(512, 7);
    const padded = (groups: number[][]) => groups.reduce((s, g) => s + g.length * Math.max(...g.map((i) => ls[i]!)), 0);
    const order = ls.map((_, i) => i).sort((a, b) => ls[a]! - ls[b]!);
    const fixed = Array.from({ length: 32 }, (_, k) => order.slice(16 * k, 16 * k + 16));
    // A budget that lets every group of 16 through, so only the cut points differ.
    expect(padded(planSubBatches(ls, 16 * 256))).toBeLessThanOrEqual(padded(fixed));
  });

  it("keeps equal lengths in full groups (a flood of one length is cut in 16s)", () => {
    const groups = planSubBatches(Array(40).fill(30), 16 * 30);
    expect(groups.map((g) => g.length)).toEqual([16, 16, 8]);
  });

  it("lets a text longer than the budget through alone", () => {
    expect(planSubBatches([256, 256, 10], 100)).toEqual([[2], [0], [1]]);
  });
});

describe("embedding cache", () => {
  const vec = (x: number) => new Float32Array(384).fill(x);

  it("returns the very embedding it was given, under the token ids' key", () => {
    const cache = new EmbeddingCache(4);
    const v = vec(0.5);
    cache.set(EmbeddingCache.key([101, 7592, 102]), v);
    expect(cache.get(EmbeddingCache.key([101, 7592, 102]))).toBe(v);
    expect(cache.get(EmbeddingCache.key([101, 7593, 102]))).toBeUndefined();
  });

  it("holds at most its capacity, dropping the least recently used first", () => {
    const cache = new EmbeddingCache(3);
    for (let i = 0; i < 3; i++) cache.set(`k${i}`, vec(i));
    expect(cache.get("k0")).toBeDefined(); // k0 used: k1 is now the oldest
    cache.set("k3", vec(3));
    expect(cache.size).toBe(3);
    expect(cache.get("k1")).toBeUndefined();
    for (const k of ["k0", "k2", "k3"]) expect(cache.get(k)).toBeDefined();
    for (let i = 4; i < 100; i++) cache.set(`k${i}`, vec(i));
    expect(cache.size).toBe(3);
  });

  it("keeps nothing with capacity 0", () => {
    const cache = new EmbeddingCache(0);
    cache.set("k", vec(1));
    expect(cache.size).toBe(0);
    expect(cache.get("k")).toBeUndefined();
  });
});
