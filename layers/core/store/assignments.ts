import type { Assignment } from "../domain/schemas.js";
import { decodeCursor, encodeCursor, isPair, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { zsetPage } from "./lua/page.js";
import type { RedisPort } from "./redis-port.js";
import { getTicketRecords } from "./tickets.js";

export { assignIncident, assignTicket, joinIncidentOwner, type AssignOutcome } from "./lua/assign.js";

/**
 * Assignments: a ticket's assignment lives in its hash (agent_id, charged, assigned_at), in its agent's
 * ticket set (keys.agentTickets) and in the keys.assignments zset (member ticket id, score assigned ms).
 * Only the assignment scripts (lua/assign-*.lua, includes/assignment.lua) change them.
 */
type Store = { redis: RedisPort; keys: Keys };

/** Current assignments, newest first, after the cursor. */
export async function pageAssignments(s: Store, limit: number, cursor: string | undefined): Promise<Page<Assignment>> {
  const at = decodeCursor(cursor, isPair);
  const rows = await zsetPage(s.redis, s.keys.assignments, limit + 1, at && { score: at[0], member: at[1] });
  const page = rows.slice(0, limit);
  const hashes = await getTicketRecords(s, page.map((r) => r.member));
  const items = hashes.flatMap((h, i) =>
    h.agent_id ? [{ ticket_id: page[i]!.member, agent_id: h.agent_id, assigned_at: h.assigned_at ?? "", incident_id: h.incident_id || null }] : [],
  );
  const last = page[page.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor([last.score, last.member]) : null };
}
