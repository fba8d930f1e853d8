import { createHash } from "node:crypto";
import type { SQSRecord } from "aws-lambda";
import type { Redis } from "ioredis";
import { guarded, type IoRedisAdapter } from "../store/ioredis-adapter.js";
import type { Keys } from "../store/keys.js";
import { reclaimRecords } from "../store/lua/reclaim-records.js";
import { pruneConsumers } from "../store/prune-consumers.js";
import { encodeIntake, LANES, type IntakeMessage, type Lane, type QueueConsumer, type QueuePort } from "./queue-port.js";

export const CONSUMER_GROUP = "classifiers";
const ARN_PREFIX = "arn:aws:sqs:local:000000000000:";

/**
 * The local intake queue: two Redis streams (the main lane and the flood lane) read through a consumer group
 * each, behaving like SQS for the worker: at-least-once delivery, records invisible while a consumer holds
 * them, back after a visibility timeout, dead-lettered after too many receives. A receive takes the main lane
 * first and gives the flood lane FLOOD_LANE_SHARE of the records while the main lane has work (credit carried
 * across receives, so the share holds for batches of one too), all of them when it has none.
 */
export class RedisStreamQueue implements QueuePort, QueueConsumer {
  readonly redisStreams: Record<Lane, string>;
  private groupReady = false;
  /** Flood-lane records owed to the flood lane by the fairness share, carried from receive to receive. */
  private floodCredit = 0;

  constructor(
    // Sends and acks share the runtime's connection; XREADGROUP BLOCK gets its own, which it holds while
    // waiting (a send queued behind it would wait out the block).
    private readonly redis: IoRedisAdapter,
    private readonly blockingClient: Redis,
    private readonly keys: Keys,
    private readonly opts: {
      consumer: string;
      visibilityTimeoutMs: number;
      maxReceives: number;
      floodShare: number;
      /** The most flood-lane records one receive takes, however many it may take in all (WORKER_BATCH_SIZE). */
      floodBatch: number;
    },
  ) {
    blockingClient.on("error", () => {});
    this.redisStreams = { main: keys.intake, flood: keys.intakeFlood };
  }

  private get client(): Redis {
    return this.redis.client;
  }

  private get streams(): string[] {
    return LANES.map((lane) => this.redisStreams[lane]);
  }

  async send(messages: (IntakeMessage & { lane: Lane })[]): Promise<void> {
    if (messages.length === 0) return;
    const pipe = this.client.pipeline();
    for (const { lane, ...m } of messages) pipe.xadd(this.redisStreams[lane], "*", "body", encodeIntake(m));
    await guarded(async () => {
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    });
  }

  private async ensureGroups() {
    if (this.groupReady) return;
    for (const stream of this.streams) {
      try {
        await this.client.xgroup("CREATE", stream, CONSUMER_GROUP, "0", "MKSTREAM");
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("BUSYGROUP")) throw err;
      }
    }
    this.groupReady = true;
  }

  async receive(maxRecords: number, waitMs: number): Promise<SQSRecord[]> {
    try {
      return await this.receiveOnce(maxRecords, waitMs);
    } catch (err) {
      // Redis restarted without persistence (or a stream was deleted): a group is gone. Make them again
      // and carry on; what was accepted since is in the streams and is read from their start.
      if (!(err instanceof Error) || !err.message.includes("NOGROUP")) throw err;
      this.groupReady = false;
      await this.ensureGroups();
      return [];
    }
  }

  /** Leaves the consumer groups if this consumer holds nothing (a stopped worker is not listed forever). */
  async leave(): Promise<void> {
    for (const stream of this.streams) await pruneConsumers(this.redis, stream, CONSUMER_GROUP, this.opts.consumer, this.pruneAfterMs);
  }

  // A consumer silent for this long, holding nothing, belonged to a process that died: it is removed.
  private get pruneAfterMs() {
    return Math.max(10 * this.opts.visibilityTimeoutMs, 60_000);
  }
  private lastPrune = 0;

  private async receiveOnce(maxRecords: number, waitMs: number): Promise<SQSRecord[]> {
    await this.ensureGroups();
    if (Date.now() - this.lastPrune > this.pruneAfterMs) {
      this.lastPrune = Date.now();
      for (const stream of this.streams) await pruneConsumers(this.redis, stream, CONSUMER_GROUP, "", this.pruneAfterMs);
    }
    const records: SQSRecord[] = [];
    for (const stream of this.streams) {
      const reclaimed = await reclaimRecords(this.redis, this.keys, {
        stream,
        group: CONSUMER_GROUP,
        consumer: this.opts.consumer,
        minIdleMs: this.opts.visibilityTimeoutMs,
        count: maxRecords - records.length,
        maxReceives: this.opts.maxReceives,
      });
      records.push(...reclaimed.map((r) => this.toRecord(stream, r.id, r.fields.body ?? "", r.deliveries)));
      if (records.length >= maxRecords) return records;
    }

    records.push(...(await this.fairRead(maxRecords - records.length, this.opts.floodBatch)));
    if (records.length > 0) return records;
    // Both lanes empty: wait on both. A blocked read is answered from the one stream that woke it (no more than
    // the flood lane may fill), but intake fills both lanes in one step, so what the other lane got is read
    // now, fairly.
    const woke = await this.read(this.streams, Math.min(maxRecords, this.opts.floodBatch), waitMs);
    if (woke.length === 0 || woke.length >= maxRecords) return woke;
    const floodRoom = this.opts.floodBatch - woke.filter((r) => this.laneOf(r) === "flood").length;
    return [...woke, ...(await this.fairRead(maxRecords - woke.length, floodRoom))];
  }

  /**
   * Up to `want` records without waiting: the main lane first, the flood lane its share — or, when main is dry,
   * the rest of the batch up to `floodRoom` (deep batches are for the main lane; a flood's are kept short).
   */
  private async fairRead(want: number, floodRoom: number): Promise<SQSRecord[]> {
    const { main, flood } = this.redisStreams;
    this.floodCredit = Math.min(this.floodCredit + this.opts.floodShare * want, want);
    const floodSlots = Math.floor(this.floodCredit);
    const records = await this.read([main], want - floodSlots);
    if (records.length < want - floodSlots) {
      // The main lane ran dry: nobody else is waiting, the flood lane may fill the batch.
      this.floodCredit = 0;
      records.push(...(await this.read([flood], Math.min(want - records.length, floodRoom))));
      return records;
    }
    const fromFlood = await this.read([flood], floodSlots);
    records.push(...fromFlood);
    // No banking: a flood lane that could not use its share does not save it up.
    this.floodCredit = fromFlood.length < floodSlots ? 0 : this.floodCredit - fromFlood.length;
    if (fromFlood.length < floodSlots) records.push(...(await this.read([main], floodSlots - fromFlood.length)));
    return records;
  }

  private async read(streams: string[], count: number, blockMs?: number): Promise<SQSRecord[]> {
    if (count <= 0) return [];
    const args = ["GROUP", CONSUMER_GROUP, this.opts.consumer, "COUNT", count] as const;
    const ids = streams.map(() => ">");
    const reply =
      blockMs === undefined
        ? await this.client.xreadgroup(...args, "STREAMS", ...streams, ...ids)
        : await this.blockingClient.xreadgroup(...args, "BLOCK", blockMs, "STREAMS", ...streams, ...ids);
    const records: SQSRecord[] = [];
    for (const [stream, entries] of (reply ?? []) as [string, [string, string[]][]][]) {
      for (const [id, flat] of entries) {
        const bodyAt = flat.indexOf("body");
        records.push(this.toRecord(stream, id, bodyAt >= 0 ? (flat[bodyAt + 1] ?? "") : "", 1));
      }
    }
    return records;
  }

  async ack(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    const tx = this.client.multi();
    for (const stream of this.streams) {
      const ids = records.filter((r) => r.eventSourceARN === ARN_PREFIX + stream).map((r) => r.receiptHandle);
      if (ids.length) tx.xack(stream, CONSUMER_GROUP, ...ids).xdel(stream, ...ids);
    }
    await tx.exec();
  }

  /** The lane a received record came from. */
  laneOf(record: SQSRecord): Lane {
    return record.eventSourceARN === ARN_PREFIX + this.redisStreams.flood ? "flood" : "main";
  }

  private toRecord(stream: string, id: string, body: string, deliveries: number): SQSRecord {
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
      // The lane's stream: ack() sends each record back to the stream it came from.
      eventSourceARN: ARN_PREFIX + stream,
      awsRegion: "local",
    };
  }
}
