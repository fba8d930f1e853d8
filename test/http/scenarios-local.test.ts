import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { makeKeys } from "../../layers/core/store/keys.js";
import { defineScenarios } from "../scenarios/suite.js";
import type { ScenarioTarget } from "../scenarios/target.js";
import { startReceiver } from "../support/receiver.js";
import { dropPrefix, REDIS_URL, startSystem } from "../support/runtime.js";

// The scenario suite against the local system: API and worker in this process, webhooks to a local receiver.
const WEBHOOK_SECRET = "scenario-secret-local";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let system: Awaited<ReturnType<typeof startSystem>>;
let redis: Redis;
let target: ScenarioTarget;

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET,
    // A poison record comes back after 1 s and is dead-lettered on its third receive.
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: "1",
    QUEUE_MAX_RECEIVES: "2",
  });
  // As `npm start` does: load and warm the model before the first ticket.
  await system.rt.classifier.ready();
  redis = new Redis(REDIS_URL);
  const keys = makeKeys(system.config.REDIS_PREFIX);
  target = {
    name: "local",
    baseUrl: system.base,
    webhookSecret: WEBHOOK_SECRET,
    webhooks: receiver.received,
    // What RedisStreamQueue.send writes, with a body decodeIntake rejects.
    async sendPoison(body) {
      await redis.xadd(keys.intake, "*", "body", body);
    },
    // reclaim-records.lua copies the record's fields (body among them) into the dead-letter stream.
    async deadLetters() {
      const entries = await redis.xrange(keys.intakeDlq, "-", "+");
      return entries.flatMap(([, flat]) => {
        for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === "body") return [flat[i + 1]!];
        return [];
      });
    },
    patienceMs: 20_000,
  };
});

afterAll(async () => {
  await system?.close();
  await receiver?.close();
  await redis?.quit();
  if (system) await dropPrefix(system.config.REDIS_PREFIX);
});

defineScenarios(() => target, { timeoutMs: 60_000 });
