import type { Agent, AgentIn } from "../domain/schemas.js";
import type { AgentState } from "../domain/routing.js";
import { decodeCursor, encodeCursor, isString, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { upsertAgent } from "./lua/upsert-agent.js";
import type { RedisPort } from "./redis-port.js";

export { upsertAgent };
export { agentNextTicket } from "./lua/agent-next.js";

/**
 * Agents: one hash per agent at keys.agent(id), the set of agent ids at keys.agents, the set of ticket ids
 * each agent holds at keys.agentTickets(id), and its pending offers at keys.agentOffers(id) (store/offers.ts).
 * Fields: agent_id, display_name, tech, billing, legal, max_concurrent_tickets, current_load (the server's:
 * units held by assigned tickets and pending offers), status, created_at, updated_at.
 */
export const AGENT_STATUS = { online: "online", offline: "offline" } as const;

type Store = { redis: RedisPort; keys: Keys };

export function toAgent(h: Record<string, string>): Agent & AgentState {
  return {
    agent_id: h.agent_id ?? "",
    display_name: h.display_name ?? h.agent_id ?? "",
    skill_vector: { tech: Number(h.tech ?? 0), billing: Number(h.billing ?? 0), legal: Number(h.legal ?? 0) },
    max_concurrent_tickets: Number(h.max_concurrent_tickets ?? 1),
    current_load: Number(h.current_load ?? 0),
    status: h.status === AGENT_STATUS.offline ? "offline" : "online",
  };
}

/** The hash fields a registration or patch writes (never current_load). */
export function agentFields(p: Partial<AgentIn>): Record<string, string | number> {
  const f: Record<string, string | number> = {};
  if (p.display_name !== undefined) f.display_name = p.display_name;
  if (p.skill_vector) Object.assign(f, p.skill_vector);
  if (p.max_concurrent_tickets !== undefined) f.max_concurrent_tickets = p.max_concurrent_tickets;
  if (p.status !== undefined) f.status = p.status;
  return f;
}

/** The agent, or null when unknown. */
export async function readAgent(s: Store, id: string): Promise<(Agent & AgentState) | null> {
  const h = await s.redis.hgetall(s.keys.agent(id));
  return h.agent_id ? toAgent(h) : null;
}

/** Agent ids in one stable order (UTF-16 code units, as JS compares strings). */
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function readAllAgents(s: Store): Promise<(Agent & AgentState)[]> {
  const ids = (await s.redis.smembers(s.keys.agents)).sort(byId);
  return (await s.redis.hgetallMany(ids.map(s.keys.agent))).filter((h) => h.agent_id).map(toAgent);
}

/** Agents by id after the cursor's id; `keep` filters (filtered-out agents still move the cursor). */
export async function pageAgents(
  s: Store,
  limit: number,
  cursor: string | undefined,
  keep: (a: Agent & AgentState) => boolean = () => true,
): Promise<Page<Agent & AgentState>> {
  const after = decodeCursor(cursor, isString);
  const ids = (await s.redis.smembers(s.keys.agents)).sort(byId).filter((id) => after === undefined || id > after);
  const items: (Agent & AgentState)[] = [];
  let last: string | undefined;
  for (let i = 0; i < ids.length && items.length < limit; i += limit) {
    const chunk = ids.slice(i, i + limit);
    const hashes = await s.redis.hgetallMany(chunk.map(s.keys.agent));
    for (let j = 0; j < chunk.length && items.length < limit; j++) {
      last = chunk[j]!;
      const h = hashes[j]!;
      if (h.agent_id && keep(toAgent(h))) items.push(toAgent(h));
    }
  }
  const more = last !== undefined && ids.indexOf(last) < ids.length - 1;
  return { items, next: more ? encodeCursor(last) : null };
}

/** Ticket ids the agent holds now, sorted, after the cursor's id. */
export async function pageAgentTickets(s: Store, agentId: string, limit: number, cursor: string | undefined): Promise<Page<string>> {
  const after = decodeCursor(cursor, isString);
  const ids = (await s.redis.smembers(s.keys.agentTickets(agentId))).sort(byId).filter((id) => after === undefined || id > after);
  const items = ids.slice(0, limit);
  return { items, next: ids.length > limit ? encodeCursor(items[items.length - 1]) : null };
}
