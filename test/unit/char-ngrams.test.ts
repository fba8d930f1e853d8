import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { charNgramFeatures, MAX_CHARS, normalisedCodePoints } from "../../layers/core/domain/char-ngrams.js";

// Written by tools/model/char_ngrams.py, the Python definition the heads were trained with.
const fixtures = JSON.parse(readFileSync(new URL("../../layers/models/fixtures/char-ngrams.json", import.meta.url), "utf8")) as {
  dim: number;
  items: { text: string; normalised: string; nonzero: Record<string, number> }[];
};

describe("hashed character n-grams: the TypeScript twin of tools/model/char_ngrams.py", () => {
  it.each(fixtures.items.map((item, i) => [i, JSON.stringify(item.text).slice(0, 60), item] as const))(
    "fixture %i %s: same normalised text and same vector",
    (_i, _label, item) => {
      expect(String.fromCodePoint(...normalisedCodePoints(item.text))).toBe(item.normalised);
      const v = charNgramFeatures(item.text, fixtures.dim);
      const nonzero = Object.fromEntries([...v.entries()].filter(([, x]) => x !== 0).map(([k, x]) => [String(k), x]));
      expect(Object.keys(nonzero).sort()).toEqual(Object.keys(item.nonzero).sort());
      for (const [k, x] of Object.entries(item.nonzero)) expect(nonzero[k]).toBeCloseTo(x, 12);
    },
  );

  it("covers the cases a twin drifts on", () => {
    const texts = fixtures.items.map((i) => i.text);
    expect(texts).toContain("");
    expect(texts.some((t) => /ẞ/.test(t) && /Σ/.test(t))).toBe(true);
    expect(texts.some((t) => [...t].length > MAX_CHARS)).toBe(true);
    expect(texts.some((t) => /\p{Extended_Pictographic}/u.test(t))).toBe(true);
  });

  it("is a unit vector, or zero for a text without letters or digits", () => {
    const v = charNgramFeatures("Rechnung doppelt abgebucht", 512);
    expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    expect(charNgramFeatures("?! -- ...", 512).every((x) => x === 0)).toBe(true);
  });

  it("gives languages' shared stems shared buckets: factura / facture / fattura overlap, login does not", () => {
    const cos = (a: string, b: string) => {
      const x = charNgramFeatures(a, 1024);
      const y = charNgramFeatures(b, 1024);
      return x.reduce((s, v, k) => s + v * y[k]!, 0);
    };
    expect(cos("factura duplicada", "facture dupliquée")).toBeGreaterThan(cos("factura duplicada", "login bloqueado") + 0.2);
  });
});
