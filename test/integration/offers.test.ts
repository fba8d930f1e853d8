import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import { oneHot } from "../../layers/core/domain/classification.js";
import { queueScore } from "../../layers/core/domain/queue-score.js";
import type { Category } from "../../layers/core/domain/schemas.js";
import { AppError } from "../../layers/core/errors.js";
import { listActivity } from "../../layers/core/services/activity.js";
import {
  agentNext,
  agentOffersPage,
  answerOffer,
  getAgent,
  listAgents,
  listAssignments,
  patchAgent,
  registerAgent,
  resolveTicket,
} from "../../layers/core/services/agents.js";
import { getIncident } from "../../layers/core/services/incidents.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { clearAll, getTicket, popNext } from "../../layers/core/services/queue.js";
import { drainBacklog, routeTickets, sweepExpiredOffers } from "../../layers/core/services/routing.js";
import { dedupApply } from "../../layers/core/store/incidents.js";
import { getTicketRecord, storeProcessed } from "../../layers/core/store/tickets.js";
import { processAll, testRuntimes } from "../support/pipeline.js";
import { urgent } from "../support/tickets.js";

const { runtime } = testRuntimes();
// Floods are not what these tests are about: identical texts must stay individual tickets.
const offersOn = (env: Record<string, string> = {}) => ({ DEDUP_MIN_COUNT: "100000", ROUTING_OFFERS: "true", ...env });
/** Two runtimes (two workers, two API processes) on one prefix. */
function pair(env: Record<string, string> = {}): [LocalRuntime, LocalRuntime] {
  const a = runtime(offersOn(env), "w-a");
  const b = runtime({ ...offersOn(env), REDIS_PREFIX: a.config.REDIS_PREFIX }, "w-b");
  return [a, b];
}

/** An agent strong (`match`) in one skill, with the rest in billing (a tech agent) or tech (the others). */
const agent = (agent_id: string, cap: number, skill: "tech" | "billing" | "legal" = "tech", match = 0.9) => {
  const skill_vector = { tech: 0, billing: 0, legal: 0 };
  skill_vector[skill === "tech" ? "billing" : "tech"] = Math.round((1 - match) * 10) / 10;
  skill_vector[skill] = match;
  return { agent_id, skill_vector, max_concurrent_tickets: cap };
};

/** Stores tickets as the worker would have classified them (no model needed), returns their queue scores. */
async function stored(rt: LocalRuntime, specs: { id: string; s?: number; category?: Category }[]): Promise<Map<string, number>> {
  await acceptTickets(rt, specs.map((x) => ({ ticket_id: x.id, subject: "Login broken", body: "Cannot login." })));
  const scores = new Map<string, number>();
  for (const x of specs) {
    const s = x.s ?? 0.5;
    const category = x.category ?? "Technical";
    const score = queueScore(s, Number((await getTicketRecord(rt, x.id)).seq ?? 0));
    const fields = { category, urgency_score: String(s), model: "baseline", probabilities: JSON.stringify(oneHot(category)), processed_at: new Date().toISOString() };
    expect(await storeProcessed(rt.redis, rt.keys, x.id, score, fields)).toBe("stored");
    scores.set(x.id, score);
  }
  return scores;
}
async function route(rt: LocalRuntime, specs: { id: string; s?: number; category?: Category }[]) {
  const scores = await stored(rt, specs);
  await routeTickets(rt, [...scores.keys()], scores);
}

const load = async (rt: LocalRuntime, id: string) => (await getAgent(rt, id)).current_load;
const offeredTo = async (rt: LocalRuntime, ticketId: string) => {
  const h = await getTicketRecord(rt, ticketId);
  return h.offer_status === "pending" ? h.offer_agent_id : null;
};
const offerIds = async (rt: LocalRuntime, agentId: string) => (await agentOffersPage(rt, agentId, 1000)).items.map((o) => o.ticket_id);
const eventsOf = async (rt: LocalRuntime, type: string) => {
  await rt.bus.drain();
  return (await listActivity(rt, 1000)).filter((e) => e.type === type).map((e) => e.data);
};
/** Waits until the ticket's offer deadline has passed (the offer itself stays pending until a sweep). */
async function pastDeadline(rt: LocalRuntime, ticketId: string) {
  const deadline = Number((await getTicketRecord(rt, ticketId)).offer_expires_ms);
  while (Date.now() <= deadline) await new Promise((r) => setTimeout(r, Math.max(5, deadline - Date.now() + 5)));
}
const status = async (p: Promise<unknown>) => {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof AppError) return e.status;
    throw e;
  }
};

describe("offers (ROUTING_OFFERS=true) on real Redis", () => {
  it("the worker offers a processed ticket instead of assigning it; the unit is held from the offer; accept assigns it", async () => {
    const [a, b] = pair();
    await registerAgent(a, agent("A1", 3));
    await processAll([a, b], [urgent("o-1")]);
    expect(await getTicket(a, "o-1")).toMatchObject({ status: "offered", agent_id: null });
    expect(await load(a, "A1")).toBe(1);
    expect(await listAssignments(a, 10)).toEqual([]);
    const [offer] = (await agentOffersPage(b, "A1", 10)).items;
    expect(offer).toMatchObject({ ticket_id: "o-1", ticket: { ticket_id: "o-1", agent_id: null } });
    expect(Date.parse(offer!.expires_at) - Date.parse(offer!.offered_at)).toBe(120_000);

    expect(await answerOffer(b, "A1", "o-1", "accept")).toMatchObject({ status: "assigned", agent_id: "A1" });
    expect(await load(a, "A1")).toBe(1);
    expect(await offerIds(a, "A1")).toEqual([]);
    expect((await listAssignments(a, 10)).map((x) => x.ticket_id)).toEqual(["o-1"]);
    // Accepted: answering again is a conflict, whichever the answer.
    expect(await status(answerOffer(a, "A1", "o-1", "accept"))).toBe(409);
    expect(await status(answerOffer(a, "A1", "o-1", "reject"))).toBe(409);
    expect(await eventsOf(a, "ticket_offered")).toEqual([expect.objectContaining({ ticket_id: "o-1", agent_id: "A1" })]);
    expect(await eventsOf(a, "offer_accepted")).toEqual([{ ticket_id: "o-1", agent_id: "A1" }]);
    expect(await eventsOf(a, "ticket_assigned_to_agent")).toEqual([{ ticket_id: "o-1", agent_id: "A1", incident_id: null }]);
  });

  it("an offer expires (1 s) and goes to the next agent; two workers sweeping at once expire it once", async () => {
    const [a, b] = pair({ ROUTING_OFFER_TIMEOUT_SECONDS: "1" });
    await registerAgent(a, agent("BEST", 2, "tech", 0.9));
    await registerAgent(a, agent("NEXT", 2, "tech", 0.6));
    await registerAgent(a, agent("LAST", 2, "tech", 0.3));
    await route(a, [{ id: "x-1" }]);
    expect(await offeredTo(a, "x-1")).toBe("BEST");
    // Not due yet: a sweep changes nothing.
    expect(await sweepExpiredOffers(b)).toBe(0);
    expect(await offeredTo(a, "x-1")).toBe("BEST");

    await pastDeadline(a, "x-1");
    const expired = await Promise.all([sweepExpiredOffers(a), sweepExpiredOffers(b)]);
    expect(expired[0] + expired[1]).toBe(1);
    expect(await offeredTo(a, "x-1")).toBe("NEXT");
    expect(await getTicket(a, "x-1")).toMatchObject({ status: "offered" });
    expect([await load(a, "BEST"), await load(a, "NEXT"), await load(a, "LAST")]).toEqual([0, 1, 0]);
    expect(await offerIds(a, "BEST")).toEqual([]);
    expect(await offerIds(a, "NEXT")).toEqual(["x-1"]);
    // Past its deadline, an offer cannot be accepted any more (it is expired on the spot).
    expect(await status(answerOffer(b, "BEST", "x-1", "accept"))).toBe(409);

    await pastDeadline(a, "x-1");
    const again = await Promise.all([sweepExpiredOffers(b), sweepExpiredOffers(a)]);
    expect(again[0] + again[1]).toBe(1);
    expect(await offeredTo(a, "x-1")).toBe("LAST");
    await pastDeadline(a, "x-1");
    expect(await sweepExpiredOffers(a)).toBe(1);
    // Everyone let it expire: it waits in the backlog, nobody holds a unit for it.
    expect(await getTicket(a, "x-1")).toMatchObject({ status: "processed", agent_id: null });
    expect(await a.redis.zrevrange(a.keys.backlog, 0, -1)).toEqual(["t:x-1"]);
    expect((await listAgents(a)).map((x) => x.current_load)).toEqual([0, 0, 0]);
    expect((await eventsOf(a, "offer_expired")).map((e) => e.agent_id)).toEqual(["LAST", "NEXT", "BEST"]);

    // A new agent is someone who has not declined it.
    await registerAgent(b, agent("NEW", 1, "billing"));
    expect(await offeredTo(a, "x-1")).toBe("NEW");
    expect(await answerOffer(a, "NEW", "x-1", "accept")).toMatchObject({ status: "assigned", agent_id: "NEW" });
    expect(await a.redis.zcard(a.keys.offerDeadlines)).toBe(0);
  });

  it("a rejecting agent is never offered the same ticket again; the drain steps past it to other work", async () => {
    const [a, b] = pair();
    await registerAgent(a, agent("A1", 1, "tech", 0.9));
    await registerAgent(a, agent("A2", 1, "tech", 0.5));
    await route(a, [{ id: "r-1", s: 0.9 }]);
    expect(await offeredTo(a, "r-1")).toBe("A1");

    expect(await answerOffer(b, "A1", "r-1", "reject")).toMatchObject({ status: "offered" });
    expect(await offeredTo(a, "r-1")).toBe("A2");
    expect(await load(a, "A1")).toBe(0);
    expect(await answerOffer(a, "A2", "r-1", "reject")).toMatchObject({ status: "processed" });
    expect(await a.redis.zrevrange(a.keys.backlog, 0, -1)).toEqual(["t:r-1"]);
    expect(await getTicketRecord(a, "r-1")).toMatchObject({ declined: JSON.stringify(["A1", "A2"]) });

    // Both are free, but both declined r-1: a less urgent ticket behind it in the backlog goes to A1.
    await route(b, [{ id: "r-2", s: 0.1 }]);
    expect(await offeredTo(a, "r-2")).toBe("A1");
    await patchAgent(a, "A1", { max_concurrent_tickets: 5 });
    await patchAgent(b, "A2", { status: "offline" });
    await patchAgent(b, "A2", { status: "online" });
    expect(await drainBacklog(a)).toBe(0);
    expect(await offeredTo(a, "r-1")).toBeNull();
    expect(await a.redis.zrevrange(a.keys.backlog, 0, -1)).toEqual(["t:r-1"]);
    // Neither can take it on their own.
    expect(await status(answerOffer(a, "A1", "r-1", "accept"))).toBe(409);
    expect(await eventsOf(a, "offer_rejected")).toHaveLength(2);
  });

  it("answers 404 and 409 for offers that are not the agent's to answer", async () => {
    const [a] = pair();
    await registerAgent(a, agent("A1", 2));
    await registerAgent(a, agent("A2", 2, "billing"));
    await route(a, [{ id: "e-1" }]);
    await stored(a, [{ id: "never" }]);
    expect(await status(answerOffer(a, "nobody", "e-1", "accept"))).toBe(404);
    expect(await status(answerOffer(a, "A1", "no-ticket", "accept"))).toBe(404);
    expect(await status(answerOffer(a, "A1", "never", "reject"))).toBe(404);
    expect(await status(answerOffer(a, "A2", "e-1", "accept"))).toBe(409);
    expect(await status(answerOffer(a, "A2", "e-1", "reject"))).toBe(409);
    expect(await offeredTo(a, "e-1")).toBe("A1");
    // Popped while on offer: the offer is withdrawn with its unit.
    expect((await popNext(a)).ticket_id).toBe("e-1");
    expect(await load(a, "A1")).toBe(0);
    expect(await offerIds(a, "A1")).toEqual([]);
    expect(await status(answerOffer(a, "A1", "e-1", "accept"))).toBe(409);
    // Its deadline is dropped by the next sweep, which expires nothing.
    expect(await sweepExpiredOffers(a, new Date(Date.now() + 3_600_000))).toBe(0);
    expect(await a.redis.zcard(a.keys.offerDeadlines)).toBe(0);
  });

  it("incidents are owned at once; a ticket on offer that joins one gives its unit back", async () => {
    const [a, b] = pair();
    await registerAgent(a, agent("A1", 5));
    await route(a, [{ id: "f-1" }, { id: "f-2" }]);
    expect(await load(a, "A1")).toBe(2);
    // A flood forms around them; the incident has no owner yet when they are linked.
    await stored(b, [{ id: "f-3" }]);
    const made = await dedupApply(b.redis, b.keys, "f-3", { action: "create", incident_id: "inc-1", summary: "Checkout down", category: "Technical", space: "lexical", members: ["f-3", "f-1"] }, new Date());
    expect(made.outcome).toBe("created");
    await routeTickets(b, ["f-3"], new Map([["f-3", 1]]));
    // The incident went to A1 at once (offers or not) for one unit; f-1's offer was withdrawn with its unit.
    expect((await getIncident(a, "inc-1")).agent_id).toBe("A1");
    expect(await getTicket(a, "f-1")).toMatchObject({ status: "assigned", agent_id: "A1", incident_id: "inc-1" });
    expect(await offerIds(a, "A1")).toEqual(["f-2"]);
    expect(await load(a, "A1")).toBe(2); // the incident's unit and f-2's offer
    expect(await status(answerOffer(a, "A1", "f-1", "accept"))).toBe(409);

    // Linked into an incident nobody owns yet (its routing still to come): the offer is withdrawn when it
    // comes due, its unit back, and it is not handed to anyone else as a ticket of its own.
    await stored(b, [{ id: "f-4" }]);
    await dedupApply(b.redis, b.keys, "f-4", { action: "create", incident_id: "inc-2", summary: "Login down", category: "Technical", space: "lexical", members: ["f-4", "f-2"] }, new Date());
    expect(await sweepExpiredOffers(b, new Date(Date.now() + 3_600_000))).toBe(0);
    expect(await load(a, "A1")).toBe(1);
    expect(await offerIds(a, "A1")).toEqual([]);
    expect(await getTicketRecord(a, "f-2")).toMatchObject({ offer_status: "withdrawn", charged: "0", incident_id: "inc-2" });
    expect(await status(answerOffer(a, "A1", "f-2", "reject"))).toBe(409);
    await routeTickets(b, ["f-4"], new Map([["f-4", 1]]));
    expect((await getIncident(a, "inc-2")).agent_id).toBe("A1");
    expect(await getTicket(a, "f-2")).toMatchObject({ status: "assigned", agent_id: "A1" });
    expect(await load(a, "A1")).toBe(2);
  });
});

describe("finishing work", () => {
  it("resolve gives the unit back, drains the backlog, and agent next serves the most urgent assigned ticket", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "100000" });
    await registerAgent(rt, agent("A1", 2));
    await route(rt, [{ id: "calm", s: 0.2 }, { id: "hot", s: 0.9 }, { id: "mid", s: 0.5 }]);
    expect(await getTicket(rt, "hot")).toMatchObject({ status: "assigned", agent_id: "A1" });
    expect((await agentNext(rt, "A1")).ticket_id).toBe("hot");
    expect(await load(rt, "A1")).toBe(2);

    expect(await resolveTicket(rt, "hot")).toMatchObject({ status: "resolved", agent_id: "A1" });
    // The freed unit went to the backlog's ticket at once.
    expect(await getTicket(rt, "calm")).toMatchObject({ status: "assigned", agent_id: "A1" });
    expect(await load(rt, "A1")).toBe(2);
    expect((await agentNext(rt, "A1")).ticket_id).toBe("mid");
    expect(await rt.redis.zcard(rt.keys.queue)).toBe(2);
    expect(await rt.redis.smembers(rt.keys.agentTickets("A1"))).not.toContain("hot");

    // Resolving twice is harmless: one event, one unit.
    expect(await resolveTicket(rt, "hot")).toMatchObject({ status: "resolved" });
    await resolveTicket(rt, "mid");
    await resolveTicket(rt, "calm");
    expect(await load(rt, "A1")).toBe(0);
    expect(await status(agentNext(rt, "A1"))).toBe(404);
    expect(await status(agentNext(rt, "nobody"))).toBe(404);
    expect((await eventsOf(rt, "ticket_resolved")).map((e) => e.ticket_id)).toEqual(["calm", "mid", "hot"]);
    expect(Number((await rt.redis.hgetall(rt.keys.counters)).tickets_resolved_total)).toBe(3);

    // Unknown → 404; not processed yet or popped → 409.
    expect(await status(resolveTicket(rt, "nope"))).toBe(404);
    await acceptTickets(rt, [{ ticket_id: "raw", subject: "s", body: "b" }]);
    expect(await status(resolveTicket(rt, "raw"))).toBe(409);
    await route(rt, [{ id: "gone" }]);
    expect((await popNext(rt)).ticket_id).toBe("gone");
    expect(await status(resolveTicket(rt, "gone"))).toBe(409);
  });

  it("a ticket resolved while on offer gives the unit back; clearing the queue withdraws every offer", async () => {
    const rt = runtime(offersOn());
    await registerAgent(rt, agent("A1", 3));
    await route(rt, [{ id: "w-1" }, { id: "w-2" }, { id: "w-3" }]);
    expect(await offerIds(rt, "A1")).toHaveLength(3);
    await resolveTicket(rt, "w-1");
    expect(await load(rt, "A1")).toBe(2);
    expect(await status(answerOffer(rt, "A1", "w-1", "accept"))).toBe(409);
    await answerOffer(rt, "A1", "w-2", "accept");
    await clearAll(rt);
    expect(await load(rt, "A1")).toBe(0);
    expect(await offerIds(rt, "A1")).toEqual([]);
    expect(await status(answerOffer(rt, "A1", "w-3", "accept"))).toBe(409);
  });
});

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("capacity under concurrent offer, accept, reject, resolve, pop and sweep", () => {
  it("never books an agent past its capacity, and every unit is held by exactly one ticket", async () => {
    const [a, b] = pair({ ROUTING_OFFER_TIMEOUT_SECONDS: "1" });
    const caps: Record<string, number> = { T1: 3, T2: 2, B1: 3, L1: 2 };
    await registerAgent(a, agent("T1", caps.T1!, "tech", 0.9));
    await registerAgent(a, agent("T2", caps.T2!, "tech", 0.6));
    await registerAgent(a, agent("B1", caps.B1!, "billing", 0.9));
    await registerAgent(a, agent("L1", caps.L1!, "legal", 0.9));
    const categories: Category[] = ["Technical", "Billing", "Legal"];
    const ids = Array.from({ length: 120 }, (_, i) => `c-${i}`);
    const specs = ids.map((id, i) => ({ id, s: (i % 10) / 10, category: categories[i % 3]! }));
    const scores = await stored(a, specs);
    const half = ids.length / 2;
    await Promise.all([routeTickets(a, ids.slice(0, half), scores), routeTickets(b, ids.slice(half), scores)]);

    const rand = prng(16);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    let maxSeen = 0;
    const checkLoads = async () => {
      for (const ag of await listAgents(a)) {
        maxSeen = Math.max(maxSeen, ag.current_load - ag.max_concurrent_tickets);
        expect(ag.current_load).toBeLessThanOrEqual(ag.max_concurrent_tickets);
      }
    };
    const done: Record<string, number> = {};
    const count = async (what: string, p: Promise<unknown>) => {
      try {
        if ((await p) !== 0) done[what] = (done[what] ?? 0) + 1;
      } catch (e) {
        if (!(e instanceof AppError) || e.status >= 500) throw e;
      }
    };
    const op = async (rt: LocalRuntime) => {
      const r = rand();
      const agentId = pick(Object.keys(caps));
      if (r < 0.35) {
        // An answer to a pending offer, or to one that was just answered elsewhere (a 409).
        const offered = await offerIds(rt, agentId);
        const ticket = offered.length ? pick(offered) : pick(ids);
        const answer = rand() < 0.6 ? "accept" : "reject";
        await count(answer, answerOffer(rt, agentId, ticket, answer));
      } else if (r < 0.5) await count("resolve", resolveTicket(rt, pick(ids)));
      else if (r < 0.55) await count("pop", popNext(rt));
      else if (r < 0.7) await count("expire", sweepExpiredOffers(rt, new Date(Date.now() + 2_000)));
      else if (r < 0.8) await count("drain", drainBacklog(rt));
      else if (r < 0.9) await count("next", agentNext(rt, agentId));
      else await routeTickets(rt, [pick(ids), pick(ids)], scores);
    };
    for (let round = 0; round < 20; round++) {
      await Promise.all([...Array.from({ length: 24 }, (_, i) => op(i % 2 ? a : b)), checkLoads()]);
      await checkLoads();
    }
    expect(maxSeen).toBeLessThanOrEqual(0);
    // Each kind of move happened, many times over.
    for (const what of ["accept", "reject", "resolve", "pop", "expire", "drain", "next"]) expect(done[what] ?? 0).toBeGreaterThan(3);

    // Every unit is accounted for: an agent's load is the number of tickets holding one of its units (assigned
    // and charged, or on offer to it); its offers zset and ticket set say the same as the tickets do.
    const hashes = await Promise.all(ids.map((id) => getTicketRecord(a, id)));
    const agents = await listAgents(a);
    let units = 0;
    for (const ag of agents) {
      const held = ids.filter((_, i) => {
        const h = hashes[i]!;
        const holder = h.agent_id || (h.offer_status === "pending" ? h.offer_agent_id : undefined);
        return h.charged === "1" && holder === ag.agent_id;
      });
      expect(ag.current_load).toBe(held.length);
      units += held.length;
      const pending = ids.filter((_, i) => hashes[i]!.offer_status === "pending" && hashes[i]!.offer_agent_id === ag.agent_id);
      expect((await a.redis.zrevrange(a.keys.agentOffers(ag.agent_id), 0, -1)).sort()).toEqual(pending.sort());
      const assigned = ids.filter((_, i) => hashes[i]!.status === "processed" && hashes[i]!.agent_id === ag.agent_id);
      expect((await a.redis.smembers(a.keys.agentTickets(ag.agent_id))).sort()).toEqual(assigned.sort());
    }
    expect(agents.reduce((n, ag) => n + ag.current_load, 0)).toBe(units);
    // No ticket both assigned and on offer, and none charged without a holder.
    for (const h of hashes) {
      expect(Boolean(h.agent_id) && h.offer_status === "pending").toBe(false);
      if (h.charged === "1") expect(h.status).toBe("processed");
    }
  });
});
