import type { MasterIncident } from "../domain/schemas.js";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { resolveIncident } from "../store/lua/resolve-incident.js";
import { drainBacklog } from "./routing.js";

async function load(rt: Runtime, ids: string[]): Promise<MasterIncident[]> {
  const [hashes, tickets] = await Promise.all([
    rt.redis.hgetallMany(ids.map(rt.keys.incident)),
    Promise.all(ids.map((id) => rt.redis.lrange(rt.keys.incidentTickets(id), 0, -1))),
  ]);
  return hashes.flatMap((h, i) =>
    h.incident_id
      ? [
          {
            incident_id: h.incident_id,
            summary: h.summary ?? "",
            root_ticket_id: h.root_ticket_id ?? "",
            ticket_ids: tickets[i]!,
            ticket_count: tickets[i]!.length,
            category: h.category as MasterIncident["category"],
            created_at: h.created_at ?? "",
            updated_at: h.updated_at ?? "",
            status: h.status as MasterIncident["status"],
            agent_id: h.agent_id || null,
          },
        ]
      : [],
  );
}

export async function getIncident(rt: Runtime, id: string): Promise<MasterIncident> {
  const [incident] = await load(rt, [id]);
  if (!incident) throw notFound(`Incident '${id}' not found`);
  return incident;
}

/** Newest first; with a status, only those, filtered page by page. */
export async function listIncidents(rt: Runtime, limit: number, status?: "open" | "resolved"): Promise<MasterIncident[]> {
  const out: MasterIncident[] = [];
  const page = Math.max(limit, 100);
  for (let start = 0; out.length < limit; start += page) {
    const ids = await rt.redis.zrevrange(rt.keys.incidents, start, start + page - 1);
    if (!ids.length) break;
    for (const inc of await load(rt, ids)) if (!status || inc.status === status) out.push(inc);
  }
  return out.slice(0, limit);
}

export async function resolve(rt: Runtime, id: string): Promise<MasterIncident> {
  const outcome = await resolveIncident(rt.redis, rt.keys, id, new Date());
  if (outcome === "missing") throw notFound(`Incident '${id}' not found`);
  const incident = await getIncident(rt, id);
  if (outcome === "resolved") {
    await rt.bus.publish([{ type: "incident_resolved", data: { incident_id: id, ticket_count: incident.ticket_count } }]);
    if (incident.agent_id) await drainBacklog(rt); // the owner's unit is free again
  }
  return incident;
}

export async function incidentCounts(rt: Runtime) {
  const [all, open] = await Promise.all([rt.redis.zcard(rt.keys.incidents), rt.redis.scard(rt.keys.openIncidents)]);
  return { master_incidents_count: all, open_incidents_count: open };
}
