import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("resolve-incident");

/**
 * Resolves the incident; when this call is the one that resolves it, the script has appended
 * `incident_resolved` and the `webhook.incident_resolved` intent to the outbox (tell the bus: `appended`).
 */
export async function resolveIncident(redis: RedisPort, keys: Keys, incidentId: string, now: Date) {
  const reply = await redis.run<number>(
    script,
    [keys.incident(incidentId), keys.openIncidents, keys.incidentsVersion, keys.outbox, keys.incidentTickets(incidentId)],
    [incidentId, now.toISOString(), keys.agentPrefix],
  );
  return reply === 1 ? "resolved" : reply === 0 ? "already_resolved" : "missing";
}
