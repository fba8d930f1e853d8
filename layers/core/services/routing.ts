import { oneHot, type CategoryProbabilities } from "../domain/classification.js";
import { isEligible, rankAgents, ticketSkillVector, type AgentState } from "../domain/routing.js";
import type { Category } from "../domain/schemas.js";
import type { BusEvent } from "../ports/event-bus.js";
import type { Runtime } from "../runtime.js";
import { assignIncident, assignTicket, backlogNext, joinIncidentOwner } from "../store/assignments.js";
import { incidentTicketIds, INCIDENT_STATUS, readIncidentRecord } from "../store/incidents.js";
import { declinedBy, dueOffers, expireOffer, OFFER_PENDING, offerTicket } from "../store/offers.js";
import { addToBacklog, removeFromBacklog } from "../store/queue.js";
import { getTicketRecord, markRouted, TICKET_STATUS } from "../store/tickets.js";
import { listAgents } from "./agents.js";

// Bounds one drain; whatever is left is picked up by the next release or batch.
const MAX_DRAIN = 1_000;
// One sweep expires at most SWEEP_BATCH × SWEEP_ROUNDS offers; the next sweep takes the rest.
const SWEEP_BATCH = 100;
const SWEEP_ROUNDS = 10;

type Work =
  | { kind: "ticket"; id: string; probabilities: CategoryProbabilities; declined: string[] }
  | { kind: "incident"; id: string; category: Category };

/** An agent has it (assigned, or on offer), or why nobody has. */
type Placement =
  | { agent: string; offered: boolean }
  | { agent: null; why: "nobody_eligible" | "lost_races" | "not_assignable" };

/**
 * Tries the eligible agents best first (DESIGN §6); each reservation is one Lua script, and an agent that
 * filled up meanwhile (another worker won the race) just means: try the next. With ROUTING_OFFERS a ticket is
 * offered rather than assigned (the offer holds the unit), never to an agent who declined it; an incident
 * is always owned at once.
 */
async function place(rt: Runtime, work: Work, agents: AgentState[]): Promise<Placement> {
  const needs = ticketSkillVector(work.kind === "ticket" ? work.probabilities : oneHot(work.category));
  const declined = new Set(work.kind === "ticket" ? work.declined : []);
  const ranked = rankAgents(needs, declined.size ? agents.filter((a) => !declined.has(a.agent_id)) : agents, rt.config.ROUTING_LOAD_PENALTY_FACTOR);
  if (ranked.length === 0) return { agent: null, why: "nobody_eligible" };
  for (const agent of ranked) {
    const now = new Date();
    const outcome =
      work.kind === "incident"
        ? await assignIncident(rt.redis, rt.keys, work.id, agent.agent_id, now)
        : rt.config.ROUTING_OFFERS
          ? await offerTicket(rt.redis, rt.keys, work.id, agent.agent_id, now, new Date(now.getTime() + rt.config.ROUTING_OFFER_TIMEOUT_SECONDS * 1000))
          : await assignTicket(rt.redis, rt.keys, work.id, agent.agent_id, now);
    if (outcome === "assigned" || outcome === "offered") {
      agent.current_load++;
      return { agent: agent.agent_id, offered: outcome === "offered" };
    }
    if (outcome === "not_assignable") return { agent: null, why: "not_assignable" };
    // It declined the ticket meanwhile (an answer raced this round): the next one.
    if (outcome === "declined") continue;
    agent.current_load = agent.max_concurrent_tickets; // full or offline by now: out of this round
  }
  return { agent: null, why: "lost_races" };
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
  // Assigned, or on offer: the agent's answer (or the offer's expiry) decides what comes next.
  if (h.agent_id || h.offer_status === OFFER_PENDING) return "done";
  return {
    kind: "ticket",
    id: ticketId,
    probabilities: JSON.parse(h.probabilities ?? "{}") as CategoryProbabilities,
    declined: declinedBy(h),
  };
}

/**
 * Routes freshly processed tickets (in queue order): to the best agent who can take each now, or into the
 * urgency-ordered backlog. Then the backlog gets its chance.
 *
 * Only the placements run one after another (each changes the agents' loads the next one is ranked on); what
 * each ticket needs is read for all of them at once, and the backlog inserts and routed marks go out together:
 * one ticket at a time, a deep batch cost four round trips per ticket, each waking Redis and this thread on
 * cores the encoder was using.
 */
export async function routeTickets(rt: Runtime, ticketIds: string[], scores: Map<string, number>): Promise<void> {
  const agents = await listAgents(rt);
  const events: BusEvent[] = [];
  let offered = false;
  const ordered = [...ticketIds].sort((a, b) => (scores.get(b) ?? 0) - (scores.get(a) ?? 0));
  const works = await Promise.all(ordered.map((id) => workFor(rt, id)));
  const backlogged: Promise<boolean>[] = [];
  for (const [k, id] of ordered.entries()) {
    const work = works[k];
    if (!work || work === "done") continue;
    // Read before the batch's placements: a second ticket of an incident an earlier one just gave an owner is
    // already recorded to it (assign-incident.lua records every ticket of the incident), and its own
    // assign-incident finds the incident owned and changes nothing.
    const placed = await place(rt, work, agents);
    // An offer's event is in the outbox already (offer-ticket.lua appended it).
    if (placed.agent !== null) {
      if (placed.offered) offered = true;
      else events.push(...(await assignedEvents(rt, work, placed.agent)));
    }
    // Only if it is still waiting: the check and the insert are one script, so a ticket popped (or
    // assigned, or linked) since workFor read it never lingers in the backlog.
    else {
      const inserted = addToBacklog(rt, { kind: work.kind, id: work.id }, scores.get(id) ?? 0);
      // Awaited after the loop; should a later placement throw first, its failure is not left unhandled.
      inserted.catch(() => {});
      backlogged.push(inserted);
    }
  }
  await Promise.all(backlogged);
  // Routed (placed or in the backlog): a redelivered record of these tickets has nothing left to do.
  await Promise.all(ordered.map((id) => markRouted(rt, id)));
  if (offered) rt.bus.appended?.();
  await rt.bus.publish(events);
  // Capacity may have come back while these were placed; a ticket put in the backlog must not wait for
  // the next release to be looked at.
  await drainBacklog(rt);
}

/**
 * Assigns (or offers) backlog items, most urgent first, while anyone can take them. An item no eligible
 * agent may take (everyone free has declined it) stays where it is and the drain goes on past it.
 */
export async function drainBacklog(rt: Runtime): Promise<number> {
  let agents: AgentState[] | undefined;
  let placedCount = 0;
  let offered = false;
  const passed = new Set<string>();
  for (let i = 0; i < MAX_DRAIN; i++) {
    const top = await backlogNext(rt, passed);
    if (!top) break;
    agents ??= await listAgents(rt);
    if (!agents.some(isEligible)) break;
    const work = !top.work ? null : top.work.kind === "incident" ? await incidentWork(rt, top.work.id) : await workFor(rt, top.work.id);
    if (!work || work === "done") {
      await removeFromBacklog(rt, top.member);
      continue;
    }
    const placed = await place(rt, work, agents);
    if (placed.agent === null) {
      if (placed.why === "nobody_eligible") passed.add(top.member);
      // Lost every race this round: the next turn looks again with fresh loads, and stops if nobody is free.
      else if (placed.why === "lost_races") agents = undefined;
      // not_assignable: the script took it out of the backlog.
      continue;
    }
    placedCount++;
    if (placed.offered) offered = true;
    else await rt.bus.publish(await assignedEvents(rt, work, placed.agent));
  }
  if (offered) rt.bus.appended?.();
  return placedCount;
}

async function incidentWork(rt: Runtime, incidentId: string): Promise<Work | null> {
  const inc = await readIncidentRecord(rt, incidentId);
  if (inc.status !== INCIDENT_STATUS.open || inc.agent_id) return null;
  return { kind: "incident", id: incidentId, category: inc.category as Category };
}

/**
 * Expires every offer whose deadline has passed (README "Offers and finishing work"), one script per offer,
 * so workers sweeping at the same time expire each offer exactly once; the unit goes back, the agent never
 * gets that ticket again, and the ticket goes through the backlog to the next best agent (or waits there).
 * Cheap enough to call every second from every worker: when nothing is due it is one read of the deadlines
 * zset. `now` is for tests. Returns how many offers this call expired.
 */
export async function sweepExpiredOffers(rt: Runtime, now: Date = new Date()): Promise<number> {
  let expired = 0;
  for (let round = 0; round < SWEEP_ROUNDS; round++) {
    const due = await dueOffers(rt.redis, rt.keys, now, SWEEP_BATCH);
    for (const ticketId of due) if ((await expireOffer(rt.redis, rt.keys, ticketId, now)) === "expired") expired++;
    if (due.length < SWEEP_BATCH) break;
  }
  if (expired > 0) {
    rt.bus.appended?.();
    await drainBacklog(rt);
  }
  return expired;
}
