import { oneHot, type CategoryProbabilities } from "../domain/classification.js";
import { isEligible, rankAgents, ticketSkillVector, type AgentState } from "../domain/routing.js";
import type { Category } from "../domain/schemas.js";
import type { BusEvent } from "../ports/event-bus.js";
import type { Runtime } from "../runtime.js";
import { assignIncident, assignTicket, joinIncidentOwner } from "../store/lua/assign.js";
import { listAgents } from "./agents.js";

const INCIDENT = "incident:";
// Bounds one drain; whatever is left is picked up by the next release or batch.
const MAX_DRAIN = 1_000;

type Work = { kind: "ticket"; id: string; probabilities: CategoryProbabilities } | { kind: "incident"; id: string; category: Category };

/**
 * Tries the eligible agents best first (DESIGN §6); each reservation is one Lua script, and an agent that
 * filled up meanwhile (another worker won the race) just means: try the next. Returns the agent, or null
 * when nobody can take it now.
 */
async function place(rt: Runtime, work: Work, agents: AgentState[]): Promise<string | null> {
  const needs = ticketSkillVector(work.kind === "ticket" ? work.probabilities : oneHot(work.category));
  for (const agent of rankAgents(needs, agents, rt.config.ROUTING_LOAD_PENALTY_FACTOR)) {
    const now = new Date();
    const outcome =
      work.kind === "ticket"
        ? await assignTicket(rt.redis, rt.keys, work.id, agent.agent_id, now)
        : await assignIncident(rt.redis, rt.keys, work.id, agent.agent_id, now);
    if (outcome === "assigned") {
      agent.current_load++;
      return agent.agent_id;
    }
    if (outcome === "not_assignable") return null;
    agent.current_load = agent.max_concurrent_tickets; // full or offline by now: out of this round
  }
  return null;
}

async function assignedEvents(rt: Runtime, work: Work, agentId: string): Promise<BusEvent[]> {
  if (work.kind === "ticket") return [{ type: "ticket_assigned_to_agent", data: { ticket_id: work.id, agent_id: agentId, incident_id: null } }];
  const tickets = await rt.redis.lrange(rt.keys.incidentTickets(work.id), 0, -1);
  return tickets.map((ticket_id) => ({ type: "ticket_assigned_to_agent", data: { ticket_id, agent_id: agentId, incident_id: work.id } }));
}

/** What a processed ticket needs: itself, or (in an incident) the incident's ownership. */
async function workFor(rt: Runtime, ticketId: string): Promise<Work | "done" | null> {
  const h = await rt.redis.hgetall(rt.keys.ticket(ticketId));
  if (h.status !== "processed") return null;
  if (h.incident_id) {
    const inc = await rt.redis.hgetall(rt.keys.incident(h.incident_id));
    if (inc.status !== "open") return h.agent_id ? "done" : null;
    if (inc.agent_id) {
      // Usually recorded when it was linked; not if the owner was chosen while it was still being classified.
      if (!h.agent_id) await joinIncidentOwner(rt.redis, rt.keys, ticketId, h.incident_id, new Date());
      return "done";
    }
    return { kind: "incident", id: h.incident_id, category: inc.category as Category };
  }
  if (h.agent_id) return "done";
  return { kind: "ticket", id: ticketId, probabilities: JSON.parse(h.probabilities ?? "{}") as CategoryProbabilities };
}

const backlogMember = (w: Work) => (w.kind === "incident" ? `${INCIDENT}${w.id}` : w.id);

/**
 * Routes freshly processed tickets (in queue order): to the best agent who can take each now, or into the
 * urgency-ordered backlog. Then the backlog gets its chance.
 */
export async function routeTickets(rt: Runtime, ticketIds: string[], scores: Map<string, number>): Promise<void> {
  const agents = await listAgents(rt);
  const events: BusEvent[] = [];
  for (const id of [...ticketIds].sort((a, b) => (scores.get(b) ?? 0) - (scores.get(a) ?? 0))) {
    const work = await workFor(rt, id);
    if (work && work !== "done") {
      const agent = await place(rt, work, agents);
      if (agent) events.push(...(await assignedEvents(rt, work, agent)));
      else await rt.redis.zaddNx(rt.keys.backlog, scores.get(id) ?? 0, backlogMember(work));
    }
    // Routed: a redelivered record of this ticket has nothing left to do.
    await rt.redis.hset(rt.keys.ticket(id), { routed: "1" });
  }
  await rt.bus.publish(events);
  // Capacity may have come back while these were placed; a ticket put in the backlog must not wait for
  // the next release to be looked at.
  await drainBacklog(rt);
}

/** Assigns backlog items, most urgent first, while anyone can take them. */
export async function drainBacklog(rt: Runtime): Promise<number> {
  let agents: AgentState[] | undefined;
  let assigned = 0;
  for (let i = 0; i < MAX_DRAIN; i++) {
    const [top] = await rt.redis.zrevrange(rt.keys.backlog, 0, 0);
    if (!top) break;
    agents ??= await listAgents(rt);
    if (!agents.some(isEligible)) break;
    const work = top.startsWith(INCIDENT) ? await incidentWork(rt, top.slice(INCIDENT.length)) : await workFor(rt, top);
    if (!work || work === "done") {
      await rt.redis.zrem(rt.keys.backlog, top);
      continue;
    }
    const agent = await place(rt, work, agents);
    if (!agent) {
      // Lost every race this round: the next turn looks again with fresh loads, and stops if nobody is free.
      agents = undefined;
      continue;
    }
    assigned++;
    await rt.bus.publish(await assignedEvents(rt, work, agent));
  }
  return assigned;
}

async function incidentWork(rt: Runtime, incidentId: string): Promise<Work | null> {
  const inc = await rt.redis.hgetall(rt.keys.incident(incidentId));
  if (inc.status !== "open" || inc.agent_id) return null;
  return { kind: "incident", id: incidentId, category: inc.category as Category };
}
