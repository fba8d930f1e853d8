import { loadConfig } from "../layers/core/config.js";
import { loadSimilarity } from "../layers/core/ml/similarity.js";
import { Deduplicator } from "../layers/core/services/dedup/deduplicator.js";
import { packVector } from "../layers/core/services/dedup/window-mirror.js";
import { createIoRedis, IoRedisAdapter } from "../layers/core/store/ioredis-adapter.js";
import { makeKeys } from "../layers/core/store/keys.js";
import { windowAppend } from "../layers/core/store/lua/window-append.js";
import { dropPrefix, fmt, REDIS_URL } from "./support.js";

const SIZES = [100, 10_000, 50_000];
const BATCHES = 30;
const BATCH = 32;

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
function unitVector(): Float32Array {
  const v = Float32Array.from({ length: 384 }, rand);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const ticket = (id: string) => ({
  ticket_id: id,
  subject: "s",
  text: "s",
  classification: {
    category: "Technical" as const,
    probabilities: { Billing: 0, Technical: 1, Legal: 0 },
    urgency_score: 0.3,
    model: "transformer" as const,
    embedding: unitVector(),
  },
});

/** Dedup cost per ticket (append to the log, sync the mirror, exact search, decide) by window size. */
export async function benchDedup(): Promise<Record<string, number>> {
  const redis = new IoRedisAdapter(createIoRedis(REDIS_URL));
  const perTicket: Record<number, number> = {};
  const coldLoad: Record<number, number> = {};
  for (const size of SIZES) {
    const prefix = `bench:dedup:${Date.now()}:`;
    const config = loadConfig({ REDIS_URL, REDIS_PREFIX: prefix });
    const keys = makeKeys(prefix);
    for (let i = 0; i < size; i += 1000) {
      const entries = Array.from({ length: Math.min(1000, size - i) }, (_, j) => ({
        ticket_id: `w-${i + j}`,
        space: "semantic" as const,
        vector: packVector(unitVector()),
      }));
      await windowAppend(redis, keys, config.DEDUP_WINDOW_SECONDS * 1000, entries);
    }
    const dedup = new Deduplicator({ config, redis, keys }, () => loadSimilarity(config.MODELS_DIR, config.ENCODER_THREADS));
    const t0 = performance.now();
    await dedup.sync();
    coldLoad[size] = performance.now() - t0;
    await dedup.process(Array.from({ length: BATCH }, (_, i) => ticket(`warm-${i}`)));

    const t1 = performance.now();
    for (let b = 0; b < BATCHES; b++) await dedup.process(Array.from({ length: BATCH }, (_, i) => ticket(`q-${b}-${i}`)));
    perTicket[size] = (performance.now() - t1) / (BATCHES * BATCH);
    if (dedup.windowSize().semantic < size) throw new Error(`window holds ${dedup.windowSize().semantic}, expected ≥ ${size}`);
    await dropPrefix(prefix);
  }
  await redis.close();

  console.log(`\n## Dedup: cost per ticket by window size (batches of ${BATCH}, ${BATCHES} batches each)`);
  for (const size of SIZES) {
    console.log(
      `window ${String(size).padStart(6)}: ${fmt(perTicket[size]!, 3)} ms/ticket  ratio to 100: ${fmt(perTicket[size]! / perTicket[100]!, 2)}  (cold load of the window: ${fmt(coldLoad[size]!, 0)} ms, once per process)`,
    );
  }
  console.log("target: 50k ≤ 2× the 100 case");
  return { dedup_100_ms: perTicket[100]!, dedup_10k_ms: perTicket[10_000]!, dedup_50k_ms: perTicket[50_000]!, dedup_ratio_50k: perTicket[50_000]! / perTicket[100]! };
}
