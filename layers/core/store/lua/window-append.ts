import type { DedupSpace } from "../../domain/dedup.js";
import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("window-append");

export function windowAppend(
  redis: RedisPort,
  keys: Keys,
  windowMs: number,
  entries: { ticket_id: string; space: DedupSpace; vector: string }[],
): Promise<string> {
  return redis.run<string>(script, [keys.dedupLog], [windowMs, ...entries.flatMap((e) => [e.ticket_id, e.space, e.vector])]);
}
