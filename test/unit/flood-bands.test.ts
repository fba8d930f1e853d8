import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cleanedText } from "../../layers/core/domain/classification.js";
import { BANDS, floodBands, floodShingles } from "../../layers/core/domain/flood-bands.js";

/** More than this many tickets sharing a band send the next to the flood lane (FLOOD_LANE_THRESHOLD's default). */
const THRESHOLD = 10;

/** Counts bands as intake does, all tickets in one window; the index of every ticket that would be flood. */
function floodLaneIndices(texts: string[], threshold = THRESHOLD): number[] {
  const counts = new Map<string, number>();
  const flagged: number[] = [];
  texts.forEach((text, i) => {
    let most = 0;
    for (const band of floodBands(text)) {
      const c = (counts.get(band) ?? 0) + 1;
      counts.set(band, c);
      most = Math.max(most, c);
    }
    if (most > threshold) flagged.push(i);
  });
  return flagged;
}

const dir = new URL("../../tools/model/data/raw/", import.meta.url);
const labelled = readdirSync(dir)
  .filter((f) => f.endsWith(".jsonl"))
  .flatMap((f) => readFileSync(new URL(f, dir), "utf8").split("\n").filter(Boolean))
  .map((l) => cleanedText(JSON.parse(l) as { subject: string; body: string }).text);

const names = ["Ana Ruiz", "Li Wei", "John Smith", "Maria Garcia", "Olu Ade", "Kim Park", "Ivan Petrov", "Sara Cohen", "Tom Baker", "Eva Novak"];
const checkoutFlood = (n: number) =>
  Array.from({ length: n }, (_, i) => `Checkout returns 503 for order #${100_000 + 7 * i}, customer ${names[i % 10]} ${names[(3 * i) % 10]!.split(" ")[1]}`);

describe("flood bands: which tickets intake sends to the flood lane", () => {
  it("sends none of the 2,000+ distinct labelled tickets to the flood lane, even all in one window", () => {
    expect(labelled.length).toBeGreaterThan(2000);
    expect(floodLaneIndices(labelled)).toEqual([]);
    // Not by a hair: no band is shared by even 6 of them.
    expect(floodLaneIndices(labelled, 5)).toEqual([]);
  });

  it("sends a flood there from its first dozen or so tickets on, whatever their order numbers and names", () => {
    const flagged = floodLaneIndices(checkoutFlood(2000));
    expect(flagged[0]).toBeGreaterThanOrEqual(THRESHOLD);
    expect(flagged[0]).toBeLessThan(25);
    expect(flagged.length).toBeGreaterThan(1970);
  });

  it("keeps a flood's lane when unrelated tickets are mixed in, and the unrelated ones out of it", () => {
    const flood = checkoutFlood(300);
    const mixed = flood.flatMap((t, i) => (i % 10 === 0 ? [t, labelled[i]!] : [t]));
    const flagged = new Set(floodLaneIndices(mixed));
    mixed.forEach((t, i) => {
      if (!flood.includes(t)) expect(flagged.has(i), t).toBe(false);
    });
    expect(flagged.size).toBeGreaterThan(270);
  });

  it("folds digits and case, pairs words, and gives every text with a word its bands", () => {
    expect(floodShingles("Order #4411 FAILED at 09:12")).toEqual(new Set(["order 0", "0 failed", "failed at", "at 0", "0 0"]));
    expect(floodShingles("Help!")).toEqual(new Set(["help"]));
    expect(floodBands("?!")).toEqual([]);
    expect(floodBands("Order #1 failed")).toEqual(floodBands("ORDER #982 FAILED"));
    expect(floodBands("Invoice shows wrong VAT number")).toHaveLength(BANDS);
  });
});
