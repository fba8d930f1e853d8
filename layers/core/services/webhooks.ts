import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { formatWebhook, type WebhookIntent } from "../domain/webhook-format.js";
import type { SmartSupportEvent } from "../ports/event-bus.js";
import type { Runtime } from "../runtime.js";

export const SIGNATURE_HEADER = "X-SmartSupport-Signature";
export const DELIVERY_HEADER = "X-SmartSupport-Delivery";

export const sign = (secret: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** The intent a webhook event carries (its detail as the script or service that appended it wrote it). */
function toIntent(event: SmartSupportEvent): WebhookIntent {
  const d = event.detail;
  switch (event["detail-type"]) {
    case "webhook.high_urgency":
      return { kind: "high_urgency", ticket: d.ticket } as WebhookIntent;
    case "webhook.incident_update":
      return { kind: "incident_update", incident: d.incident, step: Number(d.step), previous_step: Number(d.previous_step ?? 0) } as WebhookIntent;
    case "webhook.incident_resolved":
      return { kind: "incident_resolved", incident: d.incident } as WebhookIntent;
    default:
      return { kind: "master_incident", incident: d.incident } as WebhookIntent;
  }
}

// Timeouts, refused connections, 408, 429 and 5xx may pass on a later try; other 4xx will not.
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Delivers one webhook intent to WEBHOOK_URL: same body and delivery id on every attempt, each bounded by
 * the timeout, exponential backoff between attempts; a final failure is announced as `webhook_failed`.
 * Runs as a bus target, so however long it takes, classification has already moved on.
 */
export async function deliverWebhook(rt: Runtime, event: SmartSupportEvent, signal?: AbortSignal): Promise<void> {
  const { WEBHOOK_URL: url, WEBHOOK_FORMAT, WEBHOOK_SECRET, WEBHOOK_TIMEOUT_MS, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_BACKOFF_MS } =
    rt.config;
  if (!url) return;
  const intent = toIntent(event);
  const deliveryId = String(event.detail.delivery_id ?? event.id);
  const body = JSON.stringify(formatWebhook(WEBHOOK_FORMAT, intent, event.time));
  const headers: Record<string, string> = { "Content-Type": "application/json", [DELIVERY_HEADER]: deliveryId };
  if (WEBHOOK_SECRET) headers[SIGNATURE_HEADER] = sign(WEBHOOK_SECRET, body);

  let lastError = "";
  let attempt = 0;
  while (attempt < WEBHOOK_MAX_ATTEMPTS) {
    // Shutting down: give up this delivery unacknowledged; another process makes it (same delivery id).
    if (attempt > 0) await sleep(WEBHOOK_BACKOFF_MS * 2 ** (attempt - 1), undefined, { signal });
    signal?.throwIfAborted();
    attempt++;
    try {
      const timeout = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
      // No redirects: a 3xx would re-post the signed body wherever the receiver points; it is a failure.
      const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
      await res.body?.cancel();
      if (res.ok) return;
      lastError = res.status >= 300 && res.status < 400 ? `HTTP ${res.status} redirect to ${res.headers.get("location") ?? "?"} (not followed)` : `HTTP ${res.status}`;
      if (!retryable(res.status)) break;
    } catch (err) {
      signal?.throwIfAborted();
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }
  rt.logger.warn("webhook delivery failed", { delivery_id: deliveryId, attempts: attempt, error: lastError });
  await rt.bus.publish([
    {
      type: "webhook_failed",
      data: { delivery_id: deliveryId, webhook: intent.kind, attempts: attempt, error: lastError },
    },
  ]);
}
