import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("clear-queue");

export function clearQueue(redis: RedisPort, keys: Keys, ttlSeconds: number): Promise<number> {
  return redis.run<number>(script, [keys.queue, keys.agents, keys.assignments, keys.backlog, keys.openIncidents], [
    keys.ticketPrefix,
    ttlSeconds,
    keys.agentPrefix,
    keys.incidentPrefix,
  ]);
}
