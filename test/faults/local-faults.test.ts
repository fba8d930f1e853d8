import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startProcess, type SystemProcess } from "../support/processes.js";
import { startReceiver } from "../support/receiver.js";
import { freePort, startRedis } from "../support/redis-server.js";
import { eventually } from "../support/runtime.js";
import { URGENT_TEXT } from "../support/tickets.js";

// The system as users run it — `npm run api` and `npm run worker` processes — on a Redis of this file's own,
// which the tests kill, restart and pause.
let redisPort: number;
let redis: ChildProcess;
const procs: SystemProcess[] = [];
const API_KEY = "fault-suite-key";

beforeAll(async () => {
  redisPort = await freePort();
  redis = await startRedis(redisPort);
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill("SIGKILL")));
  await new Redis(redisPort).flushall().catch(() => {}); // each test starts empty
});
afterAll(() => {
  redis?.kill("SIGKILL");
});

const env = (extra: Record<string, string> = {}) => ({
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  REDIS_PREFIX: "faults:",
  API_KEY,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: "2",
  EVENT_VISIBILITY_TIMEOUT_SECONDS: "2",
  ...extra,
});
async function api(extra: Record<string, string> = {}) {
  const port = await freePort();
  const p = await startProcess("api", env({ PORT: String(port), ...extra }));
  procs.push(p);
  return { proc: p, base: `http://127.0.0.1:${port}` };
}
async function worker(extra: Record<string, string> = {}) {
  const p = await startProcess("worker", env(extra));
  procs.push(p);
  return p;
}
const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(body) });
const status = async (base: string, id: string) => ((await (await fetch(`${base}/tickets/${encodeURIComponent(id)}`)).json()) as { status?: string }).status;
/** Submits until accepted (the API answers 503 while Redis is away). */
async function submit(base: string, ticket: { ticket_id: string; subject: string; body: string }) {
  await eventually(async () => (await post(base, "/tickets", ticket).catch(() => null))?.status === 202, 30_000);
}

describe("faults, with the real processes", () => {
  it("Redis killed and restarted empty: everything accepted afterwards is processed, without restarting anything", async () => {
    const { base } = await api();
    await worker();
    for (let i = 0; i < 5; i++) await submit(base, { ticket_id: `before-${i}`, subject: "Login broken", body: `Cannot login (${i})` });
    await eventually(async () => (await Promise.all([0, 1, 2, 3, 4].map((i) => status(base, `before-${i}`)))).every((s) => s === "processed"), 60_000);

    redis.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    redis = await startRedis(redisPort); // nothing on disk: an empty Redis
    for (let i = 0; i < 5; i++) await submit(base, { ticket_id: `after-${i}`, subject: "Invoice wrong", body: `VAT number missing (${i})` });
    await eventually(async () => (await Promise.all([0, 1, 2, 3, 4].map((i) => status(base, `after-${i}`)))).every((s) => s === "processed"), 60_000);
    const health = (await (await fetch(`${base}/health`)).json()) as { redis: string };
    expect(health.redis).toBe("ok");
  }, 180_000);

  it("CLIENT PAUSE: the API answers 503 with a clear detail while Redis does not answer, then recovers by itself", async () => {
    const { base } = await api();
    expect((await fetch(`${base}/queue/size`)).status).toBe(200);
    const admin = new Redis(redisPort);
    // Long enough that a request slowed by a busy machine still lands inside it (the client times out at 2 s).
    await admin.call("CLIENT", "PAUSE", "15000", "ALL");
    try {
      const paused = await fetch(`${base}/queue/size`);
      expect(paused.status).toBe(503);
      expect(((await paused.json()) as { detail: string }).detail).toMatch(/unavailable/i);
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ redis: "unreachable" });
    } finally {
      await admin.call("CLIENT", "UNPAUSE");
      await admin.quit();
    }
    await eventually(async () => (await fetch(`${base}/queue/size`)).status === 200, 30_000);
  }, 60_000);

  it("a dead webhook target holds few sockets, SIGTERM exits within the grace period, and the deliveries left are made later", async () => {
    // A black hole: accepts connections, never answers.
    const sockets = new Set<unknown>();
    let peak = 0;
    const hole: Server = createServer(() => {});
    hole.on("connection", (s) => {
      sockets.add(s);
      peak = Math.max(peak, sockets.size);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => hole.listen(0, "127.0.0.1", r));
    const holeUrl = `http://127.0.0.1:${(hole.address() as AddressInfo).port}/hook`;
    try {
      // No incident (DEDUP_MIN_COUNT 1000): each of the 30 look-alike urgent tickets owes its own alert.
      const { base } = await api({ WEBHOOK_URL: holeUrl, WEBHOOK_CONCURRENCY: "4", DEDUP_MIN_COUNT: "1000" });
      const w = await worker({ WEBHOOK_URL: holeUrl, WEBHOOK_CONCURRENCY: "4", WEBHOOK_TIMEOUT_MS: "60000", SHUTDOWN_GRACE_MS: "1000", DEDUP_MIN_COUNT: "1000" });
      const ids = Array.from({ length: 30 }, (_, i) => `urgent-${i}`);
      const r = await post(base, "/tickets/batch", ids.map((ticket_id, i) => ({ ticket_id, ...URGENT_TEXT, body: `${URGENT_TEXT.body} (${i})` })));
      expect(r.status).toBe(202);
      await eventually(async () => sockets.size >= 4, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(peak).toBeLessThanOrEqual(4 + 4); // the API process delivers too: 4 each at most

      const admin = new Redis(redisPort);
      const consumers = async () => ((await admin.xinfo("CONSUMERS", "faults:{ss}:intake", "classifiers")) as unknown[]).length;
      expect(await consumers()).toBe(1);
      const started = Date.now();
      const code = await w.kill("SIGTERM");
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000); // it waited 15 s for the dead target before
      expect(await consumers()).toBe(0); // a stopped worker leaves the intake group
      await admin.quit();

      // The deliveries it abandoned are still owed: a new worker with a live receiver makes them.
      const receiver = await startReceiver();
      try {
        await procs.find((p) => p.child.pid !== w.child.pid)!.kill("SIGKILL"); // the API, still aiming at the hole
        await worker({ WEBHOOK_URL: receiver.url, DEDUP_MIN_COUNT: "1000" });
        const delivered = () => new Set(receiver.received.map((d) => String(d.headers["x-smartsupport-delivery"])));
        await eventually(async () => ids.every((id) => delivered().has(`high_urgency:${id}`)), 90_000);
      } finally {
        await receiver.close();
      }
    } finally {
      hole.closeAllConnections();
      hole.close();
    }
  }, 240_000);

  it("a worker killed with SIGKILL right after storing a ticket: its events and its webhook still arrive, once per delivery id", async () => {
    const receiver = await startReceiver();
    try {
      const { base } = await api({ WEBHOOK_URL: receiver.url });
      const frozen = await worker({ WEBHOOK_URL: receiver.url, TEST_PAUSE_AFTER_STORE: "killed-1" });
      await submit(base, { ticket_id: "killed-1", ...URGENT_TEXT });
      await frozen.waitFor(/test hook: paused after storing/);
      await frozen.kill("SIGKILL");
      procs.splice(procs.indexOf(frozen), 1);
      await worker({ WEBHOOK_URL: receiver.url });

      // The record comes back to the new worker, which finds the ticket stored and routes what is left.
      await eventually(async () => (await status(base, "killed-1")) === "processed", 60_000);
      await eventually(async () => receiver.received.length > 0, 60_000);
      await new Promise((r) => setTimeout(r, 3_000)); // longer than the event visibility timeout: any redelivery is in
      const ids = receiver.received.map((d) => String(d.headers["x-smartsupport-delivery"]));
      expect(new Set(ids)).toEqual(new Set(["high_urgency:killed-1"]));
      const activity = (await (await fetch(`${base}/activity?limit=100`)).json()) as { events: { type: string; data: { ticket_id?: string } }[] };
      const processed = activity.events.filter((e) => e.type === "ticket_processed" && e.data.ticket_id === "killed-1");
      expect(processed.length).toBeGreaterThanOrEqual(1);
      const queue = (await (await fetch(`${base}/queue`)).json()) as { ticket_id: string }[];
      expect(queue.filter((t) => t.ticket_id === "killed-1")).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  }, 180_000);

  it("a worker killed with SIGKILL holding records of both lanes: another worker reclaims them, every ticket is processed", async () => {
    const { base } = await api();
    // 30 reports of one outage in one batch: 10 go to the main lane, the rest to the flood lane. The worker
    // takes them in one batch (the main lane runs dry, the flood lane fills it) and freezes inside it.
    const ids = Array.from({ length: 30 }, (_, i) => `lanes-${i}`);
    const frozen = await worker({ TEST_PAUSE_AFTER_STORE: "lanes-20" });
    const accepted = await post(base, "/tickets/batch", ids.map((ticket_id, i) => ({ ticket_id, subject: "Checkout down", body: `Checkout returns 503 for order #${4000 + i}` })));
    expect(accepted.status).toBe(202);
    await frozen.waitFor(/test hook: paused after storing/);
    const admin = new Redis(redisPort);
    try {
      const pending = async (lane: string) => Number(((await admin.xpending(`faults:{ss}:${lane}`, "classifiers")) as [number])[0]);
      expect(await pending("intake")).toBeGreaterThan(0);
      expect(await pending("intake:flood")).toBeGreaterThan(0);
      await frozen.kill("SIGKILL");
      procs.splice(procs.indexOf(frozen), 1);
      await worker();
      // The frozen worker had stored some of them; the records of all of them come back to the new worker.
      await eventually(async () => (await pending("intake")) + (await pending("intake:flood")) === 0, 60_000);
      for (const id of ids) await eventually(async () => (await status(base, id)) === "processed", 60_000);
      expect(await admin.xlen("faults:{ss}:intake")).toBe(0);
      expect(await admin.xlen("faults:{ss}:intake:flood")).toBe(0);
      const metrics = (await (await fetch(`${base}/metrics`)).json()) as { tickets_flood_lane_total: number; tickets_processed_total: number };
      expect(metrics.tickets_flood_lane_total).toBe(20);
    } finally {
      await admin.quit();
    }
  }, 180_000);

  it("2 API processes and 2 workers with concurrent pops: no agent over capacity, every ticket served once, no backlog left", async () => {
    // No incidents (an incident's owner keeps a unit until it is resolved): every unit is a ticket's.
    const noFloods = { DEDUP_MIN_COUNT: "1000" };
    const apis = [await api(noFloods), await api(noFloods)];
    await worker(noFloods);
    await worker(noFloods);
    const [a, b] = apis.map((x) => x.base) as [string, string];
    for (const [i, skill] of (["tech", "billing", "legal"] as const).entries()) {
      const r = await post(a, "/agents", { agent_id: `agent-${i}`, skill_vector: { tech: 0, billing: 0, legal: 0, [skill]: 1 }, max_concurrent_tickets: 2 });
      expect(r.status).toBe(200);
    }
    const ids = Array.from({ length: 40 }, (_, i) => `pop-${i}`);
    const texts = ["Login fails with error 500", "I was charged twice this month", "Please send the signed DPA"];
    const accepted = await post(b, "/tickets/batch", ids.map((ticket_id, i) => ({ ticket_id, subject: "Help", body: `${texts[i % 3]} (${i})` })));
    expect(accepted.status).toBe(202);

    const popped: string[] = [];
    let overCapacity = 0;
    const popper = async (base: string) => {
      while (popped.length < ids.length) {
        const r = await fetch(`${base}/tickets/next`, { headers: { authorization: `Bearer ${API_KEY}` } });
        if (r.status === 200) popped.push(((await r.json()) as { ticket_id: string }).ticket_id);
        else await new Promise((w) => setTimeout(w, 50));
      }
    };
    const watcher = (async () => {
      while (popped.length < ids.length) {
        const agents = (await (await fetch(`${a}/agents`)).json()) as { current_load: number; max_concurrent_tickets: number }[];
        overCapacity += agents.filter((g) => g.current_load > g.max_concurrent_tickets).length;
        await new Promise((w) => setTimeout(w, 100));
      }
    })();
    await Promise.race([
      Promise.all([popper(a), popper(b), popper(a), popper(b), watcher]),
      new Promise((_, fail) => setTimeout(() => fail(new Error(`popped ${popped.length} of ${ids.length}`)), 150_000)),
    ]);
    expect(overCapacity).toBe(0);
    expect([...popped].sort()).toEqual([...ids].sort()); // each exactly once
    const metrics = (await (await fetch(`${b}/metrics`)).json()) as { backlog_size: number; queue_size: number };
    expect(metrics).toMatchObject({ backlog_size: 0, queue_size: 0 });
    const agents = (await (await fetch(`${a}/agents`)).json()) as { current_load: number }[];
    expect(agents.map((g) => g.current_load)).toEqual([0, 0, 0]);
  }, 240_000);
});
