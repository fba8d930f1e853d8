import { createHash } from "node:crypto";
import type { SQSRecord } from "aws-lambda";
import type { Redis } from "ioredis";
import { guarded, type IoRedisAdapter } from "../store/ioredis-adapter.js";
import type { Keys } from "../store/keys.js";
import { reclaimRecords } from "../store/lua/reclaim-records.js";
import { pruneConsumers } from "../store/prune-consumers.js";
import { encodeIntake, type IntakeMessage, type QueueConsumer, type QueuePort } from "./queue-port.js";

export const CONSUMER_GROUP = "classifiers";

/**
 * The local intake queue: a Redis stream read through a consumer group, behaving like SQS for the worker:
 * at-least-once delivery, records invisible while a consumer holds them, back after a visibility timeout,
 * dead-lettered after too many receives.
 */
export class RedisStreamQueue implements QueuePort, QueueConsumer {
  readonly redisStreamKey: string;
  private groupReady = false;

  constructor(
    // Sends and acks share the runtime's connection; XREADGROUP BLOCK gets its own, which it holds while
    // waiting (a send queued behind it would wait out the block).
    private readonly redis: IoRedisAdapter,
    private readonly blockingClient: Redis,
    private readonly keys: Keys,
    private readonly opts: { consumer: string; visibilityTimeoutMs: number; maxReceives: number },
  ) {
    blockingClient.on("error", () => {});
    this.redisStreamKey = keys.intake;
  }

  private get client(): Redis {
    return this.redis.client;
  }

  async send(messages: IntakeMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pipe = this.client.pipeline();
    for (const m of messages) pipe.xadd(this.keys.intake, "*", "body", encodeIntake(m));
    await guarded(async () => {
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    });
  }

  private async ensureGroup() {
    if (this.groupReady) return;
    try {
      await this.client.xgroup("CREATE", this.keys.intake, CONSUMER_GROUP, "0", "MKSTREAM");
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("BUSYGROUP")) throw err;
    }
    this.groupReady = true;
  }

  async receive(maxRecords: number, waitMs: number): Promise<SQSRecord[]> {
    try {
      return await this.receiveOnce(maxRecords, waitMs);
    } catch (err) {
      // Redis restarted without persistence (or the stream was deleted): the group is gone. Make it again
      // and carry on; what was accepted since is in the stream and is read from its start.
      if (!(err instanceof Error) || !err.message.includes("NOGROUP")) throw err;
      this.groupReady = false;
      await this.ensureGroup();
      return [];
    }
  }

  /** Leaves the consumer group if this consumer holds nothing (a stopped worker is not listed forever). */
  async leave(): Promise<void> {
    await pruneConsumers(this.redis, this.keys.intake, CONSUMER_GROUP, this.opts.consumer, this.pruneAfterMs);
  }

  // A consumer silent for this long, holding nothing, belonged to a process that died: it is removed.
  private get pruneAfterMs() {
    return Math.max(10 * this.opts.visibilityTimeoutMs, 60_000);
  }
  private lastPrune = 0;

  private async receiveOnce(maxRecords: number, waitMs: number): Promise<SQSRecord[]> {
    await this.ensureGroup();
    if (Date.now() - this.lastPrune > this.pruneAfterMs) {
      this.lastPrune = Date.now();
      await pruneConsumers(this.redis, this.keys.intake, CONSUMER_GROUP, "", this.pruneAfterMs);
    }
    const reclaimed = await reclaimRecords(this.redis, this.keys, {
      group: CONSUMER_GROUP,
      consumer: this.opts.consumer,
      minIdleMs: this.opts.visibilityTimeoutMs,
      count: maxRecords,
      maxReceives: this.opts.maxReceives,
    });
    const records = reclaimed.map((r) => this.toRecord(r.id, r.fields.body ?? "", r.deliveries));
    if (records.length >= maxRecords) return records;

    const args = ["GROUP", CONSUMER_GROUP, this.opts.consumer, "COUNT", maxRecords - records.length] as const;
    const reply = records.length
      ? await this.client.xreadgroup(...args, "STREAMS", this.keys.intake, ">")
      : await this.blockingClient.xreadgroup(...args, "BLOCK", waitMs, "STREAMS", this.keys.intake, ">");
    for (const [, entries] of (reply ?? []) as [string, [string, string[]][]][]) {
      for (const [id, flat] of entries) {
        const bodyAt = flat.indexOf("body");
        records.push(this.toRecord(id, bodyAt >= 0 ? (flat[bodyAt + 1] ?? "") : "", 1));
      }
    }
    return records;
  }

  async ack(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    const ids = records.map((r) => r.receiptHandle);
    await this.client.multi().xack(this.keys.intake, CONSUMER_GROUP, ...ids).xdel(this.keys.intake, ...ids).exec();
  }

  private toRecord(id: string, body: string, deliveries: number): SQSRecord {
    return {
      messageId: id,
      receiptHandle: id,
      body,
      attributes: {
        ApproximateReceiveCount: String(deliveries),
        SentTimestamp: id.split("-")[0] ?? "0",
        SenderId: "local",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: createHash("md5").update(body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.keys.intake}`,
      awsRegion: "local",
    };
  }
}
