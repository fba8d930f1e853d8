import type { Logger } from "@aws-lambda-powertools/logger";
import type { Config } from "./config.js";
import type { Classifier } from "./ml/classifier.js";
import type { Deduplicator } from "./services/dedup/deduplicator.js";
import type { EventBus } from "./ports/event-bus.js";
import type { QueuePort } from "./ports/queue-port.js";
import type { Keys } from "./store/keys.js";
import type { RedisPort } from "./store/redis-port.js";

/** Everything a handler needs, chosen once at start-up from configuration (DESIGN §1). */
export interface Runtime {
  config: Config;
  redis: RedisPort;
  keys: Keys;
  queue: QueuePort;
  bus: EventBus;
  classifier: Classifier;
  dedup: Deduplicator;
  logger: Logger;
}
