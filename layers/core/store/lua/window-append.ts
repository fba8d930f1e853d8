import type { DedupSpace } from "../../domain/dedup.js";
import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("window-append");

/**
 * One ticket's dedup entry: `vector` is its embedding (space "semantic") or, without one, its lexical
 * signature (space "lexical"); `lexical` is its lexical signature beside an embedding.
 */
export interface WindowAppendEntry {
  ticket_id: string;
  space: DedupSpace;
  vector: string;
  lexical?: string;
}

export function windowAppend(redis: RedisPort, keys: Keys, windowMs: number, entries: WindowAppendEntry[]): Promise<string> {
  return redis.run<string>(script, [keys.dedupLog], [windowMs, ...entries.flatMap((e) => [e.ticket_id, e.space, e.vector, e.lexical ?? ""])]);
}
