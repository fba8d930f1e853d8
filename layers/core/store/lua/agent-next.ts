import type { Keys } from "../keys.js";
import { pairsToObject, type RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("agent-next");

/** The stored fields of the agent's most urgent ticket in the queue, or null when it has none (agent-next.lua). */
export async function agentNextTicket(redis: RedisPort, keys: Keys, agentId: string): Promise<Record<string, string> | null> {
  const flat = await redis.run<string[]>(script, [keys.agentTickets(agentId), keys.queue], [keys.ticketPrefix]);
  return flat.length ? pairsToObject(flat) : null;
}
