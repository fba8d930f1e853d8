import type { SmartSupportEvent } from "../../layers/core/ports/event-bus.js";
import type { Runtime } from "../../layers/core/runtime.js";
import { recordActivity } from "../../layers/core/services/activity.js";

export const activityHandler = (rt: Runtime) => (event: SmartSupportEvent) => recordActivity(rt, event);
