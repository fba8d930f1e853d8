import type { Logger } from "@aws-lambda-powertools/logger";
import type { Config } from "./config.js";
import type { Classifier } from "./ml/classifier.js";
import type { Deduplicator } from "./services/dedup/deduplicator.js";
import type { EventBus } from "./ports/event-bus.js";
import type { QueuePort } from "./ports/queue-port.js";
import type { Keys } from "./store/keys.js";
import type { RedisPort } from "./store/redis-port.js";

/** Everything a handler needs, chosen once at start-up from configuration (DESIGN §1). No model. */
export interface Runtime {
  config: Config;
  redis: RedisPort;
  keys: Keys;
  queue: QueuePort;
  bus: EventBus;
  logger: Logger;
}

/**
 * A runtime that also runs the model: the classifier worker and model routes (the container image in AWS).
 * Only code typed against this can reach the encoder, so the zip bundles never carry onnxruntime.
 */
export interface ModelRuntime extends Runtime {
  classifier: Classifier;
  dedup: Deduplicator;
}
