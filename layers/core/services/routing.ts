import { oneHot, type CategoryProbabilities } from "../domain/classification.js";
import { isEligible, rankAgents, ticketSkillVector, type AgentState } from "../domain/routing.js";
import type { Category } from "../domain/schemas.js";
import type { BusEvent } from "../ports/event-bus.js";
import type { Runtime } from "../runtime.js";
import { assignIncident, assignTicket, joinIncidentOwner } from "../store/assignments.js";
import { incidentTicketIds, INCIDENT_STATUS, readIncidentRecord } from "../store/incidents.js";
import { addToBacklog, backlogTop, removeFromBacklog } from "../store/queue.js";
import { getTicketRecord, markRouted, TICKET_STATUS } from "../store/tickets.js";
import { listAgents } from "./agents.js";

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
  const tickets = await incidentTicketIds(rt, work.id);
  return tickets.map((ticket_id) => ({ type: "ticket_assigned_to_agent", data: { ticket_id, agent_id: agentId, incident_id: work.id } }));
}

/** What a processed ticket needs: itself, or (in an incident) the incident's ownership. */
async function workFor(rt: Runtime, ticketId: string): Promise<Work | "done" | null> {
  const h = await getTicketRecord(rt, ticketId);
  if (h.status !== TICKET_STATUS.processed) return null;
  if (h.incident_id) {
    const inc = await readIncidentRecord(rt, h.incident_id);
    if (inc.status !== INCIDENT_STATUS.open) return h.agent_id ? "done" : null;
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
      // Only if it is still waiting: the check and the insert are one script, so a ticket popped (or
      // assigned, or linked) since workFor read it never lingers in the backlog.
      else await addToBacklog(rt, { kind: work.kind, id: work.id }, scores.get(id) ?? 0);
    }
    // Routed: a redelivered record of this ticket has nothing left to do.
    await markRouted(rt, id);
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
    const top = await backlogTop(rt);
    if (!top) break;
    agents ??= await listAgents(rt);
    if (!agents.some(isEligible)) break;
    const work = !top.work ? null : top.work.kind === "incident" ? await incidentWork(rt, top.work.id) : await workFor(rt, top.work.id);
    if (!work || work === "done") {
      await removeFromBacklog(rt, top.member);
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
  const inc = await readIncidentRecord(rt, incidentId);
  if (inc.status !== INCIDENT_STATUS.open || inc.agent_id) return null;
  return { kind: "incident", id: incidentId, category: inc.category as Category };
}
