import type { Agent, AgentIn, AgentPatch, Assignment } from "../domain/schemas.js";
import { isEligible, type AgentState } from "../domain/routing.js";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { upsertAgent } from "../store/lua/upsert-agent.js";
import { drainBacklog } from "./routing.js";

export function toAgent(h: Record<string, string>): Agent & AgentState {
  return {
    agent_id: h.agent_id ?? "",
    display_name: h.display_name ?? h.agent_id ?? "",
    skill_vector: { tech: Number(h.tech ?? 0), billing: Number(h.billing ?? 0), legal: Number(h.legal ?? 0) },
    max_concurrent_tickets: Number(h.max_concurrent_tickets ?? 1),
    current_load: Number(h.current_load ?? 0),
    status: h.status === "offline" ? "offline" : "online",
  };
}

function fieldsOf(p: Partial<AgentIn>): Record<string, string | number> {
  const f: Record<string, string | number> = {};
  if (p.display_name !== undefined) f.display_name = p.display_name;
  if (p.skill_vector) Object.assign(f, p.skill_vector);
  if (p.max_concurrent_tickets !== undefined) f.max_concurrent_tickets = p.max_concurrent_tickets;
  if (p.status !== undefined) f.status = p.status;
  return f;
}

/** After a change that may add capacity, the backlog gets its chance, and the change is announced. */
async function changed(rt: Runtime, h: Record<string, string>, how: "registered" | "updated"): Promise<Agent> {
  const agent = toAgent(h);
  await rt.bus.publish([{ type: "agent_updated", data: { ...agent, change: how } }]);
  await drainBacklog(rt);
  // The drain may have given it tickets: answer with its load as it is now.
  const now = await rt.redis.hgetall(rt.keys.agent(agent.agent_id));
  return now.agent_id ? toAgent(now) : agent;
}

export async function registerAgent(rt: Runtime, a: AgentIn): Promise<Agent> {
  const h = await upsertAgent(rt.redis, rt.keys, "register", a.agent_id, fieldsOf(a), new Date());
  return changed(rt, h!, "registered");
}

export async function patchAgent(rt: Runtime, agentId: string, p: AgentPatch): Promise<Agent> {
  const h = await upsertAgent(rt.redis, rt.keys, "patch", agentId, fieldsOf(p), new Date());
  if (!h) throw notFound(`Agent '${agentId}' not found`);
  return changed(rt, h, "updated");
}

export async function getAgent(rt: Runtime, agentId: string): Promise<Agent> {
  const h = await rt.redis.hgetall(rt.keys.agent(agentId));
  if (!h.agent_id) throw notFound(`Agent '${agentId}' not found`);
  return toAgent(h);
}

export async function listAgents(rt: Runtime, onlineWithCapacity = false): Promise<(Agent & AgentState)[]> {
  const ids = (await rt.redis.smembers(rt.keys.agents)).sort();
  const agents = (await rt.redis.hgetallMany(ids.map(rt.keys.agent))).filter((h) => h.agent_id).map(toAgent);
  return onlineWithCapacity ? agents.filter(isEligible) : agents;
}

export async function agentTickets(rt: Runtime, agentId: string): Promise<{ agent_id: string; ticket_ids: string[] }> {
  await getAgent(rt, agentId);
  return { agent_id: agentId, ticket_ids: (await rt.redis.smembers(rt.keys.agentTickets(agentId))).sort() };
}

/** Current assignments, newest first. */
export async function listAssignments(rt: Runtime, limit: number): Promise<Assignment[]> {
  const ids = await rt.redis.zrevrange(rt.keys.assignments, 0, limit - 1);
  const hashes = await rt.redis.hgetallMany(ids.map(rt.keys.ticket));
  return hashes.flatMap((h, i) =>
    h.agent_id
      ? [{ ticket_id: ids[i]!, agent_id: h.agent_id, assigned_at: h.assigned_at ?? "", incident_id: h.incident_id || null }]
      : [],
  );
}
