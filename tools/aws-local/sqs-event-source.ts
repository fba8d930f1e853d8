// An SQS event source mapping as Lambda runs it: long-poll the queue, gather up to BatchSize records or until
// MaximumBatchingWindowInSeconds has passed, invoke the function with an SQSEvent, then delete what succeeded.
// With ReportBatchItemFailures only the listed records stay (an unparseable answer fails the whole batch);
// a function error leaves every record. Records left come back after the queue's visibility timeout, and the
// queue's own redrive policy moves them to its dead-letter queue after maxReceiveCount receives (SQS does
// that, here moto). At most MaximumConcurrency batches are in flight.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { InvokeResult } from "./lambda-runner.js";

export interface EventSourceMapping {
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  batchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  maxConcurrency: number;
  invoke(event: SQSEvent): Promise<InvokeResult>;
  onError?(err: unknown): void;
}

const toRecord = (m: Message, esm: EventSourceMapping): SQSRecord => ({
  messageId: m.MessageId!,
  receiptHandle: m.ReceiptHandle!,
  body: m.Body ?? "",
  attributes: {
    ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
    SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: m.Attributes?.SenderId ?? "AIDAREHEARSAL",
    ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: Object.fromEntries(
    Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
      k,
      { dataType: v.DataType!, stringValue: v.StringValue, binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString("base64") : undefined, stringListValues: [], binaryListValues: [] },
    ]),
  ),
  md5OfBody: m.MD5OfBody ?? "",
  eventSource: "aws:sqs",
  eventSourceARN: esm.queueArn,
  awsRegion: esm.region,
});

/** The message ids to keep, from the function's answer; undefined = the whole batch failed. */
function failedIds(outcome: InvokeResult, batch: Message[], esm: EventSourceMapping): Set<string> {
  const all = new Set(batch.map((m) => m.MessageId!));
  if (!outcome.ok) return all;
  if (!esm.reportBatchItemFailures) return new Set();
  const r = outcome.result as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null;
  if (r === null || r === undefined || (typeof r === "object" && !("batchItemFailures" in r))) return new Set();
  if (!Array.isArray(r.batchItemFailures)) return all;
  const ids = r.batchItemFailures.map((f) => f?.itemIdentifier);
  // Lambda treats an empty, unknown or missing itemIdentifier as a failure of the whole batch.
  if (ids.some((id) => typeof id !== "string" || !all.has(id))) return all;
  return new Set(ids as string[]);
}

export function startEventSource(sqs: SQSClient, esm: EventSourceMapping): { stop(): Promise<void> } {
  let running = true;
  const pollers: Promise<void>[] = [];

  async function gather(): Promise<Message[]> {
    const batch: Message[] = [];
    const until = Date.now() + esm.batchingWindowSeconds * 1000;
    while (running && batch.length < esm.batchSize) {
      const left = until - Date.now();
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: esm.queueUrl,
          MaxNumberOfMessages: Math.min(10, esm.batchSize - batch.length),
          // Empty-handed: wait for the first record; once one is held, only until the window closes.
          WaitTimeSeconds: batch.length ? Math.max(0, Math.min(20, Math.floor(left / 1000))) : 1,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      batch.push(...(r.Messages ?? []));
      if (batch.length && Date.now() >= until) break;
      if (batch.length && !r.Messages?.length) await new Promise((w) => setTimeout(w, 100));
    }
    return batch;
  }

  async function poll() {
    while (running) {
      try {
        const batch = await gather();
        if (!batch.length) continue;
        const outcome = await esm.invoke({ Records: batch.map((m) => toRecord(m, esm)) });
        const keep = failedIds(outcome, batch, esm);
        const done = batch.filter((m) => !keep.has(m.MessageId!));
        for (let i = 0; i < done.length; i += 10) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: esm.queueUrl,
              Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
      } catch (err) {
        if (running) esm.onError?.(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  for (let i = 0; i < esm.maxConcurrency; i++) pollers.push(poll());
  return {
    async stop() {
      running = false;
      await Promise.all(pollers);
    },
  };
}
