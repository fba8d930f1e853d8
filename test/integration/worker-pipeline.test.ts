// Issue 15, part 2: the worker keeps two batches in flight, forward passes one at a time, a small cache of
// recent embeddings. Real Redis, the real model, the real worker loop; nothing here is timed.
import { readFileSync } from "node:fs";
import type { SQSRecord } from "aws-lambda";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { loadModels, type Models } from "../../layers/core/ml/models.js";
import { decodeIntake } from "../../layers/core/ports/queue-port.js";
import { CONSUMER_GROUP } from "../../layers/core/ports/redis-stream-queue.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket, queueSize } from "../../layers/core/services/queue.js";
import { breakerReport } from "../../layers/core/store/lua/breaker.js";
import { getTicketRecord } from "../../layers/core/store/tickets.js";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { runWorker } from "../../functions/local/worker.js";
import { dropPrefix, eventually, REDIS_URL, testConfig } from "../support/runtime.js";
import { startWorker } from "../support/worker.js";

const opened: { rt: LocalRuntime; prefix: string }[] = [];
function runtime(env: Record<string, string>, opts: { consumer?: string; models?: () => Promise<Models> } = {}) {
  const config = testConfig(env);
  const rt = createLocalRuntime(config, opts);
  opened.push({ rt, prefix: config.REDIS_PREFIX });
  return rt;
}
afterEach(async () => {
  for (const { rt, prefix } of opened.splice(0).reverse()) {
    await rt.close();
    await dropPrefix(prefix);
  }
});

const realModels = () => {
  const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
  return loadModels(MODELS_DIR, ENCODER_THREADS);
};

/** The real models, watched: forward passes made, texts embedded, and the most ever running at once. */
function watched(real: Models) {
  const stats = { calls: 0, texts: 0, running: 0, maxRunning: 0 };
  const models: Models = {
    ...real,
    encoder: {
      sessions: real.encoder.sessions,
      tokenize: (t) => real.encoder.tokenize(t),
      embed: (texts) => models.encoder.embedTokens(texts.map((t) => real.encoder.tokenize(t))),
      async embedTokens(ids) {
        stats.calls++;
        stats.texts += ids.length;
        stats.maxRunning = Math.max(stats.maxRunning, ++stats.running);
        try {
          return await real.encoder.embedTokens(ids);
        } finally {
          stats.running--;
        }
      },
    },
  };
  return { models, stats };
}

/** The first n labelled tickets (all different), as intake takes them. */
function labelled(n: number, tag: string) {
  const raw = readFileSync(new URL("../../tools/model/data/raw/part-a.jsonl", import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean)
    .slice(0, n)
    .map((l) => JSON.parse(l) as { subject: string; body: string });
  return raw.map((t, i) => ({ ticket_id: `${tag}-${i}`, subject: t.subject, body: t.body }));
}

const ticketIds = (records: SQSRecord[]) => records.map((r) => decodeIntake(r.body).ticket_id);

describe("the worker pipeline: two batches in flight", () => {
  it("acks a record only once its ticket is stored and routed, runs one forward pass at a time, and the breaker judges every pass", async () => {
    const real = await realModels();
    const { models, stats } = watched(real);
    // A breaker window longer than this run, that never opens: it ends up holding one letter per judged call.
    const rt = runtime({ WORKER_BATCHES_IN_FLIGHT: "2", WORKER_DEEP_BATCH_SIZE: "32", CIRCUIT_WINDOW_SIZE: "1000", CIRCUIT_MIN_CALLS: "1000" }, { models: async () => models });
    const tickets = labelled(160, "inflight");
    await acceptTickets(rt, tickets);

    // Watch the queue from the worker's side: what was received, what was acked, and the tickets' state at the ack.
    const log: string[] = [];
    const early: string[] = [];
    let batch = 0;
    const receive = rt.queue.receive.bind(rt.queue);
    rt.queue.receive = async (max, wait) => {
      const records = await receive(max, wait);
      if (records.length) log.push(`receive ${batch++}`);
      for (const r of records) (r as SQSRecord & { batch?: number }).batch = batch - 1;
      return records;
    };
    const ack = rt.queue.ack.bind(rt.queue);
    rt.queue.ack = async (records) => {
      for (const id of ticketIds(records)) {
        const h = await getTicketRecord(rt, id);
        if (h.status !== "processed" || h.routed !== "1") early.push(`${id}: ${h.status}, routed ${h.routed ?? "no"}`);
      }
      if (records.length) log.push(`ack ${(records[0] as SQSRecord & { batch?: number }).batch}`);
      return ack(records);
    };

    const worker = startWorker(rt);
    await eventually(async () => Number(await rt.redis.hget(rt.keys.counters, "tickets_processed_total")) === tickets.length, 120_000);
    await eventually(async () => (await rt.redis.xlen(rt.keys.intake)) === 0, 30_000);
    await worker.stop();

    expect(early).toEqual([]);
    // Two batches were under way at once: the next was received before the one before it was acked.
    expect(log.filter((e) => e.startsWith("receive")).length).toBeGreaterThanOrEqual(5);
    expect(log.indexOf("receive 1")).toBeLessThan(log.indexOf("ack 0"));
    // Batches finish in the order they were received.
    const acks = log.filter((e) => e.startsWith("ack")).map((e) => Number(e.split(" ")[1]));
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    expect(stats.maxRunning).toBe(1);
    expect(stats.texts).toBe(tickets.length);
    const calls = (await rt.redis.hget(rt.keys.breaker, "calls")) ?? "";
    expect(calls.length).toBe(stats.calls);
    expect(calls).toMatch(/^[sw]+$/);
    expect(await queueSize(rt)).toBe(tickets.length);
    for (const t of tickets.slice(0, 20)) expect((await getTicket(rt, t.ticket_id)).model).toBe("transformer");
  }, 180_000);

  it("with two encoder sessions (ENCODER_SESSIONS=2), two forward passes run at once and never more, each judged by the breaker", async () => {
    const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
    const { models, stats } = watched(await loadModels(MODELS_DIR, ENCODER_THREADS, "fp32", 2));
    const rt = runtime({ WORKER_BATCHES_IN_FLIGHT: "2", WORKER_DEEP_BATCH_SIZE: "64", CIRCUIT_WINDOW_SIZE: "1000", CIRCUIT_MIN_CALLS: "1000" }, { models: async () => models });
    const tickets = labelled(128, "sessions");
    await acceptTickets(rt, tickets);
    const worker = startWorker(rt);
    await eventually(async () => Number(await rt.redis.hget(rt.keys.counters, "tickets_processed_total")) === tickets.length, 120_000);
    await worker.stop();

    expect(stats.maxRunning).toBe(2);
    expect(stats.texts).toBe(tickets.length);
    expect(((await rt.redis.hget(rt.keys.breaker, "calls")) ?? "").length).toBe(stats.calls);
    for (const t of tickets) expect((await getTicket(rt, t.ticket_id)).model).toBe("transformer");
  }, 180_000);

  it("a worker frozen after storing, with the next batch in flight, loses nothing: another takes both batches over", async () => {
    const tickets = labelled(96, "frozen");
    const frozenId = "frozen-3"; // in the first batch
    const env = { QUEUE_VISIBILITY_TIMEOUT_SECONDS: "2", WORKER_BATCHES_IN_FLIGHT: "2", WORKER_DEEP_BATCH_SIZE: "32" };
    const a = runtime({ ...env, TEST_PAUSE_AFTER_STORE: frozenId }, { consumer: "frozen" });
    const b = runtime({ ...env, REDIS_PREFIX: a.config.REDIS_PREFIX }, { consumer: "rescuer" });
    await acceptTickets(a, tickets);
    const admin = new Redis(REDIS_URL);
    try {
      const held = async (consumer: string) => {
        const rows = (await admin.xpending(a.keys.intake, CONSUMER_GROUP, "-", "+", 1000, consumer)) as unknown[];
        return rows.length;
      };
      // Its loop never ends (the test hook froze a batch), so it is left running, never awaited.
      void runWorker(a, new AbortController().signal);
      await eventually(async () => (await getTicketRecord(a, frozenId)).status === "processed", 60_000);
      // The batch after it was received (and classified) too: two batches held, none acked.
      await eventually(async () => (await held("frozen")) === 64, 60_000);
      expect(await a.redis.xlen(a.keys.intake)).toBe(tickets.length);

      const rescuer = startWorker(b);
      await eventually(async () => (await admin.xlen(a.keys.intake)) === 0, 90_000);
      await rescuer.stop();
      expect(await held("frozen")).toBe(0);
      for (const t of tickets) {
        const h = await getTicketRecord(b, t.ticket_id);
        expect([t.ticket_id, h.status, h.routed]).toEqual([t.ticket_id, "processed", "1"]);
      }
      // Stored once each, whichever worker stored it.
      expect(Number(await b.redis.hget(b.keys.counters, "tickets_processed_total"))).toBe(tickets.length);
      expect(await queueSize(b)).toBe(tickets.length);
    } finally {
      await admin.quit();
    }
  }, 180_000);
});

describe("the embedding cache", () => {
  const TEXT = "Checkout returns 503 for every customer since the deploy";

  it("reuses the embedding of a text seen moments ago, holds at most EMBEDDING_CACHE_SIZE texts, and never stands in for an open breaker", async () => {
    const real = await realModels();
    const { models, stats } = watched(real);
    const rt = runtime({ EMBEDDING_CACHE_SIZE: "2" }, { models: async () => models });

    const [first] = await rt.classifier.classify([TEXT]);
    const [again] = await rt.classifier.classify([TEXT]);
    expect(stats.calls).toBe(1);
    expect(again!.embedding).toBe(first!.embedding);
    expect(again).toMatchObject({ model: "transformer", category: first!.category, urgency_score: first!.urgency_score });

    // Same tokens (the tokenizer lower-cases), another text: the embedding is shared, the heads read the text.
    const [shouted] = await rt.classifier.classify([TEXT.toUpperCase()]);
    expect(stats.calls).toBe(1);
    expect(shouted!.embedding).toBe(first!.embedding);

    // Two more texts push the first out of a cache of two.
    await rt.classifier.classify(["Please send a copy of invoice 7"]);
    await rt.classifier.classify(["We need the signed data processing agreement"]);
    expect(stats.calls).toBe(3);
    const [back] = await rt.classifier.classify([TEXT]);
    expect(stats.calls).toBe(4);
    expect(back!.embedding).not.toBe(first!.embedding);

    // The breaker opens: a remembered text takes the baseline like any other, and no forward pass runs.
    await breakerReport(rt.redis, rt.keys, { epoch: 0, permission: "call", outcome: "failure", maxProbes: 3 });
    expect((await rt.redis.hget(rt.keys.breaker, "state"))).toBe("open");
    const [whileOpen] = await rt.classifier.classify([TEXT]);
    expect(whileOpen!.model).toBe("baseline");
    expect(stats.calls).toBe(4);
  });

  it("lets a flood repeating itself across batches be embedded once", async () => {
    const real = await realModels();
    const { models, stats } = watched(real);
    const rt = runtime({ WORKER_BATCH_SIZE: "8", WORKER_DEEP_BATCH_SIZE: "8", DEDUP_MIN_COUNT: "1000" }, { models: async () => models });
    const flood = Array.from({ length: 40 }, (_, i) => ({ ticket_id: `rep-${i}`, subject: "Checkout down", body: "Checkout returns 503 for everyone." }));
    await acceptTickets(rt, flood);
    const worker = startWorker(rt);
    await eventually(async () => Number(await rt.redis.hget(rt.keys.counters, "tickets_processed_total")) === flood.length, 60_000);
    await worker.stop();
    expect(stats.texts).toBe(1);
    for (const t of flood) expect((await getTicket(rt, t.ticket_id)).model).toBe("transformer");
  });
});
