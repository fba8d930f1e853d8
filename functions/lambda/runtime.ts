import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { type Config, ConfigError, loadConfig, loadSettings } from "../../layers/core/config.js";
import type { MiddlewareObj } from "@middy/core";
import { EventBridgeBus } from "../../layers/core/ports/eventbridge-bus.js";
import { EventBridgeRelay } from "../../layers/core/ports/eventbridge-relay.js";
import { OutboxBus } from "../../layers/core/ports/outbox-bus.js";
import { SqsQueue } from "../../layers/core/ports/sqs-queue.js";
import type { Runtime } from "../../layers/core/runtime.js";
import { makeKeys } from "../../layers/core/store/keys.js";
import { outboxKeys } from "../../layers/core/store/outbox.js";
import { UpstashAdapter } from "../../layers/core/store/upstash-adapter.js";
import { MetricsBus } from "./metrics-bus.js";

// Module-scope singletons: one per execution environment, shared by its invocations.
export const logger = new Logger({ serviceName: "smart-support" });
export const metrics = new Metrics({ namespace: "SmartSupport", serviceName: "smart-support" });
/** What the function needs before it reads its secret, validated at start-up (the rest once it has). */
export const envConfig = loadSettings(["SECRETS_ARN", "SECRETS_TTL_SECONDS", "MODELS_DIR", "ENCODER_THREADS", "ENCODER_PRECISION", "ENCODER_SESSIONS"]);

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new ConfigError(`Invalid configuration:\n  ${name}: required in AWS`);
  return value;
}

/**
 * The AWS column of DESIGN §1 without the model: Upstash over REST, SQS, EventBridge. Zip bundles are built
 * from this alone, so they never import onnxruntime.
 */
export function buildRuntime(config: Config): AwsRuntime {
  const redis = new UpstashAdapter({
    url: required(config.UPSTASH_REDIS_REST_URL, "UPSTASH_REDIS_REST_URL"),
    token: required(config.UPSTASH_REDIS_REST_TOKEN, "UPSTASH_REDIS_REST_TOKEN"),
  });
  // Events go to the outbox first (durable), then to EventBridge through the relay.
  const outbox = new OutboxBus(redis, outboxKeys(config.REDIS_PREFIX));
  // Metrics are counted as events reach EventBridge: those written by scripts too, each once.
  const relay = new EventBridgeRelay(
    redis,
    outbox.keys,
    new MetricsBus(new EventBridgeBus({ client: new EventBridgeClient({}), busName: required(config.EVENT_BUS_NAME, "EVENT_BUS_NAME") }), metrics),
    {
      consumer: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? `pid-${process.pid}`,
      visibilityTimeoutMs: config.EVENT_VISIBILITY_TIMEOUT_SECONDS * 1000,
      maxDeliveries: config.EVENT_MAX_DELIVERIES,
    },
  );
  let appended = false;
  outbox.onAppend(() => (appended = true));
  const queue = new SqsQueue({
    client: new SQSClient({}),
    queueUrls: { main: required(config.QUEUE_URL, "QUEUE_URL"), flood: required(config.FLOOD_QUEUE_URL, "FLOOD_QUEUE_URL") },
  });
  return {
    config,
    logger,
    keys: makeKeys(config.REDIS_PREFIX),
    redis,
    bus: outbox,
    queue,
    async relayEvents(always) {
      if (!always && !appended) return;
      appended = false;
      await relay.flush();
    },
  };
}

/** The AWS runtime: a Runtime that also relays its outbox to EventBridge. */
export interface AwsRuntime extends Runtime {
  /** Puts the outbox on EventBridge: if this environment appended events (or `always`, to sweep). */
  relayEvents(always?: boolean): Promise<void>;
}

/**
 * Middleware every function uses: after the handler (and after a failed one), the events it appended go to
 * EventBridge. A failure to relay is logged, not thrown: the events wait in the outbox for the next relay.
 */
export function relayOutbox(runtime: () => Promise<AwsRuntime>, opts: { always?: boolean } = {}): MiddlewareObj {
  const relay = async () => {
    try {
      await (await runtime()).relayEvents(opts.always);
    } catch (err) {
      logger.warn("events not relayed yet; they stay in the outbox", { error: err as Error });
    }
  };
  return { after: relay, onError: relay };
}

/** The secret's JSON values; Powertools keeps them for SECRETS_TTL_SECONDS, then reads Secrets Manager again. */
async function readSecrets(): Promise<Record<string, string>> {
  if (!envConfig.SECRETS_ARN) return {};
  return (await getSecret(envConfig.SECRETS_ARN, { transform: "json", maxAge: envConfig.SECRETS_TTL_SECONDS })) as Record<string, string>;
}

/**
 * A runtime per version of the secret: built at the first invocation (a placeholder or bad value stops it
 * there, naming the variable), rebuilt when the secret's values change. If re-reading the secret fails later,
 * the function keeps the values it has rather than failing the invocation.
 */
export function runtimeFromSecrets<T>(build: (config: Config) => T): () => Promise<T> {
  let current: { secrets: string; runtime: T } | undefined;
  return async () => {
    let values: Record<string, string>;
    try {
      values = await readSecrets();
    } catch (err) {
      if (!current) throw err;
      logger.warn("could not re-read the secret; keeping the current values", { error: err as Error });
      return current.runtime;
    }
    const secrets = JSON.stringify(values);
    if (current?.secrets !== secrets) current = { secrets, runtime: build(loadConfig({ ...process.env, ...values })) };
    return current.runtime;
  };
}

export const getRuntime = runtimeFromSecrets(buildRuntime);
