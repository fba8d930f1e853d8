import type { BusEvent } from "../../ports/event-bus.js";
import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("store-processed");

export type StoreOutcome = "stored" | "already_processed" | "missing";

/** Stores the classified ticket and queues it; only when it does, `events` go to the outbox in the same step. */
export async function storeProcessed(
  redis: RedisPort,
  keys: Keys,
  ticketId: string,
  score: number,
  fields: Record<string, string>,
  events: BusEvent[] = [],
): Promise<StoreOutcome> {
  const reply = await redis.run<number>(
    script,
    [keys.ticket(ticketId), keys.queue, keys.counters, keys.outbox],
    [ticketId, score, fields.model ?? "baseline", JSON.stringify(events.map((e) => [e.type, JSON.stringify(e.data)])), ...Object.entries(fields).flat()],
  );
  return reply === 1 ? "stored" : reply === 0 ? "already_processed" : "missing";
}
