import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { kernelIsExact } from "../../layers/core/domain/quantize.js";
import { LEXICAL_DIM, lexicalSignature, lexicalWords } from "../../layers/core/domain/lexical.js";
import { dot } from "../../layers/core/domain/vectors.js";

const { DEDUP_LEXICAL_THRESHOLD: TH, DEDUP_MIN_COUNT } = loadConfig({});
const sim = (a: string, b: string) => dot(lexicalSignature(a), lexicalSignature(b));

const tickets = ["part-a.jsonl", "part-b.jsonl"].flatMap((f) =>
  readFileSync(new URL(`../../tools/model/data/raw/${f}`, import.meta.url), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: string; subject: string; body: string })
    .map((r) => ({ id: r.id, text: `${r.subject} ${r.body}` })),
);
const byId = new Map(tickets.map((t) => [t.id, t.text]));

describe("lexical signature", () => {
  it("is an L2-normalised Float32Array of LEXICAL_DIM, searchable exactly in int8, and deterministic", () => {
    expect(kernelIsExact(LEXICAL_DIM)).toBe(true);
    for (const text of ["Checkout down Checkout returns 503 for everyone.", tickets[0]!.text, "503", "", "Hi, thanks!"]) {
      const v = lexicalSignature(text);
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(LEXICAL_DIM);
      if (text) expect(Math.abs(dot(v, v) - 1)).toBeLessThan(1e-5);
      expect(Array.from(lexicalSignature(text))).toEqual(Array.from(v));
    }
  });

  it("scores an identical flood 1, even when cleaning leaves no word", () => {
    expect(sim("Checkout down Checkout returns 503 for everyone.", "Checkout down Checkout returns 503 for everyone.")).toBeCloseTo(1, 5);
    expect(sim("503 503", "503 503")).toBeCloseTo(1, 5);
  });

  it("drops what a templated flood varies: ids, amounts, emails, greetings, sign-offs, names", () => {
    expect(lexicalWords("Hi team, Checkout returns 503 for order #482913, customer Maria O'Brien. Thanks, Maria")).toEqual(
      lexicalWords("Hello, checkout returns 500 for order 118204 — customer John Smith! Best, John Smith (john@example.com)"),
    );
  });

  it("groups templated variants above the threshold", () => {
    const pairs: [string, string][] = [
      ["Checkout returns 503 for order #482913, customer Maria Lopez", "Hi team, Checkout returns 503 for order #118204, customer John Smith. Thanks, John"],
      ["Payment failed for order 55120 — card declined twice, amount $49.00", "Good morning, Payment failed for order 77812 — card declined twice, amount $1,240.50. Please help. Regards, Aisha Khan"],
      ["Cannot log in: SSO redirect loop since 9:00 for user wei.zhang@acme.io", "Dear Support, Cannot log in: SSO redirect loop since 14:00 for user olga@example.com. Still happening. Cheers!"],
      ["Urgent: API returns 500 on /v1/orders/4411, request id req_8fz2k", "Hey support, Urgent: API returns 500 on /v1/orders/9981, request id req_a01bq. Any update?"],
    ];
    for (const [a, b] of pairs) expect(sim(a, b), `${a} ~ ${b}`).toBeGreaterThan(TH);
  });

  it("keeps distinct labelled tickets apart, near paraphrases included", () => {
    // The nearest distinct pairs of the labelled set under the threshold (same topic, different request).
    for (const [a, b] of [["A-0369", "B-0071"], ["A-0017", "B-0342"], ["A-0071", "B-0198"], ["A-0359", "B-0179"], ["A-0219", "B-0438"]] as const)
      expect(sim(byId.get(a)!, byId.get(b)!), `${a} ~ ${b}`).toBeLessThan(TH);
    // Over the whole set: a handful of paraphrase pairs above it, never a ticket with DEDUP_MIN_COUNT neighbours.
    const V = tickets.map((t) => lexicalSignature(t.text));
    const neighbours = V.map(() => 0);
    let pairs = 0;
    for (let i = 0; i < V.length; i++)
      for (let k = i + 1; k < V.length; k++)
        if (dot(V[i]!, V[k]!) > TH) {
          pairs++;
          neighbours[i]!++;
          neighbours[k]!++;
        }
    expect(pairs).toBeLessThanOrEqual(5);
    expect(Math.max(...neighbours)).toBeLessThan(DEDUP_MIN_COUNT);
  });

  it("does not let a long joined text match strangers: only its own parts can come near", () => {
    const V = tickets.map((t) => lexicalSignature(t.text));
    const half = tickets.length >> 1;
    let checked = 0;
    for (let i = 0; i < half; i += 3) {
      const text = `${tickets[i]!.text} ${tickets[i + half]!.text}`;
      if (text.length < 400 || text.length > 1000) continue;
      checked++;
      const j = lexicalSignature(text);
      for (let k = 0; k < V.length; k++) {
        if (k === i || k === i + half) continue;
        expect(dot(j, V[k]!), `${tickets[i]!.id}+${tickets[i + half]!.id} ~ ${tickets[k]!.id}`).toBeLessThan(TH);
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
