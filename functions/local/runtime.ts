import { hostname } from "node:os";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Config } from "../../layers/core/config.js";
import { ModelRouter } from "../../layers/core/ml/model-router.js";
import { loadModels, type Models } from "../../layers/core/ml/models.js";
import { loadSimilarity } from "../../layers/core/ml/similarity.js";
import { Deduplicator } from "../../layers/core/services/dedup/deduplicator.js";
import { InProcessBus } from "../../layers/core/ports/in-process-bus.js";
import { RedisStreamQueue } from "../../layers/core/ports/redis-stream-queue.js";
import type { ModelRuntime } from "../../layers/core/runtime.js";
import { createIoRedis, IoRedisAdapter } from "../../layers/core/store/ioredis-adapter.js";
import { makeKeys } from "../../layers/core/store/keys.js";
import { activityHandler } from "../activity/handler.js";
import { webhookHandler } from "../webhook/handler.js";

export interface LocalRuntime extends ModelRuntime {
  queue: RedisStreamQueue;
  bus: InProcessBus;
  classifier: ModelRouter;
  close(): Promise<void>;
}

/** The local column of DESIGN §1: ioredis, a Redis-stream queue, the in-process bus, the ONNX model. */
export function createLocalRuntime(
  config: Config,
  opts: { consumer?: string; logger?: Logger; models?: () => Promise<Models> } = {},
): LocalRuntime {
  const logger = opts.logger ?? new Logger({ serviceName: "smart-support" });
  const client = createIoRedis(config.REDIS_URL);
  const blockingClient = client.duplicate();
  const keys = makeKeys(config.REDIS_PREFIX);
  const redis = new IoRedisAdapter(client);
  const bus = new InProcessBus((err, event) =>
    logger.error("event target failed", { error: err as Error, type: event["detail-type"] }),
  );
  const models = opts.models ?? (() => loadModels(config.MODELS_DIR, config.ENCODER_THREADS));
  const rt: LocalRuntime = {
    config,
    logger,
    keys,
    redis,
    bus,
    queue: new RedisStreamQueue(redis, blockingClient, keys, {
      consumer: opts.consumer ?? `${hostname()}-${process.pid}`,
      visibilityTimeoutMs: config.QUEUE_VISIBILITY_TIMEOUT_SECONDS * 1000,
      maxReceives: config.QUEUE_MAX_RECEIVES,
    }),
    classifier: new ModelRouter({ config, redis, keys, bus, logger, models }),
    dedup: new Deduplicator({ config, redis, keys }, () => loadSimilarity(config.MODELS_DIR, config.ENCODER_THREADS)),
    async close() {
      await bus.drain();
      await Promise.all([redis.close(), blockingClient.quit().catch(() => blockingClient.disconnect())]);
    },
  };
  bus.subscribe("activity", activityHandler(rt));
  bus.subscribe("webhooks", webhookHandler(rt));
  return rt;
}
