import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHeldOutCorrection, PROMOTION_MARGINS } from "../../layers/core/ml/learning/guard.js";
import { learningThreadAvailable } from "../../layers/core/ml/learning/learning-thread.js";
import { listCorrections } from "../../layers/core/store/corrections.js";
import { eventually, startSystem, type TestSystem } from "../support/runtime.js";
import { rawJson } from "../support/raw-http.js";

// The whole loop on the local system, real Redis and the real model: tickets processed by the worker, agents'
// corrections through POST /tickets/{id}/label, a manual retrain run by the worker (the fit in its learning
// thread), the version listed with its metrics and promoted — or refused — by the guard, the worker scoring
// with the new version, and a rollback.
//
// The pattern (as MODEL_CARD.md's invoice scenario): for this customer a calm ticket about an invoice that
// finance needs tomorrow is urgent; the shipped heads call such tickets not urgent.
const API_KEY = "loop-key";
let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem({ API_KEY, DEDUP_MIN_COUNT: "100000", LEARNING_RETRAIN_EVERY: "0" });
});
afterAll(() => system.close());

const GREETINGS = ["Hi,", "Hello,", "Good morning,"];
const REQUESTS = [
  "could you send me a copy of invoice {n}?",
  "invoice {n} is missing our VAT number, could you reissue it?",
  "please add purchase order PO-{n} to the latest invoice.",
  "could you put our new billing address on invoice {n}?",
  "invoice {n} lists more seats than we use, can you check it?",
  "is it possible to get invoice {n} in euros instead of dollars?",
  "could you split invoice {n} between our two cost centres?",
  "please address invoice {n} to our finance team rather than to me.",
  "could you explain the usage line on invoice {n}?",
  "would you resend invoice {n}? I can't find it in my inbox.",
  "can invoice {n} show the subscription period as well?",
];
const REASONS = ["Our accountant needs it tomorrow.", "Finance closes the books tomorrow.", "I'm submitting it for approval tomorrow.", "The auditor asks for it tomorrow."];
/** The i-th invoice ticket (11 requests × 4 reasons: 44 distinct texts before they repeat with other numbers). */
const invoiceTicket = (i: number) => ({
  subject: `Invoice ${1000 + 7 * i}`,
  body: `${GREETINGS[i % 3]} ${REQUESTS[i % 11]!.replace("{n}", String(1000 + 7 * i))} ${REASONS[i % 4]} Thanks!`,
});

const get = async (path: string) => (await fetch(`${system.base}${path}`)).json();
const post = (path: string, body?: unknown) => rawJson(system.base, "POST", path, body, { authorization: `Bearer ${API_KEY}` });

type Ticket = { ticket_id: string; is_urgent: boolean; urgency_score: number; heads_version?: string; status: string };
async function processTickets(ids: number[], prefix: string): Promise<Ticket[]> {
  for (const i of ids) expect((await post("/tickets", { ticket_id: `${prefix}-${i}`, ...invoiceTicket(i) })).status).toBe(202);
  return Promise.all(
    ids.map((i) =>
      eventually(async () => {
        const t = (await get(`/tickets/${prefix}-${i}`)) as Ticket;
        return t.status !== "accepted" ? t : undefined;
      }, 60_000),
    ),
  );
}

type Version = {
  version: string;
  source: string;
  promoted: boolean;
  active: boolean;
  corrections: number;
  based_on: string | null;
  reasons: string[];
  metrics: {
    heldout: { category_accuracy: number; urgency_accuracy: number; urgency_auc: number };
    corrections?: { fields: number; fixed: number; broken: number; p_value: number; log_loss: number; current_log_loss: number };
  };
};
/** Queues a manual retrain and waits for the worker to store its version. */
async function retrain(): Promise<Version> {
  const queued = await post("/models/retrain");
  expect(queued).toMatchObject({ status: 202, json: { status: "queued" } });
  const before = ((await get("/models")).versions as Version[]).length;
  return eventually(async () => {
    const { versions } = (await get("/models")) as { versions: Version[] };
    return versions.length > Math.max(before, 1) ? versions[0] : undefined;
  }, 180_000);
}

const TRAINING = Array.from({ length: 44 }, (_, i) => i);
const UNSEEN = Array.from({ length: 16 }, (_, i) => 100 + i);

describe("learning from corrections, end to end", () => {
  let v1: Version;

  it("the shipped heads score the pattern not urgent; v1 is listed with its held-out figures", async () => {
    expect(learningThreadAvailable()).toBe(true);
    const tickets = await processTickets(TRAINING, "INV");
    expect(tickets.every((t) => t.heads_version === "v1")).toBe(true);
    expect(tickets.filter((t) => !t.is_urgent).length).toBeGreaterThanOrEqual(40);
    v1 = await eventually(async () => ((await get("/models")).versions as Version[]).find((v) => v.version === "v1"));
    expect(v1).toMatchObject({ source: "shipped", promoted: true, active: true });
  });

  it("refuses a candidate trained on too few corrections, and keeps scoring with v1", async () => {
    // Four corrections, one of them held out: the guard cannot tell a pattern from chance with so few.
    for (const i of TRAINING.slice(0, 4)) expect((await post(`/tickets/INV-${i}/label`, { urgent: true })).status).toBe(200);
    const v2 = await retrain();
    expect(v2).toMatchObject({ version: "v2", source: "retrained", promoted: false, active: false, based_on: "v1" });
    expect(v2.reasons.join(" ")).toContain("held-out corrected field");
    expect(v2.metrics.corrections?.fields).toBe(1);
    expect((await get("/models")).active).toBe("v1");
    const [after] = await processTickets([UNSEEN[0]!], "AFTER-V2");
    expect(after!.heads_version).toBe("v1");
  });

  it("promotes a candidate that learns the pattern and keeps the shipped figures; the worker scores with it", async () => {
    for (const i of TRAINING.slice(4)) expect((await post(`/tickets/INV-${i}/label`, { urgent: true })).status).toBe(200);
    const heldOut = TRAINING.filter((i) => isHeldOutCorrection(`INV-${i}`)).length;
    const v3 = await retrain();
    expect(v3).toMatchObject({ version: "v3", source: "retrained", based_on: "v1", corrections: TRAINING.length - heldOut });
    // The guard's verdict, checked against the figures it stored.
    const judged = v3.metrics.corrections!;
    expect(judged.fields).toBe(heldOut);
    expect(judged.log_loss).toBeLessThan(judged.current_log_loss);
    expect(judged.broken).toBe(0);
    expect(judged.fixed).toBeGreaterThanOrEqual(5);
    expect(v3.metrics.heldout.category_accuracy).toBeGreaterThanOrEqual(v1.metrics.heldout.category_accuracy - PROMOTION_MARGINS.categoryAccuracy);
    expect(v3.metrics.heldout.urgency_accuracy).toBeGreaterThanOrEqual(v1.metrics.heldout.urgency_accuracy - PROMOTION_MARGINS.urgencyAccuracy);
    expect(v3.metrics.heldout.urgency_auc).toBeGreaterThanOrEqual(v1.metrics.heldout.urgency_auc - PROMOTION_MARGINS.urgencyAuc);
    expect(v3).toMatchObject({ promoted: true, active: true, reasons: [] });

    // Corrections recorded without an embedding got one from the worker's encoder, stored for the next retrain.
    const corrections = await listCorrections(system.rt);
    expect(corrections).toHaveLength(TRAINING.length);
    expect(corrections.every((c) => c.embedding?.length === 384)).toBe(true);
    // Every job was taken and acknowledged.
    expect(await system.rt.redis.xlen(system.rt.keys.retrainJobs)).toBe(0);

    const unseen = await eventually(async () => {
      const ts = await processTickets(UNSEEN.slice(1), `UNSEEN-${Date.now()}`);
      return ts.every((t) => t.heads_version === "v3") ? ts : undefined;
    }, 60_000);
    expect(unseen.filter((t) => t.is_urgent).length).toBeGreaterThanOrEqual(Math.ceil(0.8 * unseen.length));
    const types = (await get("/activity?limit=500")).events.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === "heads_retrained")).toHaveLength(2);
    expect(types.filter((t: string) => t === "retrain_requested")).toHaveLength(2);
  }, 300_000);

  it("rolls back to v1: the worker scores the pattern not urgent again", async () => {
    expect(await post("/models/v1/activate")).toEqual({ status: 200, json: { active: "v1", previous: "v3" } });
    const back = await eventually(async () => {
      const ts = await processTickets(UNSEEN.slice(1, 6), `BACK-${Date.now()}`);
      return ts.every((t) => t.heads_version === "v1") ? ts : undefined;
    }, 60_000);
    expect(back.filter((t) => t.is_urgent).length).toBeLessThanOrEqual(1);
    const { active, versions } = (await get("/models")) as { active: string; versions: Version[] };
    expect(active).toBe("v1");
    expect(versions.map((v) => [v.version, v.active, v.promoted])).toEqual([
      ["v3", false, true],
      ["v2", false, false],
      ["v1", true, true],
    ]);
  });
});
