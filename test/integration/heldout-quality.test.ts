import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evaluateHeldout } from "../../bench/heldout.js";
import { rocAuc } from "../../bench/metrics.js";

describe("learned heads on the held-out split", () => {
  // 418 tickets through the encoder, some of them long e-mails: minutes on a busy 2-core machine.
  it("beat the keyword/regex baseline on category and urgency", { timeout: 300_000 }, async () => {
    const { n, transformer, baseline } = await evaluateHeldout();
    expect(n).toBeGreaterThanOrEqual(150);
    expect(transformer.category_accuracy).toBeGreaterThan(baseline.category_accuracy);
    expect(transformer.urgency_auc).toBeGreaterThan(baseline.urgency_auc);
    expect(transformer.urgency_accuracy).toBeGreaterThan(baseline.urgency_accuracy);

    // The TypeScript side (encoder, n-gram twin, gate, both head pairs) scores what Python measured when it
    // trained them: a drift in any part shows as a different figure (one ticket is 1/n).
    const python = JSON.parse(readFileSync(new URL("../../layers/models/metrics.json", import.meta.url), "utf8")) as {
      counts: { test: number };
      category: { accuracy: number };
      urgency: { roc_auc: number };
    };
    expect(n).toBe(python.counts.test);
    expect(Math.abs(transformer.category_accuracy - python.category.accuracy)).toBeLessThan(0.5 / n);
    expect(Math.abs(transformer.urgency_auc - python.urgency.roc_auc)).toBeLessThan(0.001);
  });

  it("computes ROC-AUC correctly", () => {
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
  });
});
