import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const ticketScript = loadLua("assign-ticket");
const incidentScript = loadLua("assign-incident");
const joinScript = loadLua("join-incident-owner");

export type AssignOutcome = "assigned" | "agent_unavailable" | "not_assignable";
const outcome = (n: number): AssignOutcome => (n === 1 ? "assigned" : n === 0 ? "agent_unavailable" : "not_assignable");

export async function assignTicket(redis: RedisPort, keys: Keys, ticketId: string, agentId: string, now: Date) {
  const n = await redis.run<number>(
    ticketScript,
    [keys.agent(agentId), keys.ticket(ticketId), keys.assignments, keys.backlog],
    [ticketId, agentId, keys.ticketPrefix, keys.agentPrefix, now.getTime(), now.toISOString()],
  );
  return outcome(n);
}

export async function assignIncident(redis: RedisPort, keys: Keys, incidentId: string, agentId: string, now: Date) {
  const n = await redis.run<number>(
    incidentScript,
    [keys.incident(incidentId), keys.agent(agentId), keys.assignments, keys.backlog, keys.incidentTickets(incidentId)],
    [incidentId, agentId, keys.ticketPrefix, keys.agentPrefix, now.getTime(), now.toISOString()],
  );
  return outcome(n);
}

/** Records a processed ticket to its incident's owner (no capacity); the owner, or null if nothing to do. */
export async function joinIncidentOwner(redis: RedisPort, keys: Keys, ticketId: string, incidentId: string, now: Date) {
  const owner = await redis.run<string>(
    joinScript,
    [keys.ticket(ticketId), keys.incident(incidentId), keys.assignments],
    [ticketId, keys.ticketPrefix, keys.agentPrefix, now.getTime(), now.toISOString()],
  );
  return owner || null;
}
