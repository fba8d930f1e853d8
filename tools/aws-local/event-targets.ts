// EventBridge rule targets that are Lambda functions, as AWS runs them: the rule (its pattern as the template
// writes it, matched by moto's EventBridge) hands each event to Lambda's asynchronous invocation queue (here an
// SQS queue the rehearsal adds as the rule's target); Lambda invokes the function, retries a failed invocation
// up to the function's MaximumRetryAttempts (EventInvokeConfig; 2 when absent), drops events older than
// MaximumEventAgeInSeconds, and sends what still failed to the on-failure destination with Lambda's
// invocation record. Lambda waits about 1 and 2 minutes between retries; the rehearsal waits retryDelayMs · n.
import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { InvokeResult } from "./lambda-runner.js";

export interface AsyncInvokeConfig {
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  /** The on-failure destination's queue URL (SQS destinations only). */
  onFailureQueueUrl?: string;
}

export interface AsyncTarget {
  functionArn: string;
  /** Lambda's async queue for this target (an SQS queue the rule delivers to). */
  deliveryQueueUrl: string;
  config: AsyncInvokeConfig;
  retryDelayMs: number;
  invoke(event: unknown): Promise<InvokeResult>;
  onError?(err: unknown): void;
}

const DEFAULT_ASYNC: AsyncInvokeConfig = { maxRetryAttempts: 2, maxEventAgeSeconds: 6 * 3600 };
export const defaultAsyncConfig = () => ({ ...DEFAULT_ASYNC });

async function invokeAsync(sqs: SQSClient, t: AsyncTarget, event: { time?: string }) {
  const requestId = randomUUID();
  const enqueued = event.time ? Date.parse(event.time) : Date.now();
  let last: InvokeResult = { ok: false, errorType: "Unknown", errorMessage: "not invoked" };
  let condition = "RetriesExhausted";
  let attempts = 0;
  for (; attempts <= t.config.maxRetryAttempts; attempts++) {
    if (attempts > 0) await new Promise((r) => setTimeout(r, t.retryDelayMs * attempts));
    if (Date.now() - enqueued > t.config.maxEventAgeSeconds * 1000) {
      condition = "EventAgeExceeded";
      break;
    }
    last = await t.invoke(event);
    if (last.ok) return;
  }
  if (!t.config.onFailureQueueUrl) {
    t.onError?.(new Error(`${t.functionArn}: event dropped after ${attempts} attempts (${condition}); no on-failure destination`));
    return;
  }
  const error = last.ok ? undefined : last;
  // The record Lambda sends to an on-failure destination.
  const record = {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: { requestId, functionArn: `${t.functionArn}:$LATEST`, condition, approximateInvokeCount: attempts },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: error ? { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.stack ?? [] } : null,
  };
  await sqs.send(new SendMessageCommand({ QueueUrl: t.config.onFailureQueueUrl, MessageBody: JSON.stringify(record) }));
}

export function startAsyncTarget(sqs: SQSClient, t: AsyncTarget): { stop(): Promise<void> } {
  let running = true;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (running) {
      try {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: t.deliveryQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of r.Messages ?? []) {
          // Handed to Lambda: from here on the event is Lambda's to retry, not EventBridge's.
          await sqs.send(new DeleteMessageCommand({ QueueUrl: t.deliveryQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
          const p = invokeAsync(sqs, t, JSON.parse(m.Body ?? "{}") as { time?: string })
            .catch((err) => t.onError?.(err))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      } catch (err) {
        if (running) t.onError?.(err);
        await new Promise((w) => setTimeout(w, 500));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
    },
  };
}
