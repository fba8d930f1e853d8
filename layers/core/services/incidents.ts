import type { MasterIncident } from "../domain/schemas.js";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import type { Page } from "../store/cursor.js";
import { incidentCounts as counts, pageIncidents, readIncident, resolveIncident } from "../store/incidents.js";
import { drainBacklog } from "./routing.js";

export async function getIncident(rt: Runtime, id: string): Promise<MasterIncident> {
  const incident = await readIncident(rt, id);
  if (!incident) throw notFound(`Incident '${id}' not found`);
  return incident;
}

/** Newest first; with a status, only those. A page at a time after the cursor. */
export function incidentsPage(rt: Runtime, limit: number, status?: "open" | "resolved", cursor?: string): Promise<Page<MasterIncident>> {
  return pageIncidents(rt, limit, cursor, status);
}

export async function listIncidents(rt: Runtime, limit: number, status?: "open" | "resolved"): Promise<MasterIncident[]> {
  return (await pageIncidents(rt, limit, undefined, status)).items;
}

/**
 * Resolves the incident. Only the call that resolves it announces it (incident_resolved and the one
 * incident_resolved webhook, appended to the outbox by the script itself); resolving again is harmless.
 */
export async function resolve(rt: Runtime, id: string): Promise<MasterIncident> {
  const outcome = await resolveIncident(rt.redis, rt.keys, id, new Date());
  if (outcome === "missing") throw notFound(`Incident '${id}' not found`);
  if (outcome === "resolved") rt.bus.appended?.();
  const incident = await getIncident(rt, id);
  if (outcome === "resolved" && incident.agent_id) await drainBacklog(rt); // the owner's unit is free again
  return incident;
}

export const incidentCounts = (rt: Runtime) => counts(rt);
