import { afterEach, describe, expect, it } from "vitest";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { getAgent, listAgents, listAssignments, patchAgent, registerAgent } from "../../layers/core/services/agents.js";
import { listActivity } from "../../layers/core/services/activity.js";
import { getIncident, listIncidents, resolve } from "../../layers/core/services/incidents.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { clearAll, getTicket, popNext } from "../../layers/core/services/queue.js";
import { dropPrefix, eventually, testConfig } from "../support/runtime.js";
import { calm, urgent } from "../support/tickets.js";
import { startWorker } from "../support/worker.js";
import { dedupApply } from "../../layers/core/store/lua/dedup-apply.js";
import { storeProcessed } from "../../layers/core/store/lua/store-processed.js";
import { routeTickets } from "../../layers/core/services/routing.js";
import { StoreUnavailableError, type RedisPort } from "../../layers/core/store/redis-port.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function runtime(env: Record<string, string> = {}, consumer?: string): LocalRuntime {
  // Floods are not what these tests are about: identical texts must stay individual tickets.
  const config = testConfig({ DEDUP_MIN_COUNT: "100000", ...env });
  const rt = createLocalRuntime(config, { consumer });
  cleanups.push(async () => {
    await rt.close();
    await dropPrefix(config.REDIS_PREFIX);
  });
  return rt;
}
const techAgent = (agent_id: string, cap: number) => ({ agent_id, skill_vector: { tech: 0.9, billing: 0.1, legal: 0 }, max_concurrent_tickets: cap });
const processed = async (rt: LocalRuntime) => Number((await rt.redis.hgetall(rt.keys.counters)).tickets_processed_total ?? 0);

describe("skill-based routing on real Redis", () => {
  it("never books an agent past capacity with 2 concurrent workers; the rest waits in the backlog", async () => {
    // Batches of 32, so the two workers really share the 60 (one deep batch would take them all).
    const a = runtime({ WORKER_DEEP_BATCH_SIZE: "32" }, "w-a");
    const b = runtime({ WORKER_DEEP_BATCH_SIZE: "32", REDIS_PREFIX: a.config.REDIS_PREFIX }, "w-b");
    await registerAgent(a, techAgent("A1", 5));
    await registerAgent(a, { ...techAgent("A2", 5), skill_vector: { tech: 0.5, billing: 0.5, legal: 0 } });
    const tickets = Array.from({ length: 60 }, (_, i) => (i % 2 ? urgent(`r-${i}`) : calm(`r-${i}`)));
    await acceptTickets(a, tickets);
    const workers = [startWorker(a), startWorker(b)];
    let maxLoad = 0;
    await eventually(async () => {
      for (const ag of await listAgents(a)) {
        maxLoad = Math.max(maxLoad, ag.current_load);
        expect((await a.redis.smembers(a.keys.agentTickets(ag.agent_id))).length).toBeLessThanOrEqual(5);
      }
      return (await processed(a)) === 60;
    }, 30_000);
    await Promise.all(workers.map((w) => w.stop()));
    expect(maxLoad).toBeLessThanOrEqual(5);
    expect((await listAgents(a)).map((x) => x.current_load)).toEqual([5, 5]);
    expect(await a.redis.zcard(a.keys.backlog)).toBe(50);
    expect(await listAssignments(a, 100)).toHaveLength(10);
    // Every assigned ticket is urgent: the most urgent were placed first.
    for (const asg of await listAssignments(a, 100)) expect((await getTicket(a, asg.ticket_id)).is_urgent).toBe(true);
  });

  it("gives capacity back on pop and drains the backlog in urgency order", async () => {
    const rt = runtime();
    await registerAgent(rt, techAgent("A1", 2));
    // Submitted calm first, so urgency, not arrival, must decide who leaves the backlog first.
    await acceptTickets(rt, [calm("c-0"), calm("c-1"), calm("c-2"), urgent("u-0"), urgent("u-1"), urgent("u-2")]);
    const worker = startWorker(rt);
    await eventually(async () => (await processed(rt)) === 6);
    await worker.stop();
    await rt.bus.drain();
    const assignedNow = async () => (await listAssignments(rt, 100)).map((x) => x.ticket_id).sort();
    expect(await assignedNow()).toEqual(["u-0", "u-1"]);

    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = new Set(await assignedNow());
      await popNext(rt);
      const fresh = (await assignedNow()).filter((id) => !before.has(id));
      order.push(...fresh);
      expect((await getAgent(rt, "A1")).current_load).toBeLessThanOrEqual(2);
    }
    expect(order).toEqual(["u-2", "c-0", "c-1", "c-2"]);
    const types = (await listActivity(rt, 200)).map((e) => e.type);
    expect(types.filter((t) => t === "ticket_assigned_to_agent")).toHaveLength(6);
  });

  it("gives an offline agent nothing, and routes to it once it comes online", async () => {
    const rt = runtime();
    await registerAgent(rt, { ...techAgent("OFF", 5), status: "offline" });
    await acceptTickets(rt, [urgent("o-1"), calm("o-2")]);
    const worker = startWorker(rt);
    await eventually(async () => (await processed(rt)) === 2);
    await worker.stop();
    expect((await getAgent(rt, "OFF")).current_load).toBe(0);
    expect(await rt.redis.zcard(rt.keys.backlog)).toBe(2);

    await patchAgent(rt, "OFF", { status: "online" });
    expect((await getAgent(rt, "OFF")).current_load).toBe(2);
    expect(await rt.redis.zcard(rt.keys.backlog)).toBe(0);
  });

  it("drains the backlog when an agent registers or gets more capacity", async () => {
    const rt = runtime();
    await acceptTickets(rt, [urgent("g-1"), urgent("g-2"), urgent("g-3")]);
    const worker = startWorker(rt);
    await eventually(async () => (await processed(rt)) === 3);
    await worker.stop();
    expect(await rt.redis.zcard(rt.keys.backlog)).toBe(3);
    await registerAgent(rt, techAgent("NEW", 1));
    expect((await getAgent(rt, "NEW")).current_load).toBe(1);
    await patchAgent(rt, "NEW", { max_concurrent_tickets: 3 });
    expect((await getAgent(rt, "NEW")).current_load).toBe(3);
    expect(await rt.redis.zcard(rt.keys.backlog)).toBe(0);
  });

  it("leaves every load at 0 and no assignment after DELETE /queue", async () => {
    const rt = runtime();
    await registerAgent(rt, techAgent("A1", 2));
    await acceptTickets(rt, [urgent("d-1"), urgent("d-2"), urgent("d-3")]);
    const worker = startWorker(rt);
    await eventually(async () => (await processed(rt)) === 3);
    await worker.stop();
    await clearAll(rt);
    expect((await getAgent(rt, "A1")).current_load).toBe(0);
    expect(await listAssignments(rt, 100)).toEqual([]);
    expect(await rt.redis.zcard(rt.keys.backlog)).toBe(0);
    expect(await rt.redis.smembers(rt.keys.agentTickets("A1"))).toEqual([]);
  });

  it("gives a master incident one owner and one unit; its tickets ride along, earlier units come back", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "3" });
    await registerAgent(rt, techAgent("A1", 10));
    const flood = (i: number) => ({ ticket_id: `fl-${i}`, subject: "Checkout down", body: "Checkout returns 503 for everyone." });
    // Three arrive one by one and are assigned individually (no incident yet: 3 is not more than 3).
    for (let i = 0; i < 3; i++) {
      await acceptTickets(rt, [flood(i)]);
      const w = startWorker(rt);
      await eventually(async () => (await processed(rt)) === i + 1);
      await w.stop();
    }
    expect((await getAgent(rt, "A1")).current_load).toBe(3);

    // The fourth makes the incident: its owner holds one unit, the three individual units come back.
    await acceptTickets(rt, [flood(3), flood(4)]);
    const w = startWorker(rt);
    await eventually(async () => (await processed(rt)) === 5);
    await w.stop();
    const [incident] = await listIncidents(rt, 10);
    expect(incident).toMatchObject({ ticket_count: 5, agent_id: "A1" });
    expect((await getAgent(rt, "A1")).current_load).toBe(1);
    for (let i = 0; i < 5; i++) expect((await getTicket(rt, `fl-${i}`))).toMatchObject({ agent_id: "A1", status: "assigned" });

    // Popping a ridden-along ticket frees nothing; resolving the incident frees the owner's unit.
    await popNext(rt);
    expect((await getAgent(rt, "A1")).current_load).toBe(1);
    await resolve(rt, incident!.incident_id);
    expect((await getAgent(rt, "A1")).current_load).toBe(0);
    expect((await getIncident(rt, incident!.incident_id)).status).toBe("resolved");
  });

  it("routes a batch without a round trip per ticket: its reads and backlog inserts go out together", async () => {
    const rt = runtime();
    const ids = Array.from({ length: 30 }, (_, i) => `rt-${i}`);
    await acceptTickets(rt, ids.map(calm));
    const stored = { category: "Technical", urgency_score: "0.3", model: "baseline", processed_at: new Date().toISOString() };
    for (const [i, id] of ids.entries()) await storeProcessed(rt.redis, rt.keys, id, i, stored);
    // Counts the Redis calls under way at once (routing one ticket at a time never had more than one).
    let inFlight = 0;
    let most = 0;
    const counted = new Proxy(rt.redis, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          most = Math.max(most, ++inFlight);
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            inFlight--;
          }
        };
      },
    }) as RedisPort;
    await routeTickets({ ...rt, redis: counted }, ids, new Map(ids.map((id, i) => [id, i])));
    expect(most).toBeGreaterThanOrEqual(ids.length);
    // Nobody is online: every ticket waits in the backlog and is marked routed.
    expect(await rt.redis.zrevrange(rt.keys.backlog, 0, -1)).toHaveLength(ids.length);
    for (const id of ids) expect(await rt.redis.hget(rt.keys.ticket(id), "routed")).toBe("1");
  });

  it("fails a batch whose Redis goes away mid-routing with that error alone, nothing left unhandled", async () => {
    const rt = runtime();
    await registerAgent(rt, techAgent("A1", 5));
    await acceptTickets(rt, [calm("down-0"), calm("down-1")]);
    const stored = { category: "Technical", urgency_score: "0.3", model: "baseline", processed_at: new Date().toISOString() };
    await storeProcessed(rt.redis, rt.keys, "down-0", 2, stored);
    await storeProcessed(rt.redis, rt.keys, "down-1", 1, stored);
    // The more urgent one was declined by the only agent: it goes to the backlog, the next one to A1.
    await rt.redis.hset(rt.keys.ticket("down-0"), { declined: JSON.stringify(["A1"]) });
    // Redis is gone once routing starts writing: the backlog insert fails later than the assignment does.
    const down = new Proxy(rt.redis, {
      get(target, name, receiver) {
        if (name !== "run") return Reflect.get(target, name, receiver) as unknown;
        return async (script: { name: string }) => {
          await new Promise((r) => setTimeout(r, script.name.startsWith("backlog") ? 50 : 0));
          throw new StoreUnavailableError("redis went away");
        };
      },
    }) as RedisPort;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await expect(routeTickets({ ...rt, redis: down }, ["down-0", "down-1"], new Map([["down-0", 2], ["down-1", 1]]))).rejects.toThrow("redis went away");
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
    // Neither is marked routed: the batch comes back and is routed again.
    for (const id of ["down-0", "down-1"]) expect(await rt.redis.hget(rt.keys.ticket(id), "routed")).toBeNull();
  });

  it("records a ticket to its incident's owner when the owner was chosen while it was being classified", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "3" });
    const flood = (i: number) => ({ ticket_id: `race-${i}`, subject: "Checkout down", body: "Checkout returns 503 for everyone." });
    await acceptTickets(rt, [0, 1, 2, 3].map(flood));
    const w = startWorker(rt);
    await eventually(async () => (await processed(rt)) === 4);
    await w.stop();
    const [incident] = await listIncidents(rt, 10);
    expect(incident!.agent_id).toBeNull(); // nobody to own it yet

    // Another worker links ticket 4 (still being classified) ...
    await acceptTickets(rt, [flood(4)]);
    await dedupApply(rt.redis, rt.keys, "race-4", { action: "link", incident_id: incident!.incident_id }, new Date());
    // ... an agent appears and takes the incident before ticket 4 is stored ...
    await registerAgent(rt, techAgent("OWNER", 5));
    expect((await getIncident(rt, incident!.incident_id)).agent_id).toBe("OWNER");
    expect(await rt.redis.hget(rt.keys.ticket("race-4"), "agent_id")).toBeNull();
    // ... then ticket 4 is stored and routed: it joins the owner, without a unit of its own.
    await storeProcessed(rt.redis, rt.keys, "race-4", 1, { category: "Technical", urgency_score: "0.5", model: "baseline", processed_at: new Date().toISOString() });
    await routeTickets(rt, ["race-4"], new Map([["race-4", 1]]));
    expect(await getTicket(rt, "race-4")).toMatchObject({ agent_id: "OWNER", status: "assigned" });
    expect((await getAgent(rt, "OWNER")).current_load).toBe(1);
  });
});
