import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import { TicketIn } from "../../layers/core/domain/schemas.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getCorrection } from "../../layers/core/store/corrections.js";
import { processAll } from "../support/pipeline.js";
import { eventually, startApi, startRuntime, type TestSystem } from "../support/runtime.js";
import { rawJson } from "../support/raw-http.js";

// POST /tickets/{id}/label and GET /tickets/{id}/similar over HTTP, on real Redis with the real model. The API
// runs without a worker of its own; tickets are processed by workers started for the purpose (processAll), so
// a ticket can be left unprocessed on purpose.
const API_KEY = "corrections-key";
// Ids that need escaping in a path, or look like another id escaped, or like key syntax.
const HOSTILE = ["a/b", "a%2Fb", "%2F", "Ünïcödé", "😀", "..", "{ss}", ":", "x:tickets"];

interface Api {
  sys: TestSystem;
  base: string;
  close(): Promise<void>;
}
async function startApiOnly(env: Record<string, string>): Promise<Api> {
  const sys = startRuntime({ API_KEY, DEDUP_MIN_COUNT: "100000", ...env });
  const api = await startApi(sys.rt);
  return { sys, base: api.base, close: async () => (await api.close(), await sys.close()) };
}

const caller =
  (api: () => Api) =>
  (method: string, path: string, body?: unknown, auth: string | null = `Bearer ${API_KEY}`) =>
    rawJson(api().base, method, path, body, auth ? { authorization: auth } : {});
/** One path segment: percent-encoded, dots too, so "." and ".." stay ids rather than dot segments. */
const p = (id: string) => encodeURIComponent(id).replace(/\./g, "%2E");

const BILLING = { subject: "Charged twice", body: "I was charged twice for my subscription this month. Please refund the duplicate charge." };
const BILLING_AGAIN = { subject: "Double charge", body: "My card was charged two times for the subscription this month, please refund one of the charges." };
const UNRELATED = { subject: "Dark mode", body: "Is there a way to switch the dashboard to dark mode?" };

let main: Api;
const call = caller(() => main);
const rtOf = (api: Api): LocalRuntime => api.sys.rt;

beforeAll(async () => {
  main = await startApiOnly({ LEARNING_RETRAIN_EVERY: "0" });
  expect(HOSTILE.every((id) => TicketIn.shape.ticket_id.safeParse(id).success)).toBe(true);
  // Accepted while no worker runs: it stays unprocessed until the first processAll below.
  await acceptTickets(rtOf(main), [{ ticket_id: "waiting", ...UNRELATED }]);
}, 60_000);
afterAll(() => main?.close());

describe("POST /tickets/{ticket_id}/label", () => {
  it("needs the API key, refuses bad bodies naming what is wrong, 404s unknown and 409s unprocessed tickets", async () => {
    const label = (id: string, body: unknown, auth?: string | null) => call("POST", `/tickets/${p(id)}/label`, body, auth);
    expect((await label("waiting", { urgent: true }, null)).status).toBe(401);
    expect((await label("waiting", { urgent: true }, "Bearer wrong")).status).toBe(403);

    expect(await label("waiting", "{not json")).toMatchObject({ status: 400, json: { detail: expect.stringMatching(/not valid JSON/) } });
    expect(await label("waiting", {})).toMatchObject({ status: 422, json: { detail: expect.stringMatching(/give category, urgent or both/) } });
    expect(await label("waiting", { category: "Sales" })).toMatchObject({ status: 422, json: { errors: [{ field: "body.category", message: expect.any(String) }] } });
    expect(await label("waiting", { urgent: "yes" })).toMatchObject({ status: 422, json: { detail: expect.stringMatching(/urgent must be true or false/) } });
    expect(await label("waiting", { category: "Billing", priority: 3 })).toMatchObject({ status: 422, json: { detail: expect.stringMatching(/priority/) } });

    expect(await label("nobody", { urgent: true })).toMatchObject({ status: 404, json: { detail: "Ticket 'nobody' not found" } });
    expect(await label("waiting", { urgent: true })).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/'waiting' is not processed yet \(accepted\).*nothing to correct/) } });
    expect((await call("GET", "/tickets/waiting")).json).toMatchObject({ status: "accepted", correction: null });
  });

  it("records the correction beside the model's answer, shows both on the ticket, and replaces it on a second label", async () => {
    await processAll(rtOf(main), [{ ticket_id: "T-1", ...BILLING }, { ticket_id: "T-2", ...BILLING_AGAIN }, { ticket_id: "T-3", ...UNRELATED }]);
    const before = (await call("GET", "/tickets/T-1")).json;
    expect(before).toMatchObject({ ticket_id: "T-1", status: "processed", model: "transformer", correction: null });

    const first = await call("POST", "/tickets/T-1/label", { category: "Legal", urgent: true });
    // CONTRACT.md: the ticket with its correction; the ticket's own fields keep the model's answer.
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ ...before, correction: { category: "Legal", urgent: true, corrected_at: expect.any(String) } });
    const second = await call("POST", "/tickets/T-1/label", { urgent: false });
    expect(second.json.correction).toEqual({ urgent: false, corrected_at: expect.any(String) });
    const after = (await call("GET", "/tickets/T-1")).json;
    // The model's answer stays the ticket's; the correction is beside it.
    expect(after).toMatchObject({ category: before.category, urgency_score: before.urgency_score, correction: { urgent: false, corrected_at: second.json.correction.corrected_at } });
    expect(after.correction.category).toBeUndefined();

    await rtOf(main).bus.drain();
    const events = (await call("GET", "/activity?limit=1000")).json.events.filter((e: { type: string }) => e.type === "ticket_relabelled");
    expect(events.map((e: { data: { correction: unknown } }) => e.data.correction)).toEqual(
      expect.arrayContaining([{ category: "Legal", urgent: true, corrected_at: expect.any(String) }, { urgent: false, corrected_at: expect.any(String) }]),
    );
  });

  it("labels every hostile id as its own record and no other", async () => {
    await processAll(rtOf(main), HOSTILE.map((ticket_id, i) => ({ ticket_id, subject: `Question ${i}`, body: "How do I export a report?" })));
    const labelled = HOSTILE.filter((_, i) => i % 2 === 0);
    for (const id of labelled) {
      const r = await call("POST", `/tickets/${p(id)}/label`, { category: "Legal" });
      expect(r.status, id).toBe(200);
      expect(r.json.ticket_id).toBe(id);
    }
    for (const id of HOSTILE) {
      const t = (await call("GET", `/tickets/${p(id)}`)).json;
      expect(t.ticket_id, id).toBe(id);
      expect(t.correction, id).toEqual(labelled.includes(id) ? { category: "Legal", corrected_at: expect.any(String) } : null);
    }
    // An id that only looks like another one's escape, or like its key, is unknown.
    for (const id of ["a%252Fb", "{ss}:corrections", "a", "b"]) expect((await call("POST", `/tickets/${p(id)}/label`, { urgent: true })).status, id).toBe(404);
  });
});

describe("GET /tickets/{ticket_id}/similar", () => {
  it("ranks a near-duplicate above an unrelated ticket, with cosine, category, status and correction", async () => {
    const r = await call("GET", "/tickets/T-2/similar");
    expect(r.status).toBe(200);
    const ids = r.json.map((i: { ticket_id: string }) => i.ticket_id);
    expect(ids).not.toContain("T-2");
    expect(ids.length).toBe(5);
    expect(ids[0]).toBe("T-1");
    const [near] = r.json;
    expect(near).toEqual({ ticket_id: "T-1", cosine: expect.any(Number), category: "Billing", status: "processed", source: "window", correction: { urgent: false } });
    const full = (await call("GET", "/tickets/T-2/similar?limit=50")).json;
    const unrelated = full.find((i: { ticket_id: string }) => i.ticket_id === "T-3");
    expect(unrelated).toMatchObject({ source: "window", correction: null });
    expect(near.cosine).toBeGreaterThan(unrelated.cosine);
    expect(full.map((i: { cosine: number }) => i.cosine)).toEqual([...full.map((i: { cosine: number }) => i.cosine)].sort((a, b) => b - a));
    expect((await call("GET", "/tickets/T-2/similar?limit=1")).json).toHaveLength(1);
  });

  it("answers 422 for a bad limit, 404 for an unknown ticket, 409 for one with no embedding that is not processed", async () => {
    expect((await call("GET", "/tickets/T-2/similar?limit=0")).status).toBe(422);
    expect((await call("GET", "/tickets/T-2/similar?limit=51")).status).toBe(422);
    expect(await call("GET", "/tickets/nobody/similar")).toMatchObject({ status: 404, json: { detail: "Ticket 'nobody' not found" } });
    await acceptTickets(rtOf(main), [{ ticket_id: "still-waiting", ...UNRELATED }]);
    expect(await call("GET", "/tickets/still-waiting/similar")).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/not processed yet/) } });
  });

  it("answers for hostile ids without ever listing the ticket itself", async () => {
    for (const id of HOSTILE) {
      const r = await call("GET", `/tickets/${p(id)}/similar?limit=50`);
      expect(r.status, id).toBe(200);
      const ids = r.json.map((i: { ticket_id: string }) => i.ticket_id);
      expect(ids, id).not.toContain(id);
      // The other hostile tickets share this one's text: they come first.
      expect(new Set(ids.slice(0, HOSTILE.length - 1)), id).toEqual(new Set(HOSTILE.filter((h) => h !== id)));
    }
  });
});

describe("similar tickets beyond the dedup window", () => {
  let short: Api;
  const callShort = caller(() => short);
  beforeAll(async () => {
    short = await startApiOnly({ DEDUP_WINDOW_SECONDS: "1" });
  });
  afterAll(() => short?.close());

  it("finds a labelled example older than the window, above an unrelated labelled one, and stores the embedding it used", async () => {
    const rt = rtOf(short);
    await processAll(rt, [{ ticket_id: "old-billing", ...BILLING }, { ticket_id: "old-other", ...UNRELATED }]);
    expect((await callShort("POST", "/tickets/old-billing/label", { category: "Billing", urgent: true })).status).toBe(200);
    expect((await callShort("POST", "/tickets/old-other/label", { category: "Technical" })).status).toBe(200);
    // Recorded without an embedding (the API holds no model); a similar-tickets look-up fills it in.
    expect((await getCorrection(rt, "old-billing"))!.embedding).toBeNull();
    for (const id of ["old-billing", "old-other"]) expect((await callShort("GET", `/tickets/${id}/similar`)).status).toBe(200);
    const filled = (await getCorrection(rt, "old-billing"))!.embedding!;
    expect(Math.hypot(...filled)).toBeCloseTo(1, 4);

    await eventually(async () => {
      await rt.dedup.sync();
      const window = rt.dedup.embeddingWindow();
      return !window.get("old-billing") && !window.get("old-other");
    });
    await processAll(rt, [{ ticket_id: "new", ...BILLING_AGAIN }]);
    const items = (await callShort("GET", "/tickets/new/similar")).json;
    expect(items.map((i: { ticket_id: string }) => i.ticket_id)).toEqual(["old-billing", "old-other"]);
    expect(items[0]).toEqual({
      ticket_id: "old-billing",
      cosine: expect.any(Number),
      category: "Billing",
      status: "processed",
      source: "labelled",
      correction: { category: "Billing", urgent: true },
    });
    expect(items[0].cosine).toBeGreaterThan(items[1].cosine);
    expect(items[1]).toMatchObject({ source: "labelled", correction: { category: "Technical" } });
  });
});
