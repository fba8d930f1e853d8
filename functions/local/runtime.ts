import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Config } from "../../layers/core/config.js";
import { ModelRouter } from "../../layers/core/ml/model-router.js";
import { loadModels, type Models } from "../../layers/core/ml/models.js";
import { loadSimilarity } from "../../layers/core/ml/similarity.js";
import { Deduplicator } from "../../layers/core/services/dedup/deduplicator.js";
import { EVENT_RULES, type RuleName } from "../../layers/core/ports/event-bus.js";
import { OutboxBus } from "../../layers/core/ports/outbox-bus.js";
import { OutboxConsumer } from "../../layers/core/ports/outbox-consumer.js";
import { RedisStreamQueue } from "../../layers/core/ports/redis-stream-queue.js";
import type { ModelRuntime } from "../../layers/core/runtime.js";
import { createIoRedis, IoRedisAdapter } from "../../layers/core/store/ioredis-adapter.js";
import { makeKeys } from "../../layers/core/store/keys.js";
import { outboxKeys } from "../../layers/core/store/outbox.js";
import { StoreUnavailableError } from "../../layers/core/store/redis-port.js";
import { activityHandler } from "../activity/handler.js";
import { webhookHandler } from "../webhook/handler.js";

export interface LocalRuntime extends ModelRuntime {
  queue: RedisStreamQueue;
  bus: LocalBus;
  classifier: ModelRouter;
  close(): Promise<void>;
}

/** The outbox bus with this process's consumers of it: `drain()` waits until they have nothing left to do. */
export interface LocalBus extends OutboxBus {
  drain(): Promise<void>;
}

/** The local column of DESIGN §1: ioredis, a Redis-stream queue, the outbox bus and its consumers, the ONNX model. */
export function createLocalRuntime(
  config: Config,
  opts: { consumer?: string; logger?: Logger; models?: () => Promise<Models> } = {},
): LocalRuntime {
  const logger = opts.logger ?? new Logger({ serviceName: "smart-support" });
  const client = createIoRedis(config.REDIS_URL);
  const blockingClient = client.duplicate();
  const keys = makeKeys(config.REDIS_PREFIX);
  const redis = new IoRedisAdapter(client);
  const consumer = opts.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const bus = new OutboxBus(redis, outboxKeys(config.REDIS_PREFIX)) as LocalBus;
  const models = opts.models ?? (() => loadModels(config.MODELS_DIR, config.ENCODER_THREADS, config.ENCODER_PRECISION, config.ENCODER_SESSIONS));
  const rt: LocalRuntime = {
    config,
    logger,
    keys,
    redis,
    bus,
    queue: new RedisStreamQueue(redis, blockingClient, keys, {
      consumer,
      visibilityTimeoutMs: config.QUEUE_VISIBILITY_TIMEOUT_SECONDS * 1000,
      maxReceives: config.QUEUE_MAX_RECEIVES,
      floodBatch: config.WORKER_BATCH_SIZE,
      floodShare: config.FLOOD_LANE_SHARE,
    }),
    classifier: new ModelRouter({ config, redis, keys, bus, logger, models }),
    dedup: new Deduplicator({ config, redis, keys }, () => loadSimilarity(config.MODELS_DIR, config.ENCODER_THREADS)),
    async close() {
      unsubscribe();
      await Promise.all(consumers.map((c) => c.stop(config.SHUTDOWN_GRACE_MS)));
      await rt.queue.leave().catch(() => {});
      await Promise.all([redis.close(), blockingClient.quit().catch(() => blockingClient.disconnect())]);
    },
  };
  // The bus targets, as EventBridge rules are in AWS: one consumer group each, reading the outbox.
  const targets = { activity: { handle: activityHandler(rt), concurrency: 16 }, webhooks: { handle: webhookHandler(rt), concurrency: config.WEBHOOK_CONCURRENCY } };
  const consumers = (Object.keys(targets) as RuleName[]).map((rule) =>
    new OutboxConsumer(redis, bus.keys, {
      group: rule,
      consumer,
      types: EVENT_RULES[rule],
      handle: targets[rule].handle,
      concurrency: targets[rule].concurrency,
      visibilityTimeoutMs: config.EVENT_VISIBILITY_TIMEOUT_SECONDS * 1000,
      maxDeliveries: config.EVENT_MAX_DELIVERIES,
      pollMs: 200,
      onError: (err, event) =>
        logger[err instanceof StoreUnavailableError ? "warn" : "error"]("event target failed; it will be retried", {
          error: err as Error,
          target: rule,
          type: event?.["detail-type"],
          event_id: event?.id,
        }),
    }).start(),
  );
  const unsubscribe = bus.onAppend(() => consumers.forEach((c) => c.poke()));
  bus.drain = async () => {
    await Promise.all(consumers.map((c) => c.settled()));
  };
  return rt;
}
