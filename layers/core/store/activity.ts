import type { ActivityEvent } from "../domain/schemas.js";
import { decodeCursor, encodeCursor, type Page } from "./cursor.js";
import type { Keys } from "./keys.js";
import { streamPage } from "./lua/page.js";
import type { RedisPort } from "./redis-port.js";

/**
 * Activity: the capped stream keys.activity; each entry's fields are type, ts, event_id and data (JSON).
 * Pages go newest first; the cursor is the last entry id a reader saw.
 */
type Store = { redis: RedisPort; keys: Keys };

const isStreamId = (v: unknown): v is string => typeof v === "string" && /^\d+-\d+$/.test(v);

export function appendActivity(s: Store, maxLen: number, e: { type: string; ts: string; event_id: string; data: unknown }) {
  return s.redis.xadd(s.keys.activity, maxLen, { type: e.type, ts: e.ts, event_id: e.event_id, data: JSON.stringify(e.data) });
}

export async function pageActivity(s: Store, limit: number, cursor: string | undefined): Promise<Page<ActivityEvent>> {
  const before = decodeCursor(cursor, isStreamId);
  const entries = await streamPage(s.redis, s.keys.activity, limit + 1, before);
  const page = entries.slice(0, limit);
  const items = page.map(({ id, fields }) => ({
    id,
    ts: fields.ts ?? "",
    type: fields.type ?? "",
    data: JSON.parse(fields.data ?? "{}") as Record<string, unknown>,
  }));
  return { items, next: entries.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
}
