import type { ActivityEvent } from "../domain/schemas.js";
import type { SmartSupportEvent } from "../ports/event-bus.js";
import type { Runtime } from "../runtime.js";
import { appendActivity, pageActivity } from "../store/activity.js";
import type { Page } from "../store/cursor.js";

/** Appends a bus event to the capped activity stream that every API instance reads. */
export async function recordActivity(rt: Runtime, event: SmartSupportEvent): Promise<void> {
  await appendActivity(rt, rt.config.ACTIVITY_MAX_EVENTS, { type: event["detail-type"], ts: event.time, event_id: event.id, data: event.detail });
}

/** Newest first, a page at a time (the cursor is the last entry's id). */
export const activityPage = (rt: Runtime, limit: number, cursor?: string): Promise<Page<ActivityEvent>> => pageActivity(rt, limit, cursor);

export async function listActivity(rt: Runtime, limit: number): Promise<ActivityEvent[]> {
  return (await pageActivity(rt, limit, undefined)).items;
}
