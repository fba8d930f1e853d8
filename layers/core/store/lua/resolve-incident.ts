import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("resolve-incident");

export async function resolveIncident(redis: RedisPort, keys: Keys, incidentId: string, now: Date) {
  const reply = await redis.run<number>(script, [keys.incident(incidentId), keys.openIncidents, keys.incidentsVersion], [
    incidentId,
    now.toISOString(),
    keys.agentPrefix,
  ]);
  return reply === 1 ? "resolved" : reply === 0 ? "already_resolved" : "missing";
}
