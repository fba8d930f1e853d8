import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { StoreUnavailableError } from "../store/redis-port.js";
import { encodeIntake, LANES, type IntakeMessage, type Lane, type QueuePort } from "./queue-port.js";

/** SendMessageBatch takes at most 10 entries. */
const SQS_BATCH_LIMIT = 10;

/**
 * Some messages of a send were not accepted (the others were). It is a StoreUnavailableError so intake answers
 * 503 and the client retries the whole request: the consumer is idempotent per job, so the messages that did
 * go through being sent again is harmless, while a dropped one would leave its ticket unprocessed.
 */
export class SqsPartialFailureError extends StoreUnavailableError {
  override name = "SqsPartialFailureError";
  constructor(readonly failedTicketIds: string[], detail: string) {
    super(`SQS unavailable: ${failedTicketIds.length} message(s) not accepted, tickets ${detail}`);
  }
}

/**
 * The intake queue in AWS: one SQS queue per lane; intake sends each ticket to its lane's queue, and an SQS
 * event source per queue (each with its own maximum concurrency) feeds the same classifier.
 */
export class SqsQueue implements QueuePort {
  private readonly client: SQSClient;
  private readonly queueUrls: Record<Lane, string>;

  constructor(opts: { client: SQSClient; queueUrls: Record<Lane, string> }) {
    this.client = opts.client;
    this.queueUrls = opts.queueUrls;
  }

  async send(messages: (IntakeMessage & { lane: Lane })[]): Promise<void> {
    const chunks: { url: string; messages: IntakeMessage[] }[] = [];
    for (const lane of LANES) {
      const inLane = messages.filter((m) => m.lane === lane).map(({ ticket_id, job_id }) => ({ ticket_id, job_id }));
      for (let i = 0; i < inLane.length; i += SQS_BATCH_LIMIT) chunks.push({ url: this.queueUrls[lane], messages: inLane.slice(i, i + SQS_BATCH_LIMIT) });
    }
    // Chunks go out together (a large intake request waits one round trip, not one per 10), and all of them
    // settle before we throw, so every failure is named and none is left running unobserved.
    const settled = await Promise.allSettled(chunks.map((chunk) => this.sendChunk(chunk.url, chunk.messages)));

    const rejected = settled.find((s) => s.status === "rejected");
    if (rejected) {
      const err: unknown = rejected.reason;
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new StoreUnavailableError(`SQS unavailable: ${what}`, { cause: err });
    }
    const failed = settled.flatMap((s) => (s.status === "fulfilled" ? s.value : []));
    if (failed.length) {
      const detail = failed.map((f) => `${f.ticketId} (${f.reason})`).join(", ");
      throw new SqsPartialFailureError(
        failed.map((f) => f.ticketId),
        detail,
      );
    }
  }

  /** Sends up to 10 messages; returns the ones SQS did not accept. */
  private async sendChunk(queueUrl: string, chunk: IntakeMessage[]): Promise<{ ticketId: string; reason: string }[]> {
    // Entry ids only need to be unique within the call and match [\w-]{1,80}: ticket ids are caller-chosen,
    // so the position stands in for them and maps the reply back.
    const entries: SendMessageBatchRequestEntry[] = chunk.map((m, i) => ({ Id: `m${i}`, MessageBody: encodeIntake(m) }));
    const out: SendMessageBatchCommandOutput = await this.client.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
    );
    const ok = new Set((out.Successful ?? []).map((s) => s.Id));
    const failures = new Map((out.Failed ?? []).map((f) => [f.Id, `${f.Code ?? "error"}: ${f.Message ?? "no message"}`]));
    // An entry in neither list counts as failed: only an explicit success is proof that SQS has it.
    return chunk.flatMap((m, i) =>
      ok.has(`m${i}`) ? [] : [{ ticketId: m.ticket_id, reason: failures.get(`m${i}`) ?? "not acknowledged" }],
    );
  }
}
