import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { ConfigError, loadConfig } from "../../layers/core/config.js";
import { ModelRouter } from "../../layers/core/ml/model-router.js";
import { loadModels } from "../../layers/core/ml/models.js";
import { loadSimilarity } from "../../layers/core/ml/similarity.js";
import { EventBridgeBus } from "../../layers/core/ports/eventbridge-bus.js";
import { SqsQueue } from "../../layers/core/ports/sqs-queue.js";
import type { Runtime } from "../../layers/core/runtime.js";
import { Deduplicator } from "../../layers/core/services/dedup/deduplicator.js";
import { makeKeys } from "../../layers/core/store/keys.js";
import { UpstashAdapter } from "../../layers/core/store/upstash-adapter.js";
import { MetricsBus } from "./metrics-bus.js";

export const logger = new Logger({ serviceName: "smart-support" });
export const metrics = new Metrics({ namespace: "SmartSupport", serviceName: "smart-support" });

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new ConfigError(`Invalid configuration:\n  ${name}: required in AWS`);
  return value;
}

/**
 * The AWS column of DESIGN §1: Upstash over REST, SQS, EventBridge. Built once per cold start; secrets
 * come from Secrets Manager (SECRETS_ARN), the rest from the environment, all validated by the same schema.
 */
async function build(): Promise<Runtime> {
  const secrets = process.env.SECRETS_ARN
    ? ((await getSecret(process.env.SECRETS_ARN, { transform: "json", maxAge: 300 })) as Record<string, string>)
    : {};
  const config = loadConfig({ ...process.env, ...secrets });
  const keys = makeKeys(config.REDIS_PREFIX);
  const redis = new UpstashAdapter({
    url: required(config.UPSTASH_REDIS_REST_URL, "UPSTASH_REDIS_REST_URL"),
    token: required(config.UPSTASH_REDIS_REST_TOKEN, "UPSTASH_REDIS_REST_TOKEN"),
  });
  const bus = new MetricsBus(
    new EventBridgeBus({ client: new EventBridgeClient({}), busName: required(config.EVENT_BUS_NAME, "EVENT_BUS_NAME") }),
    metrics,
  );
  const queue = new SqsQueue({ client: new SQSClient({}), queueUrl: required(config.QUEUE_URL, "QUEUE_URL") });
  return {
    config,
    logger,
    keys,
    redis,
    bus,
    queue,
    // Only the container-image functions carry the models; the others never call them.
    classifier: new ModelRouter({ config, redis, keys, bus, logger, models: () => loadModels(config.MODELS_DIR, config.ENCODER_THREADS) }),
    dedup: new Deduplicator({ config, redis, keys }, () => loadSimilarity(config.MODELS_DIR, config.ENCODER_THREADS)),
  };
}

let runtime: Promise<Runtime> | undefined;
export function getRuntime(): Promise<Runtime> {
  runtime ??= build();
  runtime.catch(() => (runtime = undefined)); // a failed cold start is retried by the next invocation
  return runtime;
}
