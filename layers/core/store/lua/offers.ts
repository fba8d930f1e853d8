import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const offerScript = loadLua("offer-ticket");
const respondScript = loadLua("offer-respond");
const expireScript = loadLua("offer-expire");
const dueScript = loadLua("offers-due");

export type OfferOutcome = "offered" | "agent_unavailable" | "declined" | "not_assignable";

/** Offers a processed ticket to an agent until `deadline` (offer-ticket.lua); ticket_offered goes to the outbox. */
export async function offerTicket(redis: RedisPort, keys: Keys, ticketId: string, agentId: string, now: Date, deadline: Date): Promise<OfferOutcome> {
  const n = await redis.run<number>(
    offerScript,
    [keys.agent(agentId), keys.ticket(ticketId), keys.offerDeadlines, keys.backlog, keys.outbox],
    [ticketId, agentId, keys.ticketPrefix, keys.agentPrefix, now.getTime(), now.toISOString(), deadline.getTime(), deadline.toISOString()],
  );
  return n === 1 ? "offered" : n === 0 ? "agent_unavailable" : n === -2 ? "declined" : "not_assignable";
}

/** How an agent's answer to an offer went (offer-respond.lua's reply, decoded here only). */
export type RespondOutcome =
  | { outcome: "accepted" | "rejected" }
  | { outcome: "no_agent" | "no_ticket" | "no_offer" | "other_agent" | "expired" }
  /** The ticket's last offer is over: how it ended (accepted, rejected, expired, withdrawn) and to whom it was. */
  | { outcome: "not_pending"; ended: string; agent_id: string };

export async function respondToOffer(
  redis: RedisPort,
  keys: Keys,
  answer: "accept" | "reject",
  ticketId: string,
  agentId: string,
  now: Date,
): Promise<RespondOutcome> {
  const reply = await redis.run<string[]>(
    respondScript,
    [keys.ticket(ticketId), keys.agent(agentId), keys.offerDeadlines, keys.assignments, keys.backlog, keys.queue, keys.outbox],
    [answer, ticketId, agentId, keys.ticketPrefix, keys.agentPrefix, now.getTime(), now.toISOString()],
  );
  const [outcome, ended, agent] = reply.map(String);
  if (outcome === "not_pending") return { outcome, ended: ended ?? "", agent_id: agent ?? "" };
  return { outcome: outcome as Exclude<RespondOutcome["outcome"], "not_pending"> };
}

export type ExpireOutcome = "expired" | "stale" | "not_due";

/** Expires one due offer (offer-expire.lua); offer_expired goes to the outbox. */
export async function expireOffer(redis: RedisPort, keys: Keys, ticketId: string, now: Date): Promise<ExpireOutcome> {
  return redis.run<ExpireOutcome>(
    expireScript,
    [keys.offerDeadlines, keys.ticket(ticketId), keys.backlog, keys.queue, keys.outbox],
    [ticketId, keys.ticketPrefix, keys.agentPrefix, now.getTime()],
  );
}

/** Tickets whose offer deadline is at or before `now`, earliest first, at most `limit`. */
export async function dueOffers(redis: RedisPort, keys: Keys, now: Date, limit: number): Promise<string[]> {
  return (await redis.run<string[]>(dueScript, [keys.offerDeadlines], [now.getTime(), limit])).map(String);
}
