import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem, type TestSystem } from "../support/runtime.js";
import { CALM_TEXT, URGENT_TEXT } from "../support/tickets.js";

let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${system.base}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
};

describe("seed walkthrough (milestones 1–2)", () => {
  it("health answers ok with the breaker state", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "ok", redis: "ok", circuit_breaker: { state: "closed", opened_at: null, half_open_probes: 0 } });
  });

  it("scores urgency without queueing", async () => {
    const r = await call("POST", "/urgency-score", { text: "Everything is broken ASAP" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ is_urgent: true, model: "transformer" });
    expect(r.json.urgency_score).toBeGreaterThan(0.5);
    const calm = await call("POST", "/urgency-score", { text: "How do I export a report?" });
    expect(calm.json).toMatchObject({ is_urgent: false, model: "transformer" });
    expect((await call("GET", "/queue/size")).json).toEqual({ size: 0 });
  });

  it("accepts a ticket with 202, processes it, serves it from the queue", async () => {
    const r = await call("POST", "/tickets", { ticket_id: "T-1", subject: "Login broken", body: "Cannot login." });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ ticket_id: "T-1", message: "Accepted for processing" });
    expect(r.json.job_id).toEqual(expect.any(String));

    const t = await eventually(async () => {
      const got = await call("GET", "/tickets/T-1");
      return got.json.status === "processed" ? got.json : undefined;
    });
    expect(t).toMatchObject({ ticket_id: "T-1", category: "Technical", model: "transformer", job_id: r.json.job_id });
    // How urgent "Login broken" is, is the model's call (0.43 with the 2026-11-26 heads); the contract is the threshold.
    expect(t.is_urgent).toBe(t.urgency_score >= 0.5);
    expect(t.priority_score).toBe(Math.round(10 * t.urgency_score));

    expect((await call("GET", "/queue/size")).json).toEqual({ size: 1 });
    const listed = await call("GET", "/queue");
    expect(listed.json.map((x: { ticket_id: string }) => x.ticket_id)).toEqual(["T-1"]);
    expect((await call("GET", "/tickets/peek")).json.ticket_id).toBe("T-1");
    const popped = await call("GET", "/tickets/next");
    expect(popped.status).toBe(200);
    expect(popped.json).toMatchObject({ ticket_id: "T-1", category: "Technical", urgency_score: t.urgency_score, incident_id: null, agent_id: null });
    expect((await call("GET", "/tickets/next")).json).toEqual({ detail: "No tickets in queue" });
    expect((await call("GET", "/tickets/peek")).status).toBe(404);
    expect((await call("GET", "/tickets/T-1")).json.status).toBe("popped");
  });

  it("generates an id when none is given", async () => {
    const r = await call("POST", "/tickets", { subject: "Invoice copy", body: "Could you resend invoice 12?" });
    expect(r.status).toBe(202);
    expect(r.json.ticket_id).toMatch(/^tkt_/);
  });

  it("accepts a batch in request order, then clears the queue", async () => {
    const items = [
      { ticket_id: "B-1", ...CALM_TEXT },
      { ticket_id: "B-2", ...URGENT_TEXT },
    ];
    const r = await call("POST", "/tickets/batch", items);
    expect(r.status).toBe(202);
    expect(r.json.accepted.map((a: { ticket_id: string }) => a.ticket_id)).toEqual(["B-1", "B-2"]);
    await eventually(async () => (await call("GET", "/tickets/B-1")).json.status === "processed");
    await eventually(async () => (await call("GET", "/tickets/B-2")).json.status === "processed");
    expect((await call("GET", "/queue?limit=1")).json.map((t: { ticket_id: string }) => t.ticket_id)).toEqual(["B-2"]);
    expect(await call("DELETE", "/queue")).toMatchObject({ status: 200, json: { status: "queue cleared" } });
    expect((await call("GET", "/queue/size")).json).toEqual({ size: 0 });
  });

  it("lists activity newest first and shows counters in /metrics", async () => {
    const r = await call("GET", "/activity?limit=3");
    expect(r.status).toBe(200);
    expect(r.json.events).toHaveLength(3);
    expect(r.json.events[0].type).toBe("queue_cleared");
    const m = await call("GET", "/metrics");
    expect(m.json).toMatchObject({ queue_size: 0, circuit_breaker: { state: "closed" } });
    expect(m.json.tickets_processed_total).toBeGreaterThanOrEqual(3);
  });

  it("serves the OpenAPI document and the docs page", async () => {
    const doc = await call("GET", "/openapi.json");
    expect(doc.json.openapi).toBe("3.0.3");
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(["/tickets", "/tickets/{ticket_id}", "/queue"]));
    expect(doc.json.paths["/tickets"].post.requestBody.content["application/json"].schema.required).toEqual(["subject", "body"]);
    const page = await fetch(`${system.base}/docs`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("openapi.json");
  });
});

describe("bad input", () => {
  it("400 for a body that is not JSON", async () => {
    const r = await call("POST", "/tickets", "{not json");
    expect(r.status).toBe(400);
    expect(r.json.detail).toMatch(/not valid JSON/);
  });

  it("413 for a body over 64 KiB", async () => {
    const r = await call("POST", "/tickets", { subject: "big", body: "x".repeat(70 * 1024) });
    expect(r.status).toBe(413);
    expect(r.json.detail).toMatch(/65536 bytes/);
  });

  it("422 naming missing and empty fields", async () => {
    const r = await call("POST", "/tickets", { subject: "" });
    expect(r.status).toBe(422);
    expect(r.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(["body.body", "body.subject"]);
  });

  it("422 naming the invalid item of a batch, accepting none of it", async () => {
    const r = await call("POST", "/tickets/batch", [
      { ticket_id: "NB-1", subject: "ok", body: "fine" },
      { ticket_id: "NB-2", subject: "ok" },
    ]);
    expect(r.status).toBe(422);
    expect(r.json.detail).toContain("body[1].body");
    expect((await call("GET", "/tickets/NB-1")).status).toBe(404);
  });

  it("422 for a batch over 1000 items or not an array", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ subject: "s", body: `b${i}` }));
    expect((await call("POST", "/tickets/batch", many)).status).toBe(422);
    expect((await call("POST", "/tickets/batch", { subject: "s", body: "b" })).status).toBe(422);
  });

  it("replays the same id + payload, 409 for another payload", async () => {
    const t = { ticket_id: "I-1", subject: "Refund", body: "please" };
    const first = await call("POST", "/tickets", t);
    const again = await call("POST", "/tickets", t);
    expect(again).toMatchObject({ status: 202, json: { job_id: first.json.job_id } });
    const other = await call("POST", "/tickets", { ...t, body: "something else" });
    expect(other.status).toBe(409);
    expect(other.json.detail).toContain("I-1");
  });

  it("409 names the conflicting batch item and accepts none of the batch", async () => {
    await call("POST", "/tickets", { ticket_id: "C-1", subject: "a", body: "b" });
    const r = await call("POST", "/tickets/batch", [
      { ticket_id: "C-NEW", subject: "a", body: "b" },
      { ticket_id: "C-1", subject: "a", body: "different" },
    ]);
    expect(r.status).toBe(409);
    expect(r.json.detail).toContain("items[1]");
    expect((await call("GET", "/tickets/C-NEW")).status).toBe(404);
  });

  it("404 for an unknown ticket or route, 405 for a wrong method", async () => {
    expect(await call("GET", "/tickets/nope")).toMatchObject({ status: 404, json: { detail: "Ticket 'nope' not found" } });
    expect((await call("GET", "/nowhere")).status).toBe(404);
    const r = await call("PUT", "/queue");
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toContain("DELETE");
  });

  it("422 for an out-of-range limit", async () => {
    const r = await call("GET", "/queue?limit=5000");
    expect(r.status).toBe(422);
    expect(r.json.errors[0].field).toBe("query.limit");
  });
});
