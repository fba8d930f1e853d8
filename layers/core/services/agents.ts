import type { Agent, AgentIn, AgentPatch, Assignment, Offer, RoutedTicket, TicketView } from "../domain/schemas.js";
import { isEligible, type AgentState } from "../domain/routing.js";
import { conflict, notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { agentFields, agentNextTicket, pageAgents, pageAgentTickets, readAgent, readAllAgents, toAgent, upsertAgent } from "../store/agents.js";
import { pageAssignments, resolveTicket as markResolved } from "../store/assignments.js";
import type { Page } from "../store/cursor.js";
import { pageAgentOffers, respondToOffer, type RespondOutcome } from "../store/offers.js";
import { getTicketRecord, toRoutedTicket, toTicketView } from "../store/tickets.js";
import { drainBacklog, sweepExpiredOffers } from "./routing.js";

export { toAgent };

/** After a change that may add capacity, the backlog gets its chance, and the change is announced. */
async function changed(rt: Runtime, h: Record<string, string>, how: "registered" | "updated"): Promise<Agent> {
  const agent = toAgent(h);
  await rt.bus.publish([{ type: "agent_updated", data: { ...agent, change: how } }]);
  await drainBacklog(rt);
  // The drain may have given it tickets: answer with its load as it is now.
  return (await readAgent(rt, agent.agent_id)) ?? agent;
}

export async function registerAgent(rt: Runtime, a: AgentIn): Promise<Agent> {
  const h = await upsertAgent(rt.redis, rt.keys, "register", a.agent_id, agentFields(a), new Date());
  return changed(rt, h!, "registered");
}

export async function patchAgent(rt: Runtime, agentId: string, p: AgentPatch): Promise<Agent> {
  const h = await upsertAgent(rt.redis, rt.keys, "patch", agentId, agentFields(p), new Date());
  if (!h) throw notFound(`Agent '${agentId}' not found`);
  return changed(rt, h, "updated");
}

export async function getAgent(rt: Runtime, agentId: string): Promise<Agent> {
  const agent = await readAgent(rt, agentId);
  if (!agent) throw notFound(`Agent '${agentId}' not found`);
  return agent;
}

/** Every agent, by id (routing and metrics). */
export async function listAgents(rt: Runtime, onlineWithCapacity = false): Promise<(Agent & AgentState)[]> {
  const agents = await readAllAgents(rt);
  return onlineWithCapacity ? agents.filter(isEligible) : agents;
}

/** A page of agents by id, after the cursor (the last agent id seen). */
export function agentsPage(rt: Runtime, limit: number, cursor?: string, onlineWithCapacity = false): Promise<Page<Agent & AgentState>> {
  return pageAgents(rt, limit, cursor, onlineWithCapacity ? isEligible : undefined);
}

export async function agentTicketsPage(rt: Runtime, agentId: string, limit: number, cursor?: string) {
  await getAgent(rt, agentId);
  const page = await pageAgentTickets(rt, agentId, limit, cursor);
  return { body: { agent_id: agentId, ticket_ids: page.items }, next: page.next };
}

export async function agentTickets(rt: Runtime, agentId: string): Promise<{ agent_id: string; ticket_ids: string[] }> {
  return (await agentTicketsPage(rt, agentId, Number.MAX_SAFE_INTEGER)).body;
}

/** Current assignments, newest first, a page at a time. */
export const assignmentsPage = (rt: Runtime, limit: number, cursor?: string): Promise<Page<Assignment>> => pageAssignments(rt, limit, cursor);

export async function listAssignments(rt: Runtime, limit: number): Promise<Assignment[]> {
  return (await pageAssignments(rt, limit, undefined)).items;
}

// ---- The agents' side of the work (README "Offers and finishing work") ----

/** The agent's pending offers, newest first, a page at a time; 404 for an unknown agent. */
export async function agentOffersPage(rt: Runtime, agentId: string, limit: number, cursor?: string): Promise<Page<Offer>> {
  await getAgent(rt, agentId);
  return pageAgentOffers(rt, agentId, limit, cursor, new Date());
}

async function ticketView(rt: Runtime, ticketId: string): Promise<TicketView> {
  const h = await getTicketRecord(rt, ticketId);
  if (!h.status) throw notFound(`Ticket '${ticketId}' not found`);
  return toTicketView({ ...h, ticket_id: ticketId });
}

/** The answer's outcome as the API's error, or null when it went through. */
function offerError(r: RespondOutcome, agentId: string, ticketId: string) {
  switch (r.outcome) {
    case "accepted":
    case "rejected":
      return null;
    case "no_agent":
      return notFound(`Agent '${agentId}' not found`);
    case "no_ticket":
      return notFound(`Ticket '${ticketId}' not found`);
    case "no_offer":
      return notFound(`Ticket '${ticketId}' has never been offered`);
    case "other_agent":
      return conflict(`Ticket '${ticketId}' is on offer to another agent`);
    case "expired":
      return conflict(`The offer of ticket '${ticketId}' to agent '${agentId}' has expired`);
    case "not_pending":
      return r.agent_id === agentId
        ? conflict(`The offer of ticket '${ticketId}' to agent '${agentId}' is no longer pending (${r.ended})`)
        : conflict(`Ticket '${ticketId}' has no pending offer for agent '${agentId}'`);
  }
}

/**
 * The agent accepts (the ticket is assigned to it, on the unit the offer held) or rejects (the unit comes back
 * and the ticket goes to the next best agent who has not declined it, or waits in the backlog) an offer.
 * Answers the ticket as it is afterwards. 404 unknown agent, ticket or offer; 409 an offer that is not this
 * agent's or no longer pending (an offer past its deadline is expired on the spot).
 */
export async function answerOffer(rt: Runtime, agentId: string, ticketId: string, answer: "accept" | "reject"): Promise<TicketView> {
  const r = await respondToOffer(rt.redis, rt.keys, answer, ticketId, agentId, new Date());
  if (r.outcome === "accepted" || r.outcome === "rejected") rt.bus.appended?.();
  // A unit came back: the ticket's next agent, or other waiting work, may take it now.
  if (r.outcome === "rejected" || (r.outcome === "not_pending" && r.ended === "withdrawn")) await drainBacklog(rt);
  if (r.outcome === "expired") await sweepExpiredOffers(rt);
  const error = offerError(r, agentId, ticketId);
  if (error) throw error;
  return ticketView(rt, ticketId);
}

/** The agent's most urgent assigned ticket still in the queue; 404 for an unknown agent or none. */
export async function agentNext(rt: Runtime, agentId: string): Promise<RoutedTicket> {
  await getAgent(rt, agentId);
  const h = await agentNextTicket(rt.redis, rt.keys, agentId);
  if (!h) throw notFound(`Agent '${agentId}' has no assigned tickets`);
  return toRoutedTicket(h);
}

/**
 * The agent finished the ticket: it leaves the queue, its unit comes back (the backlog may use it at once) and
 * it is "resolved". Resolving again answers the same; 404 unknown, 409 not classified yet or popped.
 */
export async function resolveTicket(rt: Runtime, ticketId: string): Promise<TicketView> {
  const r = await markResolved(rt.redis, rt.keys, ticketId, new Date(), rt.config.TICKET_TTL_SECONDS);
  if (r.outcome === "missing") throw notFound(`Ticket '${ticketId}' not found`);
  if (r.outcome === "not_processed") {
    throw conflict(r.status === "popped" ? `Ticket '${ticketId}' was popped from the queue` : `Ticket '${ticketId}' is not processed yet (${r.status})`);
  }
  if (r.outcome === "resolved") {
    rt.bus.appended?.();
    await drainBacklog(rt);
  }
  return ticketView(rt, ticketId);
}
