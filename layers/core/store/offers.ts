import type { Offer } from "../domain/schemas.js";
import { decodeCursor, encodeCursor, isPair, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { zsetPage } from "./lua/page.js";
import type { RedisPort } from "./redis-port.js";
import { getTicketRecords, toRoutedTicket, type TicketRecord } from "./tickets.js";

export { dueOffers, expireOffer, offerTicket, respondToOffer, type ExpireOutcome, type OfferOutcome, type RespondOutcome } from "./lua/offers.js";

/**
 * Offers (ROUTING_OFFERS): a pending offer lives in its ticket's hash (offer_agent_id, offer_status
 * "pending", offered_at, offer_expires_at, offer_expires_ms, and charged "1": the offer holds one unit of the
 * agent's capacity), in the agent's offers zset (keys.agentOffers, score offered ms) and in the deadlines zset
 * (keys.offerDeadlines, score deadline ms). offer_status then records how it ended: accepted, rejected,
 * expired or withdrawn (the ticket was popped, resolved, cleared or joined an incident). The agents who
 * rejected a ticket or let its offer expire are in its "declined" field (a JSON array). Only the offer scripts
 * (lua/offer-*.lua) and the assignment scripts (includes/assignment.lua) change them.
 */
type Store = { redis: RedisPort; keys: Keys };

export const OFFER_PENDING = "pending";

/** The agents never to be offered this ticket again. */
export function declinedBy(h: TicketRecord): string[] {
  if (!h.declined) return [];
  try {
    const list: unknown = JSON.parse(h.declined);
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** The ticket's offer to this agent while pending and not past its deadline (the sweep expires it then). */
export function pendingOffer(h: TicketRecord, agentId: string, now: Date): Offer | null {
  if (h.offer_status !== OFFER_PENDING || h.offer_agent_id !== agentId) return null;
  if (Number(h.offer_expires_ms ?? 0) <= now.getTime()) return null;
  return { ticket_id: h.ticket_id ?? "", offered_at: h.offered_at ?? "", expires_at: h.offer_expires_at ?? "", ticket: toRoutedTicket(h) };
}

/** The agent's pending offers, newest first, after the cursor. */
export async function pageAgentOffers(s: Store, agentId: string, limit: number, cursor: string | undefined, now: Date): Promise<Page<Offer>> {
  const at = decodeCursor(cursor, isPair);
  const rows = await zsetPage(s.redis, s.keys.agentOffers(agentId), limit + 1, at && { score: at[0], member: at[1] });
  const page = rows.slice(0, limit);
  const hashes = await getTicketRecords(s, page.map((r) => r.member));
  const items = hashes.flatMap((h, i) => pendingOffer({ ...h, ticket_id: page[i]!.member }, agentId, now) ?? []);
  const last = page[page.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor([last.score, last.member]) : null };
}
