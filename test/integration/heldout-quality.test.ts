import { describe, expect, it } from "vitest";
import { evaluateHeldout } from "../../bench/heldout.js";
import { rocAuc } from "../../bench/metrics.js";

describe("learned heads on the held-out split", () => {
  it("beat the keyword/regex baseline on category and urgency", async () => {
    const { n, transformer, baseline } = await evaluateHeldout();
    expect(n).toBeGreaterThanOrEqual(150);
    expect(transformer.category_accuracy).toBeGreaterThan(baseline.category_accuracy);
    expect(transformer.urgency_auc).toBeGreaterThan(baseline.urgency_auc);
    expect(transformer.urgency_accuracy).toBeGreaterThan(baseline.urgency_accuracy);
  });

  it("computes ROC-AUC correctly", () => {
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
  });
});
