import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("store-processed");

export type StoreOutcome = "stored" | "already_processed" | "missing";

export async function storeProcessed(
  redis: RedisPort,
  keys: Keys,
  ticketId: string,
  score: number,
  fields: Record<string, string>,
): Promise<StoreOutcome> {
  const reply = await redis.run<number>(
    script,
    [keys.ticket(ticketId), keys.queue, keys.counters],
    [ticketId, score, fields.model ?? "baseline", ...Object.entries(fields).flat()],
  );
  return reply === 1 ? "stored" : reply === 0 ? "already_processed" : "missing";
}
