import type { Agent, AgentIn, AgentPatch, Assignment } from "../domain/schemas.js";
import { isEligible, type AgentState } from "../domain/routing.js";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { agentFields, pageAgents, pageAgentTickets, readAgent, readAllAgents, toAgent, upsertAgent } from "../store/agents.js";
import { pageAssignments } from "../store/assignments.js";
import type { Page } from "../store/cursor.js";
import { drainBacklog } from "./routing.js";

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
