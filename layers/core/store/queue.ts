import { decodeCursor, encodeCursor, isPair, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { backlogAdd } from "./lua/backlog-add.js";
import { clearQueue } from "./lua/clear-queue.js";
import { zsetPage } from "./lua/page.js";
import { popTicket } from "./lua/pop-ticket.js";
import type { RedisPort } from "./redis-port.js";
import { getTicketRecords, isQueued, type TicketRecord } from "./tickets.js";

export { clearQueue, popTicket };

/**
 * The urgency queue and the backlog.
 * - queue: zset keys.queue, member = ticket id, score = queueScore(S, arrival seq); pop order = ZREVRANGE.
 * - backlog: zset keys.backlog of work nobody could take, scored like the queue; members are typed,
 *   "t:<ticket id>" or "i:<incident id>" (lua/includes/keys.lua), so a ticket id cannot pose as an incident.
 */
type Store = { redis: RedisPort; keys: Keys };

export type BacklogWork = { kind: "ticket" | "incident"; id: string };
const T = "t:";
const I = "i:";
export const backlogMember = (w: BacklogWork) => (w.kind === "incident" ? I : T) + w.id;
export function parseBacklogMember(m: string): BacklogWork | null {
  if (m.startsWith(T)) return { kind: "ticket", id: m.slice(T.length) };
  if (m.startsWith(I)) return { kind: "incident", id: m.slice(I.length) };
  return null;
}

export const queueSize = (s: Store) => s.redis.zcard(s.keys.queue);
export const backlogSize = (s: Store) => s.redis.zcard(s.keys.backlog);

/** Waiting tickets in pop order after the cursor. A ticket popped between the two reads is left out. */
export async function pageQueue(s: Store, limit: number, cursor: string | undefined): Promise<Page<TicketRecord>> {
  const at = decodeCursor(cursor, isPair);
  const rows = await zsetPage(s.redis, s.keys.queue, limit + 1, at && { score: at[0], member: at[1] });
  const page = rows.slice(0, limit);
  const hashes = await getTicketRecords(s, page.map((r) => r.member));
  const last = page[page.length - 1];
  return { items: hashes.filter(isQueued), next: rows.length > limit && last ? encodeCursor([last.score, last.member]) : null };
}

/** Puts work in the backlog only if it is still waiting (one script); false when it no longer is. */
export function addToBacklog(s: Store, w: BacklogWork, score: number): Promise<boolean> {
  const key = w.kind === "incident" ? s.keys.incident(w.id) : s.keys.ticket(w.id);
  return backlogAdd(s.redis, s.keys.backlog, key, w.kind, w.id, score);
}

/** The most urgent backlog member (raw, for removeFromBacklog) and its work, or null when empty. */
export async function backlogTop(s: Store): Promise<{ member: string; work: BacklogWork | null } | null> {
  const [top] = await s.redis.zrevrange(s.keys.backlog, 0, 0);
  return top === undefined ? null : { member: top, work: parseBacklogMember(top) };
}

export const removeFromBacklog = (s: Store, member: string) => s.redis.zrem(s.keys.backlog, member);
