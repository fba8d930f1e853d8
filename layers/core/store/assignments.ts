import type { Assignment } from "../domain/schemas.js";
import { decodeCursor, encodeCursor, isPair, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { zsetPage } from "./lua/page.js";
import type { RedisPort } from "./redis-port.js";
import { parseBacklogMember, type BacklogWork } from "./queue.js";
import { getTicketRecords } from "./tickets.js";

export { assignIncident, assignTicket, joinIncidentOwner, type AssignOutcome } from "./lua/assign.js";
export { resolveTicket, type ResolveOutcome } from "./lua/resolve-ticket.js";

/**
 * Assignments: a ticket's assignment lives in its hash (agent_id, charged, assigned_at), in its agent's
 * ticket set (keys.agentTickets) and in the keys.assignments zset (member ticket id, score assigned ms).
 * Only the assignment scripts (lua/assign-*.lua, includes/assignment.lua) change them; resolve-ticket.lua ends
 * one when the agent has finished the ticket.
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

/**
 * The most urgent backlog member routing has not passed over in this drain (work no eligible agent may take:
 * everyone free declined it), with its work; null when there is none. Reads at most passed.size + 1 members.
 */
export async function backlogNext(s: Store, passed: ReadonlySet<string>): Promise<{ member: string; work: BacklogWork | null } | null> {
  const members = await s.redis.zrevrange(s.keys.backlog, 0, passed.size);
  const member = members.find((m) => !passed.has(m));
  return member === undefined ? null : { member, work: parseBacklogMember(member) };
}
