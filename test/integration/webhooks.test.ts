import { createHmac } from "node:crypto";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listActivity } from "../../layers/core/services/activity.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { eventually, startRuntime, type TestSystem } from "../support/runtime.js";
import { startReceiver } from "../support/receiver.js";
import { calm, urgent } from "../support/tickets.js";
import { startWorker } from "../support/worker.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function system(env: Record<string, string>): TestSystem {
  const s = startRuntime({ WEBHOOK_BACKOFF_MS: "20", WEBHOOK_TIMEOUT_MS: "500", ...env });
  cleanups.push(() => s.close());
  return s;
}
async function receiver(respond?: (n: number) => number | "hang") {
  const r = await startReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}


/** A receiver that answers with `respond` (raw), counting requests. */
async function startReceiverWith(respond: (res: import("node:http").ServerResponse) => void) {
  const { createServer: createHttpServer } = await import("node:http");
  const state = { hits: 0, url: "" };
  const server = createHttpServer((req, res) => {
    state.hits++;
    req.resume().on("end", () => respond(res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/hook`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return state;
}

async function processOne(s: TestSystem, ticket: { ticket_id: string; subject: string; body: string }) {
  await acceptTickets(s.rt, [ticket]);
  const worker = startWorker(s.rt);
  await eventually(async () => (await getTicket(s.rt, ticket.ticket_id)).status === "processed");
  await worker.stop();
}

describe("webhooks", () => {
  it.each([
    ["generic", (b: Record<string, unknown>) => expect(b).toMatchObject({ type: "high_urgency", ticket: { ticket_id: "W-1" } })],
    ["slack", (b: Record<string, unknown>) => expect(b.text).toContain("W-1")],
    ["discord", (b: Record<string, unknown>) => expect(b.content).toContain("W-1")],
  ] as const)("posts a high-urgency ticket in the %s format", async (format, check) => {
    const r = await receiver();
    const s = system({ WEBHOOK_URL: r.url, WEBHOOK_FORMAT: format });
    await processOne(s, urgent("W-1"));
    await s.rt.bus.drain();
    expect(r.received).toHaveLength(1);
    check(JSON.parse(r.received[0]!.body));
    expect(r.received[0]!.headers["x-smartsupport-delivery"]).toBe("high_urgency:W-1");
    expect(r.received[0]!.headers["x-smartsupport-signature"]).toBeUndefined();
  });

  it("never follows a redirect: a 307 is a failure, and the signed body goes nowhere else", async () => {
    const elsewhere = await receiver();
    const redirecting = await startReceiverWith((res) => res.writeHead(307, { location: elsewhere.url }).end());
    const s = system({ WEBHOOK_URL: redirecting.url, WEBHOOK_SECRET: "s3cret" });
    await processOne(s, urgent("W-R"));
    await s.rt.bus.drain();
    expect(redirecting.hits).toBe(1); // a 3xx is not retried either
    expect(elsewhere.received).toHaveLength(0);
    const failed = await eventually(async () => (await listActivity(s.rt, 50)).find((e) => e.type === "webhook_failed"));
    expect(String(failed.data.error)).toContain("307");
  });

  it("signs the body with HMAC-SHA256 when a secret is set", async () => {
    const r = await receiver();
    const s = system({ WEBHOOK_URL: r.url, WEBHOOK_SECRET: "s3cret" });
    await processOne(s, urgent("W-2"));
    await s.rt.bus.drain();
    const { body, headers } = r.received[0]!;
    const expected = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`;
    expect(headers["x-smartsupport-signature"]).toBe(expected);
  });

  it("does not fire for a ticket at or under S = 0.8", async () => {
    const r = await receiver();
    const s = system({ WEBHOOK_URL: r.url });
    await processOne(s, calm("W-3"));
    await s.rt.bus.drain();
    expect(r.received).toHaveLength(0);
  });

  it("retries a failing target with the same delivery id and body", async () => {
    const r = await receiver((n) => (n < 3 ? 503 : 200));
    const s = system({ WEBHOOK_URL: r.url, WEBHOOK_MAX_ATTEMPTS: "4" });
    await processOne(s, urgent("W-4"));
    await s.rt.bus.drain();
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.headers["x-smartsupport-delivery"]))).toEqual(new Set(["high_urgency:W-4"]));
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
    const events = await listActivity(s.rt, 50);
    expect(events.some((e) => e.type === "webhook_failed")).toBe(false);
  });

  it("does not retry a 4xx refusal, and reports the failure", async () => {
    const r = await receiver(() => 400);
    const s = system({ WEBHOOK_URL: r.url, WEBHOOK_MAX_ATTEMPTS: "4" });
    await processOne(s, urgent("W-5"));
    await s.rt.bus.drain();
    expect(r.received).toHaveLength(1);
    const failed = (await listActivity(s.rt, 50)).find((e) => e.type === "webhook_failed");
    expect(failed?.data).toMatchObject({ delivery_id: "high_urgency:W-5", attempts: 1, error: "HTTP 400" });
  });

  it("gives up on a dead target after its attempts and emits webhook_failed", async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const s = system({ WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, WEBHOOK_MAX_ATTEMPTS: "3" });
    await processOne(s, urgent("W-6"));
    await s.rt.bus.drain();
    const failed = (await listActivity(s.rt, 50)).find((e) => e.type === "webhook_failed");
    expect(failed?.data).toMatchObject({ delivery_id: "high_urgency:W-6", attempts: 3, webhook: "high_urgency" });
  });

  it("never holds up classification while a target hangs", async () => {
    const r = await receiver(() => "hang");
    const s = system({ WEBHOOK_URL: r.url, WEBHOOK_TIMEOUT_MS: "60000", WEBHOOK_MAX_ATTEMPTS: "1" });
    await acceptTickets(s.rt, [urgent("H-1")]);
    const worker = startWorker(s.rt);
    await eventually(async () => r.received.length === 1);
    // The first webhook is still unanswered; the worker goes on with the next tickets regardless.
    await acceptTickets(s.rt, [urgent("H-2"), urgent("H-3")]);
    await eventually(async () => (await getTicket(s.rt, "H-3")).status === "processed");
    expect((await getTicket(s.rt, "H-2")).status).toBe("processed");
    await worker.stop();
    await r.close();
  });
});
