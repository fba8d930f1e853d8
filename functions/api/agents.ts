import { z } from "zod";
import { Agent, AgentIn, AgentPatch, Assignment, ErrorBody, PageQuery } from "../../layers/core/domain/schemas.js";
import { agentsPage, agentTicketsPage, assignmentsPage, getAgent, patchAgent, registerAgent } from "../../layers/core/services/agents.js";
import { json, route } from "./http.js";
import { listReply } from "./pagination.js";

const unknown = { description: "Unknown agent", schema: ErrorBody };
const invalid = { description: "Invalid fields", schema: ErrorBody };
const agentId = (params: Record<string, string>) => z.string().parse(params.agent_id);

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
