import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem } from "../support/runtime.js";
import { runSchemathesis, type Exclusion } from "../support/schemathesis.js";

// Each entry switches one check off for one operation; README "OpenAPI conformance" explains every one.
// False positives of schemathesis itself:
const FALSE_POSITIVES: Exclusion[] = [
  {
    check: "allow_header_conformance",
    operationId: "submitTicketBatch",
    why: "OPTIONS /tickets/batch: GET /tickets/batch is GET /tickets/{ticket_id} with the id 'batch', so Allow rightly lists GET too",
  },
  {
    check: "negative_data_rejection",
    operationId: "urgencyScore",
    why: "the coverage phase's 'missing required property: text' case goes out as {\"text\":\"0\",\"body\":{}}, a valid body",
  },
];
// Real gaps: a zod refinement the JSON Schema cannot show. They need layers/core/domain/schemas.ts (not ours);
// each entry goes once its schema carries the constraint (README "OpenAPI conformance", "Awaiting").
const AWAITING_SCHEMA_FIX: Exclusion[] = ["registerAgent", "updateAgent"].map((operationId) => ({
  check: "positive_data_acceptance" as const,
  operationId,
  why: "skill_vector must not be all zero: written as JSON Schema (`not` or `anyOf`), schemathesis cannot generate bodies from it",
}));

// An opaque page token is valid only when the server handed it out (Link header); schemathesis invents
// schema-valid strings the server rightly rejects. Derived from the document: every operation with ?cursor=.
async function cursorExclusions(base: string): Promise<Exclusion[]> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string }[] }>>;
  };
  return Object.values(doc.paths)
    .flatMap((ops) => Object.values(ops))
    .filter((op) => op.parameters?.some((p) => p.in === "query" && p.name === "cursor"))
    .map((op) => ({ check: "positive_data_acceptance", operationId: op.operationId, why: "an invented ?cursor= is rightly rejected" }));
}

const API_KEY = "schemathesis-key";
let sys: Awaited<ReturnType<typeof startSystem>>;
beforeAll(async () => {
  sys = await startSystem({ API_KEY });
});
afterAll(async () => {
  await sys?.close();
});

describe("OpenAPI conformance (schemathesis, every check)", () => {
  it("finds no failure on any operation", { timeout: 240_000 }, async () => {
    const r = await runSchemathesis({
      base: sys.base,
      headers: { Authorization: `Bearer ${API_KEY}` },
      // Per operation and phase; with a fixed seed the run is the same every time (~30 s on 2 cores).
      maxExamples: 25,
      seed: 12,
      exclusions: [...FALSE_POSITIVES, ...(await cursorExclusions(sys.base)), ...AWAITING_SCHEMA_FIX],
      workDir: join(process.cwd(), ".cache", "schemathesis-runs", randomUUID().slice(0, 8)),
      timeoutMs: 200_000,
    });
    const summary = r.output.slice(r.output.lastIndexOf("SUMMARY"));
    expect(r.code, r.output.slice(-30_000)).toBe(0);
    expect(summary).toMatch(/Tested:\s+\d+/);
  });
});
