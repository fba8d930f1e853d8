import type { Keys } from "./keys.js";
import type { RedisPort, StreamEntry } from "./redis-port.js";

export { windowAppend } from "./lua/window-append.js";

/**
 * The dedup window: the stream keys.dedupLog, one entry per ticket (t = ticket id, s = space, v = packed
 * vector), entry ids are Redis times so trimming by MINID is trimming by age (lua/window-append.lua).
 */
type Store = { redis: RedisPort; keys: Keys };

export interface WindowEntry {
  id: string;
  ticket_id: string | undefined;
  space: string | undefined;
  vector: string;
}

const toEntry = ({ id, fields }: StreamEntry): WindowEntry => ({ id, ticket_id: fields.t, space: fields.s, vector: fields.v ?? "" });

/** Entries from `start` (XRANGE syntax, "(" exclusive), oldest first. */
export async function readWindow(s: Store, start: string, count: number): Promise<WindowEntry[]> {
  return (await s.redis.xrange(s.keys.dedupLog, start, "+", count)).map(toEntry);
}
