import type { ActivityEvent } from "../domain/schemas.js";
import type { SmartSupportEvent } from "../ports/event-bus.js";
import type { Runtime } from "../runtime.js";

/** Appends a bus event to the capped activity stream that every API instance reads. */
export async function recordActivity(rt: Runtime, event: SmartSupportEvent): Promise<void> {
  await rt.redis.xadd(rt.keys.activity, rt.config.ACTIVITY_MAX_EVENTS, {
    type: event["detail-type"],
    ts: event.time,
    event_id: event.id,
    data: JSON.stringify(event.detail),
  });
}

export async function listActivity(rt: Runtime, limit: number): Promise<ActivityEvent[]> {
  const entries = await rt.redis.xrevrange(rt.keys.activity, limit);
  return entries.map(({ id, fields }) => ({
    id,
    ts: fields.ts ?? "",
    type: fields.type ?? "",
    data: JSON.parse(fields.data ?? "{}") as Record<string, unknown>,
  }));
}
