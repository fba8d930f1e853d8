import type { MasterIncident } from "../domain/schemas.js";
import { decodeCursor, encodeCursor, isPair, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { zsetPage } from "./lua/page.js";
import { resolveIncident } from "./lua/resolve-incident.js";
import type { RedisPort } from "./redis-port.js";

export { dedupApply, type ApplyAction, type ApplyResult } from "./lua/dedup-apply.js";
export { resolveIncident };

/**
 * Master incidents: one hash per incident at keys.incident(id) (incident_id, summary, root_ticket_id,
 * category, space, status, agent_id, created_at, updated_at, resolved_at, and for growth updates
 * last_update_step, last_update_at, last_notice_ms — see dedup-apply.lua), its ticket ids in order at
 * keys.incidentTickets(id), all incidents by creation ms in the keys.incidents zset, the open ones in
 * keys.openIncidents, their representative vectors ("space|base64") in keys.incidentVectors, and a
 * version counter bumped whenever the open set changes.
 */
export const INCIDENT_STATUS = { open: "open", resolved: "resolved" } as const;

type Store = { redis: RedisPort; keys: Keys };

export function toIncident(h: Record<string, string>, tickets: string[]): MasterIncident {
  return {
    incident_id: h.incident_id ?? "",
    summary: h.summary ?? "",
    root_ticket_id: h.root_ticket_id ?? "",
    ticket_ids: tickets,
    ticket_count: tickets.length,
    category: h.category as MasterIncident["category"],
    created_at: h.created_at ?? "",
    updated_at: h.updated_at ?? "",
    status: h.status as MasterIncident["status"],
    agent_id: h.agent_id || null,
    last_update_step: Number(h.last_update_step ?? 0) || 0,
    last_update_at: h.last_update_at || null,
  };
}

export async function readIncidents(s: Store, ids: string[]): Promise<(MasterIncident | null)[]> {
  const [hashes, tickets] = await Promise.all([
    s.redis.hgetallMany(ids.map(s.keys.incident)),
    Promise.all(ids.map((id) => s.redis.lrange(s.keys.incidentTickets(id), 0, -1))),
  ]);
  return hashes.map((h, i) => (h.incident_id ? toIncident(h, tickets[i]!) : null));
}

export async function readIncident(s: Store, id: string): Promise<MasterIncident | null> {
  return (await readIncidents(s, [id]))[0] ?? null;
}

/** The incident's hash fields the router needs (status, owner, category), or {} when unknown. */
export const readIncidentRecord = (s: Store, id: string) => s.redis.hgetall(s.keys.incident(id));
export const incidentTicketIds = (s: Store, id: string) => s.redis.lrange(s.keys.incidentTickets(id), 0, -1);

/** Newest first, after the cursor; with a status, only those (the cursor moves past the others too). */
export async function pageIncidents(
  s: Store,
  limit: number,
  cursor: string | undefined,
  status?: MasterIncident["status"],
): Promise<Page<MasterIncident>> {
  const at = decodeCursor(cursor, isPair);
  let after = at && { score: at[0], member: at[1] };
  const items: MasterIncident[] = [];
  const batch = Math.max(limit, 100);
  for (;;) {
    const rows = await zsetPage(s.redis, s.keys.incidents, batch, after);
    const incidents = await readIncidents(s, rows.map((r) => r.member));
    for (let i = 0; i < rows.length; i++) {
      const inc = incidents[i];
      after = rows[i]!;
      if (inc && (!status || inc.status === status)) items.push(inc);
      if (items.length === limit) {
        const more = i < rows.length - 1 || (await zsetPage(s.redis, s.keys.incidents, 1, after)).length > 0;
        return { items, next: more ? encodeCursor([after.score, after.member]) : null };
      }
    }
    if (rows.length < batch) return { items, next: null };
  }
}

export async function incidentCounts(s: Store) {
  const [all, open] = await Promise.all([s.redis.zcard(s.keys.incidents), s.redis.scard(s.keys.openIncidents)]);
  return { master_incidents_count: all, open_incidents_count: open };
}

/** Open incidents' representative vectors, and the version they were read at (for the dedup mirror). */
export async function readOpenIncidentVectors(s: Store): Promise<{ version: string | null; vectors: { incident_id: string; packed: string | null }[] }> {
  const version = await s.redis.get(s.keys.incidentsVersion);
  const ids = await s.redis.smembers(s.keys.openIncidents);
  const packed = await Promise.all(ids.map((id) => s.redis.hget(s.keys.incidentVectors, id)));
  return { version, vectors: ids.map((incident_id, i) => ({ incident_id, packed: packed[i] ?? null })) };
}
export const incidentsVersion = (s: Store) => s.redis.get(s.keys.incidentsVersion);
