import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { loadModels, type Models } from "../../layers/core/ml/models.js";
import { listActivity } from "../../layers/core/services/activity.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { breakerView } from "../../layers/core/services/observability.js";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { dropPrefix, eventually, testConfig } from "../support/runtime.js";
import { URGENT_TEXT } from "../support/tickets.js";
import { startWorker } from "../support/worker.js";

const opened: { rt: LocalRuntime; prefix: string }[] = [];
function runtime(env: Record<string, string>, models?: () => Promise<Models>) {
  const config = testConfig(env);
  const rt = createLocalRuntime(config, { models });
  opened.push({ rt, prefix: config.REDIS_PREFIX });
  return rt;
}
afterEach(async () => {
  for (const { rt, prefix } of opened.splice(0)) {
    await rt.close();
    await dropPrefix(prefix);
  }
});

/** The real models with the forward pass replaced: how a test makes the model fail or hang. */
const withEmbed = (real: Models, embedTokens: (ids: number[][]) => Promise<Float32Array[]>): Models => ({
  ...real,
  encoder: { ...real.encoder, tokenize: (t) => real.encoder.tokenize(t), embed: (t) => embedTokens(t.map(real.encoder.tokenize)), embedTokens },
});
/** The seed's rule as configuration: any single slow or failed call opens the breaker, the wait never grows. */
const SEED_RULE_ENV = { CIRCUIT_WINDOW_SIZE: "1", CIRCUIT_MIN_CALLS: "1", CIRCUIT_SLOW_RATE: "100", CIRCUIT_FAILURE_RATE: "100", CIRCUIT_SLOW_FACTOR: "0" };

/**
 * Models whose encoder takes `latencyMs(padded tokens)` and was calibrated at `msPerToken`: a machine or
 * model of known speed. The vectors are all the same unit vector (these tests look at the breaker only).
 */
const timedModels = (real: Models, msPerToken: number, latencyMs: (padded: number) => number): Models => ({
  ...real,
  msPerToken,
  encoder: {
    sessions: 1,
    tokenize: (t) => real.encoder.tokenize(t),
    embed: () => Promise.reject(new Error("not used")),
    async embedTokens(ids) {
      const padded = ids.length * Math.max(...ids.map((x) => x.length));
      await new Promise((r) => setTimeout(r, latencyMs(padded)));
      return ids.map(() => new Float32Array(384).fill(1 / Math.sqrt(384)));
    },
  },
});
/** 16 distinct tickets of about 25 tokens: one sub-batch of about 400 padded tokens at 0.05 ms/token. */
const SIXTEEN = Array.from({ length: 16 }, (_, i) => `Ticket ${i}: ${"the export keeps failing ".repeat(5)}`);

const realModels = () => {
  const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
  return loadModels(MODELS_DIR, ENCODER_THREADS);
};
const transitions = async (rt: LocalRuntime) => {
  await rt.bus.drain();
  return (await listActivity(rt, 100))
    .filter((e) => e.type === "circuit_breaker_state_changed")
    .map((e) => `${e.data.from}->${e.data.to}`)
    .reverse();
};

describe("model router and circuit breaker, end to end", () => {
  it("classifies with the transformer while healthy", async () => {
    const rt = runtime({});
    const [c] = await rt.classifier.classify(["Our production site is down for every customer, urgent!"]);
    expect(c).toMatchObject({ model: "transformer", category: "Technical" });
    expect(c!.urgency_score).toBeGreaterThan(0.5);
    expect(c!.embedding).toHaveLength(384);
    expect((await breakerView(rt)).state).toBe("closed");
  });

  it("with the seed's rule, opens on the first call over TRANSFORMER_LATENCY_MS=1; later tickets say baseline", async () => {
    const rt = runtime({ TRANSFORMER_LATENCY_MS: "1", ...SEED_RULE_ENV });
    await realModels(); // loaded before, so the call measures inference only
    await acceptTickets(rt, [{ ticket_id: "first", ...URGENT_TEXT }]);
    const worker = startWorker(rt);
    await eventually(async () => (await getTicket(rt, "first")).status === "processed");
    expect((await getTicket(rt, "first")).model).toBe("transformer"); // its (late) answer is still used
    const breaker = await breakerView(rt);
    expect(breaker.state).toBe("open");
    expect(breaker.opened_at).not.toBeNull();

    await acceptTickets(rt, [
      { ticket_id: "second", ...URGENT_TEXT },
      { ticket_id: "third", subject: "Invoice", body: "Please send a copy of invoice 7" },
    ]);
    await eventually(async () => (await getTicket(rt, "third")).status === "processed");
    await worker.stop();
    expect((await getTicket(rt, "second")).model).toBe("baseline");
    expect((await getTicket(rt, "third")).model).toBe("baseline");
    expect(await transitions(rt)).toEqual(["closed->open"]);
  });

  it("goes half-open after the cooldown and closes once its probes succeed within budget", async () => {
    const slow = runtime({ TRANSFORMER_LATENCY_MS: "1", CIRCUIT_COOLDOWN_SECONDS: "1", ...SEED_RULE_ENV });
    await realModels();
    await slow.classifier.classify(["anything at all"]);
    expect((await breakerView(slow)).state).toBe("open");
    expect((await slow.classifier.classify(["still cooling down"]))[0]!.model).toBe("baseline");

    // Another process with a normal budget, same Redis: it sees the same breaker.
    const healthy = runtime({ REDIS_PREFIX: slow.config.REDIS_PREFIX, CIRCUIT_COOLDOWN_SECONDS: "1" });
    await new Promise((r) => setTimeout(r, 1_100));
    const models = [];
    for (let i = 0; i < 3; i++) models.push((await healthy.classifier.classify([`probe ${i}`]))[0]!.model);
    expect(models).toEqual(["transformer", "transformer", "transformer"]);
    expect((await breakerView(healthy)).state).toBe("closed");
    expect(await transitions(healthy)).toEqual(["closed->open", "open->half_open", "half_open->closed"]);
  });

  it("reopens when a half-open probe is slow", async () => {
    const slow = runtime({ TRANSFORMER_LATENCY_MS: "1", CIRCUIT_COOLDOWN_SECONDS: "0.5", ...SEED_RULE_ENV });
    await realModels();
    await slow.classifier.classify(["one"]);
    await new Promise((r) => setTimeout(r, 600));
    await slow.classifier.classify(["two"]); // the probe, over budget again
    expect((await breakerView(slow)).state).toBe("open");
    expect(await transitions(slow)).toEqual(["closed->open", "open->half_open", "half_open->open"]);
  });

  it("treats a model that throws as failing: baseline answers, the breaker opens at the third call", async () => {
    const real = await realModels();
    const rt = runtime({}, async () => withEmbed(real, () => Promise.reject(new Error("onnx exploded"))));
    for (let i = 0; i < 3; i++) {
      expect((await breakerView(rt)).state).toBe("closed");
      const [c] = await rt.classifier.classify([`Our production site is down, urgent! ${i}`]);
      expect(c!.model).toBe("baseline");
    }
    expect((await breakerView(rt)).state).toBe("open");
    expect(await transitions(rt)).toEqual(["closed->open"]);
  });

  it("treats a hung model call as a failure after the hard timeout", async () => {
    const real = await realModels();
    const rt = runtime({ TRANSFORMER_HARD_TIMEOUT_MS: "200", ...SEED_RULE_ENV }, async () => withEmbed(real, () => new Promise(() => {})));
    const [c] = await rt.classifier.classify(["hello"]);
    expect(c!.model).toBe("baseline");
    expect((await breakerView(rt)).state).toBe("open");
  });

  it("opens within three calls on an encoder 10× slower than calibrated (the shipped defaults)", async () => {
    const real = await realModels();
    // Calibrated at 0.05 ms/token; now 10× that: a 400-token sub-batch takes 200 ms against a 156 ms budget.
    const rt = runtime({ TRANSFORMER_LATENCY_MS: "100" }, async () => timedModels(real, 0.05, (padded) => 10 * 0.05 * padded));
    const models: string[] = [];
    for (let i = 0; i < 4; i++) models.push((await rt.classifier.classify(SIXTEEN))[0]!.model);
    // The slow calls' answers are still used; the fourth call takes the baseline.
    expect(models).toEqual(["transformer", "transformer", "transformer", "baseline"]);
    expect(await transitions(rt)).toEqual(["closed->open"]);
  });

  it("keeps a healthy encoder on a busy machine: a sub-batch 3× slower than calibrated, over the flat budget, is not slow", async () => {
    const real = await realModels();
    // Calibrated at 0.1 ms/token; the busy machine runs at 0.3 (3×): a sub-batch of ~200–400 padded tokens takes
    // 60–130 ms, within 5 × its calibrated cost (100–200 ms). Judged flat at 50 ms, every such call is slow.
    const busy = async () => timedModels(real, 0.1, (padded) => 0.3 * padded);
    const rt = runtime({ TRANSFORMER_LATENCY_MS: "50" }, busy);
    await rt.classifier.ready();
    const lengths = SIXTEEN.map((t) => real.encoder.tokenize(t).length);
    expect(Math.min(...rt.classifier.plan(lengths).map((g) => 0.3 * g.length * Math.max(...g.map((i) => lengths[i]!))))).toBeGreaterThan(50);
    for (let i = 0; i < 5; i++) expect((await rt.classifier.classify(SIXTEEN))[0]!.model).toBe("transformer");
    expect((await breakerView(rt)).state).toBe("closed");

    // The same calls judged flat (CIRCUIT_SLOW_FACTOR=0, the seed's budget per call) open it within three.
    const flat = runtime({ TRANSFORMER_LATENCY_MS: "50", CIRCUIT_SLOW_FACTOR: "0" }, busy);
    for (let i = 0; i < 3; i++) await flat.classifier.classify(SIXTEEN);
    expect((await breakerView(flat)).state).toBe("open");
  });

  it("scores single texts (as POST /urgency-score does) through the breaker", async () => {
    const rt = runtime({ TRANSFORMER_LATENCY_MS: "1", ...SEED_RULE_ENV });
    await realModels();
    const first = await rt.classifier.classify(["Everything is broken ASAP"]);
    const second = await rt.classifier.classify(["Everything is broken ASAP"]);
    expect([first[0]!.model, second[0]!.model]).toEqual(["transformer", "baseline"]);
  });

  it("plans sub-batches of similar length that fit the budget, covering every text once", async () => {
    const rt = runtime({ TRANSFORMER_LATENCY_MS: "500" });
    const { msPerToken } = await realModels();
    await rt.classifier.classify(["calibrate"]);
    const lengths = Array.from({ length: 200 }, (_, i) => 5 + ((i * 37) % 250));
    const groups = rt.classifier.plan(lengths);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    for (const g of groups) {
      const padded = g.length * Math.max(...g.map((i) => lengths[i]!));
      expect(g.length).toBeLessThanOrEqual(16);
      // Within 40% of the budget at the measured speed (a single text is always allowed).
      if (g.length > 1) expect(padded * msPerToken).toBeLessThanOrEqual(0.4 * 500 * 1.5);
    }
    expect(groups.length).toBeLessThan(lengths.length);
  });

  it("embeds each distinct text of a batch once", async () => {
    const real = await realModels();
    let embedded = 0;
    const counting = withEmbed(real, (ids) => {
      embedded += ids.length;
      return real.encoder.embedTokens(ids);
    });
    const rt = runtime({}, async () => counting);
    const flood = Array.from({ length: 30 }, () => "Checkout returns 503 for everyone.");
    const results = await rt.classifier.classify([...flood, "A different ticket"]);
    expect(embedded).toBe(2);
    expect(results).toHaveLength(31);
    expect(results[0]).toBe(results[29]);
  });
});
