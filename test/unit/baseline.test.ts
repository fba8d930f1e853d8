import { describe, expect, it } from "vitest";
import { baselineCategory, baselineUrgency, BASELINE_CALM_SCORE, BASELINE_URGENT_SCORE } from "../../layers/core/domain/baseline.js";
import { classifyBaseline, isHighUrgency, isUrgent, priorityScore, ticketText } from "../../layers/core/domain/classification.js";

describe("baseline category", () => {
  it.each([
    ["Login broken Cannot login.", "Technical"],
    ["I was charged twice on my invoice, please refund", "Billing"],
    ["GDPR data erasure request under article 17", "Legal"],
    ["Our lawyer will contact you about the contract terms", "Legal"],
    ["API returns 500 on every request", "Technical"],
    ["hello there", "Technical"],
  ])("%s → %s", (text, category) => {
    expect(baselineCategory(text)).toBe(category);
  });
});

describe("baseline urgency", () => {
  it.each(["Everything is broken ASAP", "URGENT: production down", "site is down!!", "critical outage", "Cannot login."])(
    "urgent: %s",
    (text) => expect(baselineUrgency(text)).toBe(BASELINE_URGENT_SCORE),
  );
  it.each(["How do I download last month's receipt?", "Feature request: dark mode", "thanks for the help"])(
    "calm: %s",
    (text) => expect(baselineUrgency(text)).toBe(BASELINE_CALM_SCORE),
  );
  it.each([
    "Please fix this as soon as possible",
    "AS SOON AS POSSIBLE please",
    "P0: checkout",
    "this is a p0",
    "Raising as P1",
    "(P1) invoices",
    "sev1 on the EU cluster",
    "SEV 1 declared",
    "sev-1 incident",
    "Severity 1 ticket",
    "severity-1",
  ])("urgent (priority / severity phrase): %s", (text) => expect(baselineUrgency(text)).toBe(BASELINE_URGENT_SCORE));
  it.each([
    "P10 of the style guide",
    "P2 question about invoices",
    "sev10 drill",
    "severity 12 is not a level",
    "sev2 follow-up",
    "press 1 for billing",
    "MP1 headphones order",
    "as soon as you can, send the receipt",
    "p01 form",
  ])("calm (near miss): %s", (text) => expect(baselineUrgency(text)).toBe(BASELINE_CALM_SCORE));
  it("puts urgent tickets over the webhook line and calm ones under is_urgent", () => {
    expect(isHighUrgency(BASELINE_URGENT_SCORE)).toBe(true);
    expect(isUrgent(BASELINE_CALM_SCORE)).toBe(false);
  });
});

describe("classification", () => {
  it("gives a one-hot distribution under the baseline and names the model", () => {
    const c = classifyBaseline(ticketText({ subject: "Refund", body: "Please refund my payment" }));
    expect(c).toEqual({
      category: "Billing",
      probabilities: { Billing: 1, Technical: 0, Legal: 0 },
      urgency_score: BASELINE_CALM_SCORE,
      model: "baseline",
    });
  });
  it.each([
    [0, false, 0],
    [0.49, false, 5],
    [0.5, true, 5],
    [0.85, true, 9],
    [1, true, 10],
  ])("S=%s → is_urgent %s, priority %s", (s, urgent, priority) => {
    expect(isUrgent(s)).toBe(urgent);
    expect(priorityScore(s)).toBe(priority);
  });
  it("fires the high-urgency webhook only above 0.8", () => {
    expect(isHighUrgency(0.8)).toBe(false);
    expect(isHighUrgency(0.8001)).toBe(true);
  });
});
