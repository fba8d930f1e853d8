import { describe, expect, it } from "vitest";
import { topByCosine } from "../../layers/core/domain/similar.js";
import { cosine } from "../../layers/core/domain/vectors.js";

// A small deterministic generator, so the brute-force comparison is the same every run.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}
const vec = (r: () => number, dim: number) => Float32Array.from({ length: dim }, r);

describe("topByCosine", () => {
  it("agrees with sorting every candidate by cosine, for every k", () => {
    const r = rng(7);
    const query = vec(r, 16);
    const candidates = Array.from({ length: 200 }, (_, i) => ({ id: `c${String(i).padStart(3, "0")}`, vector: vec(r, 16) }));
    const brute = candidates
      .map((c) => ({ id: c.id, cosine: cosine(query, c.vector) }))
      .sort((a, b) => b.cosine - a.cosine || (a.id < b.id ? -1 : 1));
    for (const k of [1, 5, 50, 200, 500]) {
      const top = topByCosine(query, candidates, k);
      expect(top.map((t) => t.candidate.id)).toEqual(brute.slice(0, k).map((b) => b.id));
      top.forEach((t, i) => expect(t.cosine).toBeCloseTo(brute[i]!.cosine, 6));
    }
  });

  it("skips excluded ids and keeps only the first candidate of an id", () => {
    const q = [1, 0];
    const top = topByCosine(
      q,
      [
        { id: "self", vector: [1, 0], source: "window" },
        { id: "a", vector: [0.9, 0.1], source: "window" },
        { id: "a", vector: [1, 0], source: "labelled" },
        { id: "b", vector: [0, 1], source: "labelled" },
        { id: "z", vector: [0, 0], source: "labelled" },
      ],
      10,
      new Set(["self"]),
    );
    expect(top.map((t) => [t.candidate.id, t.candidate.source])).toEqual([
      ["a", "window"],
      ["b", "labelled"],
      ["z", "labelled"],
    ]);
    expect(top[1]!.cosine).toBe(0);
    expect(top[2]!.cosine).toBe(0); // a zero vector is like nothing
  });

  it("orders equal cosines by id and returns nothing for k = 0", () => {
    const same = ["m", "c", "x"].map((id) => ({ id, vector: [2, 0] }));
    expect(topByCosine([1, 0], same, 2).map((t) => t.candidate.id)).toEqual(["c", "m"]);
    expect(topByCosine([1, 0], same, 0)).toEqual([]);
  });
});
