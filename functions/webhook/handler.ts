import type { SmartSupportEvent } from "../../layers/core/ports/event-bus.js";
import type { Runtime } from "../../layers/core/runtime.js";
import { deliverWebhook } from "../../layers/core/services/webhooks.js";

export const webhookHandler = (rt: Runtime) => (event: SmartSupportEvent, signal?: AbortSignal) => deliverWebhook(rt, event, signal);
