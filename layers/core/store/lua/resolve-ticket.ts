import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("resolve-ticket");

export type ResolveOutcome =
  | { outcome: "resolved"; agent_id: string | null }
  | { outcome: "already" | "missing" }
  /** Not waiting in the queue: accepted (not classified yet) or popped. */
  | { outcome: "not_processed"; status: string };

/** Marks a processed ticket resolved and gives its unit back (resolve-ticket.lua); ticket_resolved goes to the outbox. */
export async function resolveTicket(redis: RedisPort, keys: Keys, ticketId: string, now: Date, ttlSeconds: number): Promise<ResolveOutcome> {
  const reply = (
    await redis.run<string[]>(
      script,
      [keys.ticket(ticketId), keys.queue, keys.assignments, keys.backlog, keys.counters, keys.offerDeadlines, keys.outbox],
      [ticketId, keys.ticketPrefix, keys.agentPrefix, now.toISOString(), ttlSeconds],
    )
  ).map(String);
  if (reply[0] === "resolved") return { outcome: "resolved", agent_id: reply[1] || null };
  if (reply[0] === "not_processed") return { outcome: "not_processed", status: reply[1] ?? "" };
  return { outcome: reply[0] === "already" ? "already" : "missing" };
}
