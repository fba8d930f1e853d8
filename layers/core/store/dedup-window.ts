import type { Keys } from "./keys.js";
import type { RedisPort, StreamEntry } from "./redis-port.js";

export { windowAppend, type WindowAppendEntry } from "./lua/window-append.js";

/**
 * The dedup window: the stream keys.dedupLog, entry ids are Redis times so trimming by MINID is trimming by
 * age (lua/window-append.lua). Two kinds of entry:
 *   ticket: t = ticket id, s = space, v = packed vector (embedding, or the lexical signature when the ticket
 *           has no embedding), l = packed lexical signature beside an embedding;
 *   link:   i = incident id, m = JSON array of the ticket ids dedup-apply just linked to it.
 */
type Store = { redis: RedisPort; keys: Keys };

export interface WindowEntry {
  id: string;
  ticket_id: string | undefined;
  space: string | undefined;
  vector: string;
  lexical: string | undefined;
  /** A link entry: the incident and the tickets linked to it. */
  incident_id: string | undefined;
  linked: string[];
}

function parseLinked(m: string | undefined): string[] {
  if (!m) return [];
  try {
    const v = JSON.parse(m) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

const toEntry = ({ id, fields }: StreamEntry): WindowEntry => ({
  id,
  ticket_id: fields.t,
  space: fields.s,
  vector: fields.v ?? "",
  lexical: fields.l || undefined,
  incident_id: fields.i || undefined,
  linked: parseLinked(fields.m),
});

/** Entries from `start` (XRANGE syntax, "(" exclusive), oldest first. */
export async function readWindow(s: Store, start: string, count: number): Promise<WindowEntry[]> {
  return (await s.redis.xrange(s.keys.dedupLog, start, "+", count)).map(toEntry);
}
