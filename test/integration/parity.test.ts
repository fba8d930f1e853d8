import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { dot } from "../../layers/core/domain/vectors.js";
import { loadModels } from "../../layers/core/ml/models.js";

const fixtures = JSON.parse(
  readFileSync(new URL("../../layers/models/fixtures/parity.json", import.meta.url), "utf8"),
) as { items: { text: string; embedding: number[] }[] };

describe("MiniLM parity with sentence-transformers", () => {
  it("has enough varied fixtures", () => {
    expect(fixtures.items.length).toBeGreaterThanOrEqual(50);
  });

  it("embeds every fixture with cosine ≥ 0.999, batched and alone", async () => {
    const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
    const { encoder } = await loadModels(MODELS_DIR, ENCODER_THREADS);
    const batched = await encoder.embed(fixtures.items.map((i) => i.text));
    for (const [k, item] of fixtures.items.entries()) {
      const [alone] = await encoder.embed([item.text]);
      expect(dot(batched[k]!, item.embedding), JSON.stringify(item.text).slice(0, 60)).toBeGreaterThanOrEqual(0.999);
      expect(dot(alone!, item.embedding)).toBeGreaterThanOrEqual(0.999);
      expect(Math.abs(dot(alone!, alone!) - 1)).toBeLessThan(1e-5);
    }
  });

  it("truncates to 256 tokens", async () => {
    const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
    const { encoder } = await loadModels(MODELS_DIR, ENCODER_THREADS);
    expect(encoder.tokenize("word ".repeat(1000))).toHaveLength(256);
    expect(encoder.tokenize("hello world")).toHaveLength(4);
  });
});
