import type { Keys } from "../keys.js";
import { pairsToObject, type RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("pop-ticket");

/** The popped ticket's stored fields, or null when the queue is empty. */
export async function popTicket(
  redis: RedisPort,
  keys: Keys,
  opts: { now: Date; ttlSeconds: number },
): Promise<Record<string, string> | null> {
  const flat = await redis.run<string[]>(script, [keys.queue, keys.counters, keys.assignments, keys.backlog], [
    keys.ticketPrefix,
    opts.now.toISOString(),
    opts.ttlSeconds,
    keys.agentPrefix,
  ]);
  return flat.length ? pairsToObject(flat) : null;
}
