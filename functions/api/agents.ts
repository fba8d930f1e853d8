import { z } from "zod";
import { Agent, AgentIn, AgentPatch, Assignment, ErrorBody, Offer, PageQuery, RoutedTicket, TicketView } from "../../layers/core/domain/schemas.js";
import {
  agentNext,
  agentOffersPage,
  agentsPage,
  agentTicketsPage,
  answerOffer,
  assignmentsPage,
  getAgent,
  patchAgent,
  registerAgent,
} from "../../layers/core/services/agents.js";
import { json, route } from "./http.js";
import { listReply } from "./pagination.js";

const unknown = { description: "Unknown agent", schema: ErrorBody };
const invalid = { description: "Invalid fields", schema: ErrorBody };
const agentId = (params: Record<string, string>) => z.string().parse(params.agent_id);
const ticketId = (params: Record<string, string>) => z.string().parse(params.ticket_id);

export const register = route(
  {
    method: "POST",
    path: "/agents",
    name: "registerAgent",
    summary: "Register or update an agent (current_load is the server's)",
    auth: true,
    body: AgentIn,
    responses: { 200: { description: "The agent", schema: Agent }, 422: invalid },
  },
  async (rt, { body }) => json(200, await registerAgent(rt, body)),
);

export const list = route(
  {
    method: "GET",
    path: "/agents",
    name: "listAgents",
    summary: "Agents by id; ?online_only=true for online agents with free capacity; more pages via the Link header",
    query: PageQuery(1000, 1000).extend({ online_only: z.enum(["true", "false"]).default("false") }),
    responses: { 200: { description: "Agents", schema: z.array(Agent) } },
  },
  async (rt, { query, event }) => {
    const page = await agentsPage(rt, query.limit, query.cursor, query.online_only === "true");
    return listReply(event, page.items, page.next);
  },
);

export const get = route(
  {
    method: "GET",
    path: "/agents/{agent_id}",
    name: "getAgent",
    summary: "One agent",
    responses: { 200: { description: "The agent", schema: Agent }, 404: unknown },
  },
  async (rt, { params }) => json(200, await getAgent(rt, agentId(params))),
);

export const patch = route(
  {
    method: "PATCH",
    path: "/agents/{agent_id}",
    name: "updateAgent",
    summary: "Change an agent's status, capacity, skills or name",
    auth: true,
    body: AgentPatch,
    responses: { 200: { description: "The agent", schema: Agent }, 404: unknown, 422: invalid },
  },
  async (rt, { params, body }) => json(200, await patchAgent(rt, agentId(params), body)),
);

export const tickets = route(
  {
    method: "GET",
    path: "/agents/{agent_id}/tickets",
    name: "agentTickets",
    summary: "Tickets assigned to an agent now, by id; more pages via the Link header (rel=\"next\")",
    query: PageQuery(1000, 1000),
    responses: {
      200: { description: "Ticket ids", schema: z.object({ agent_id: z.string(), ticket_ids: z.array(z.string()) }) },
      404: unknown,
    },
  },
  async (rt, { params, query, event }) => {
    const page = await agentTicketsPage(rt, agentId(params), query.limit, query.cursor);
    return listReply(event, page.body, page.next);
  },
);

export const assignments = route(
  {
    method: "GET",
    path: "/assignments",
    name: "listAssignments",
    summary: "Current ticket → agent assignments, newest first; more pages via the Link header (rel=\"next\")",
    query: PageQuery(100, 1000),
    responses: { 200: { description: "Assignments", schema: z.object({ assignments: z.array(Assignment) }) } },
  },
  async (rt, { query, event }) => {
    const page = await assignmentsPage(rt, query.limit, query.cursor);
    return listReply(event, { assignments: page.items }, page.next);
  },
);

export const offers = route(
  {
    method: "GET",
    path: "/agents/{agent_id}/offers",
    name: "agentOffers",
    summary: "An agent's pending offers (ROUTING_OFFERS), newest first; more pages via the Link header (rel=\"next\")",
    query: PageQuery(100, 1000),
    responses: { 200: { description: "Pending offers", schema: z.array(Offer) }, 404: unknown },
  },
  async (rt, { params, query, event }) => {
    const page = await agentOffersPage(rt, agentId(params), query.limit, query.cursor);
    return listReply(event, page.items, page.next);
  },
);

const answerResponses = {
  200: { description: "The ticket after the answer", schema: TicketView },
  404: { description: "Unknown agent or ticket, or the ticket was never offered", schema: ErrorBody },
  409: { description: "The offer is another agent's, or no longer pending (accepted, rejected, expired, withdrawn)", schema: ErrorBody },
};

export const acceptOffer = route(
  {
    method: "POST",
    path: "/agents/{agent_id}/offers/{ticket_id}/accept",
    name: "acceptOffer",
    summary: "The agent accepts a ticket offered to it: the ticket is assigned to the agent",
    auth: true,
    responses: answerResponses,
  },
  async (rt, { params }) => json(200, await answerOffer(rt, agentId(params), ticketId(params), "accept")),
);

export const rejectOffer = route(
  {
    method: "POST",
    path: "/agents/{agent_id}/offers/{ticket_id}/reject",
    name: "rejectOffer",
    summary: "The agent rejects a ticket offered to it: it goes to the next best agent (never back to this one) or waits",
    auth: true,
    responses: answerResponses,
  },
  async (rt, { params }) => json(200, await answerOffer(rt, agentId(params), ticketId(params), "reject")),
);

export const next = route(
  {
    method: "GET",
    path: "/agents/{agent_id}/next",
    name: "agentNextTicket",
    summary: "The most urgent ticket assigned to the agent (not removed: resolve it when done)",
    responses: {
      200: { description: "The ticket", schema: RoutedTicket },
      404: { description: "Unknown agent, or no ticket assigned to it", schema: ErrorBody },
    },
  },
  async (rt, { params }) => json(200, await agentNext(rt, agentId(params))),
);
