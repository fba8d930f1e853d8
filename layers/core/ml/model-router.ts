import type { Logger } from "@aws-lambda-powertools/logger";
import { breakerSettings, callBudgetMs, judgeCall } from "../domain/breaker.js";
import { classifyBaseline, type Classification } from "../domain/classification.js";
import type { Config } from "../config.js";
import type { EventBus } from "../ports/event-bus.js";
import type { Keys } from "../store/keys.js";
import { breakerPermit, breakerReport, type Transition } from "../store/lua/breaker.js";
import type { RedisPort } from "../store/redis-port.js";
import { readBreaker } from "../store/metrics.js";
import type { Classifier } from "./classifier.js";
import { EmbeddingCache } from "./embedding-cache.js";
import type { Encoder } from "./encoder.js";
import { ActiveHeadsSource } from "./heads-source.js";
import type { Models } from "./models.js";

export interface ModelRouterDeps {
  config: Config;
  redis: RedisPort;
  keys: Keys;
  bus: EventBus;
  logger: Logger;
  models: () => Promise<Models>;
}

/** Share of the latency budget a sub-batch aims for, so a healthy call stays well under it. */
const BUDGET_SHARE = 0.4;
/** Past this, bigger ONNX batches got slower per ticket on the 2-core machine (bench/models.ts). */
const MAX_SUB_BATCH = 16;
/**
 * The planner's cost model of one forward pass over n texts padded to L tokens, in padded tokens' worth of
 * work: CALL_OVERHEAD_TOKENS + n·L·(1 + L / ATTENTION_TOKENS). Measured on the 2-core machine (MiniLM on
 * onnxruntime, batches of 1–32 texts of 16–256 tokens, and whole plans over the labelled tickets): ~0.14 ms
 * per padded token, a token dearer by about a sixth at 128 tokens and by half at 256 (attention), and each
 * call some 3–10 ms more (small matrix products, waking the thread pool) — so few full calls beat many
 * snug ones.
 */
const CALL_OVERHEAD_TOKENS = 64;
const ATTENTION_TOKENS = 600;

/** Padded tokens a sub-batch may carry: what should take BUDGET_SHARE of the latency budget at this speed. */
export function subBatchBudgetTokens(latencyMs: number, msPerToken: number): number {
  return (BUDGET_SHARE * latencyMs) / msPerToken;
}

/**
 * Groups tokenised texts (their lengths) into sub-batches: sorted by length, each group a run of neighbours
 * (so its padding is small), no bigger than MAX_SUB_BATCH nor than `budgetTokens` padded tokens (a text alone
 * is always allowed), and the runs cut where the cost model (CALL_OVERHEAD_TOKENS, ATTENTION_TOKENS) says the
 * whole batch is cheapest: one pass of dynamic programming over the sorted lengths, exact for that model.
 * Returns indices into `lengths`, every one once.
 */
export function planSubBatches(lengths: number[], budgetTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const n = order.length;
  // best[i]: cheapest plan of the i shortest texts; cut[i]: where its last group starts.
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let i = 1; i <= n; i++) {
    // Sorted ascending: the group's last (longest) text sets its padded length.
    const len = lengths[order[i - 1]!]!;
    const perText = len * (1 + len / ATTENTION_TOKENS);
    for (let size = 1; size <= Math.min(i, MAX_SUB_BATCH); size++) {
      if (size > 1 && size * len > budgetTokens) break;
      const cost = best[i - size]! + CALL_OVERHEAD_TOKENS + size * perText;
      if (cost < best[i]!) {
        best[i] = cost;
        cut[i] = i - size;
      }
    }
  }
  const groups: number[][] = [];
  for (let i = n; i > 0; i = cut[i]!) groups.push(order.slice(cut[i]!, i));
  return groups.reverse();
}

/**
 * What a router remembers of an encoder's recent work: the embeddings of the last distinct texts, and the
 * texts a forward pass is embedding right now (for a batch classified meanwhile).
 */
interface Memory {
  encoder: Encoder;
  cache: EmbeddingCache;
  pending: Map<string, Promise<Float32Array | undefined>>;
}

/**
 * One lane per encoder (ModelRouter.exclusive): at most one forward pass per encoder session at a time; when
 * one ends, the waiting sub-batch of the earliest classify call goes next (then its earliest group), so
 * concurrent batches finish classifying in the order they came, not interleaved.
 */
interface Lane {
  /** Passes running now: at most the encoder's sessions. */
  busy: number;
  waiting: { rank: readonly [number, number]; go: () => void }[];
}
const lanes = new WeakMap<Encoder, Lane>();
/** The models one classify call scores with: the active heads version's heads in place of the shipped ones. */
type Scoring = Models & { headsVersion: string };
/** Orders classify calls (per process) for their encoder's lane. */
let classifyCalls = 0;

class HardTimeout extends Error {
  override name = "HardTimeout";
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HardTimeout(`model call still running after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Every transformer call goes through here: ask the shared breaker, run the encoder on a sub-batch, report
 * how it went, fall back to the baseline when the breaker says no or the call fails. One encoder pass per
 * ticket gives category, urgency and the embedding for dedup.
 *
 * Forward passes go through one lane per encoder, one at a time per encoder session (ENCODER_SESSIONS),
 * whatever number of batches are classified at once (the local worker keeps two in flight): more would only
 * fight for the same cores, and a call is timed from the moment it has a slot, so the breaker judges the call
 * itself, never the wait for another. The next sub-batch asks the breaker while the current one runs, so the
 * encoder does not idle on that round trip.
 */
export class ModelRouter implements Classifier {
  /** Cost of one padded token in a healthy call (ms): calibrated at load, then tracked (sizes sub-batches). */
  private msPerToken: number | undefined;
  /** The same cost as calibrated at load, fixed: what "slow" is judged against (a drifting one would hide decay). */
  private calibratedMsPerToken: number | undefined;
  /** Embeddings of texts seen moments ago, of this encoder (a reloaded encoder starts a new cache). */
  private memory: Memory | undefined;
  /** The active heads version, followed without a restart (README "Learning from corrections"). */
  private readonly activeHeads: ActiveHeadsSource;

  constructor(private readonly deps: ModelRouterDeps) {
    this.activeHeads = new ActiveHeadsSource({ ...deps, refreshMs: deps.config.LEARNING_HEADS_REFRESH_MS });
  }

  /** Loads and warms the models now, so the first ticket does not pay for it. */
  async ready(): Promise<void> {
    const { msPerToken } = await this.deps.models();
    this.msPerToken ??= msPerToken;
    this.calibratedMsPerToken ??= msPerToken;
  }

  /** Sub-batches for these token lengths at the speed tracked now (see planSubBatches). */
  plan(lengths: number[]): number[][] {
    return planSubBatches(lengths, subBatchBudgetTokens(this.deps.config.TRANSFORMER_LATENCY_MS, this.msPerToken ?? 1));
  }

  /**
   * Embeddings for work beside the queue (a retrain's corrections without one): planned sub-batches through the
   * encoder's lane, each after every ticket sub-batch waiting then, so tickets never queue behind it; not
   * through the breaker, which judges what tickets wait for.
   */
  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const models = await this.deps.models();
    this.msPerToken ??= models.msPerToken;
    const ids = texts.map((t) => models.encoder.tokenize(t));
    const out: Float32Array[] = [];
    for (const group of this.plan(ids.map((x) => x.length))) {
      const rank = [Number.MAX_SAFE_INTEGER, classifyCalls++] as const;
      const embeddings = await this.exclusive(models.encoder, rank, () => models.encoder.embedTokens(group.map((i) => ids[i]!)), () => {});
      group.forEach((i, j) => (out[i] = embeddings[j]!));
    }
    return out;
  }

  async classify(texts: string[]): Promise<Classification[]> {
    if (texts.length === 0) return [];
    let loaded: Models;
    try {
      loaded = await this.deps.models();
    } catch (err) {
      this.deps.logger.error("models could not be loaded; baseline used", { error: err as Error });
      return texts.map(classifyBaseline);
    }
    // The active version's heads (its id read every few seconds at most): a new version is scored with from the
    // next batch on, and every result names it.
    const active = await this.activeHeads.get(loaded.heads);
    const models: Scoring = { ...loaded, heads: active.heads, headsVersion: active.version };
    this.msPerToken ??= models.msPerToken;
    this.calibratedMsPerToken ??= models.msPerToken;
    // A flood repeats the same text: embed each distinct text once (same tokens, same embedding), and not
    // again while it is remembered, nor while another batch's pass is embedding it.
    const ids = texts.map((t) => models.encoder.tokenize(t));
    const keys = ids.map((x) => EmbeddingCache.key(x));
    const memory = this.memoryFor(models.encoder);
    const known = new Map<string, Float32Array>();
    const awaited = new Map<string, Promise<Float32Array | undefined>>();
    const misses = new Map<string, number>(); // key → index of its first text
    keys.forEach((k, i) => {
      if (known.has(k) || awaited.has(k) || misses.has(k)) return;
      const hit = memory?.cache.get(k);
      const pending = hit ? undefined : memory?.pending.get(k);
      if (hit) known.set(k, hit);
      else if (pending) awaited.set(k, pending);
      else misses.set(k, i);
    });
    // A remembered embedding stands in for a model call only while the breaker is closed: open or half-open,
    // every text goes to the breaker as if it were new (its permission, its probes, its baseline).
    if ((known.size || awaited.size) && !(await this.breakerClosed())) {
      for (const k of [...known.keys(), ...awaited.keys()]) misses.set(k, keys.indexOf(k));
      known.clear();
      awaited.clear();
    }
    // This call's own texts: a batch asking for one of them meanwhile waits for this call's pass.
    const settle = new Map<string, (e: Float32Array | undefined) => void>();
    if (memory) {
      for (const k of misses.keys()) {
        if (!memory.pending.has(k)) memory.pending.set(k, new Promise((resolve) => settle.set(k, resolve)));
      }
    }
    const release = (k: string, embedding: Float32Array | undefined) => {
      const resolve = settle.get(k);
      if (!resolve) return;
      settle.delete(k);
      memory!.pending.delete(k);
      resolve(embedding);
    };

    const call = classifyCalls++;
    const todo = [...misses.values()];
    const byKey = new Map<string, Classification>();
    const groups = this.plan(todo.map((i) => ids[i]!.length)).map((g) => g.map((j) => todo[j]!));
    let failed: PromiseRejectedResult | undefined;
    try {
      // Each group asks the breaker once the group before it holds the lane (so the next permission is in by
      // the time the lane frees); failures are collected and thrown once every group has settled.
      let previousStarted: Promise<void> = Promise.resolve();
      const calls = groups.map((group, g) => {
        const after = previousStarted;
        let started!: () => void;
        previousStarted = new Promise<void>((r) => (started = r));
        return this.classifyGroup(models, group.map((i) => texts[i]!), group.map((i) => ids[i]!), [call, g], after, started).then((results) =>
          group.forEach((i, j) => {
            const c = results[j]!;
            byKey.set(keys[i]!, c);
            if (c.embedding) memory?.cache.set(keys[i]!, c.embedding);
            release(keys[i]!, c.embedding);
          }),
        );
      });
      failed = (await Promise.allSettled(calls)).find((r): r is PromiseRejectedResult => r.status === "rejected");
    } finally {
      for (const k of [...settle.keys()]) release(k, undefined);
    }
    if (failed) throw failed.reason;
    // Texts another batch was embedding: its embedding, or the baseline if its pass failed or was refused.
    for (const [k, pending] of awaited) {
      const embedding = await pending;
      if (embedding) known.set(k, embedding);
    }

    // Same text, same answer (one object); same tokens but another text (case, accents, past MAX_TOKENS):
    // the same embedding, while the heads and the baseline read the text itself.
    const byText = new Map<string, Classification>();
    return texts.map((t, i) => {
      const k = keys[i]!;
      let c = byText.get(t);
      if (c) return c;
      const remembered = known.get(k);
      const first = byKey.get(k);
      if (remembered) c = { ...models.heads.apply(remembered, t), model: "transformer" as const, embedding: remembered, heads_version: models.headsVersion };
      else if (first && t === texts[misses.get(k)!]) c = first;
      else if (first?.embedding) c = { ...models.heads.apply(first.embedding, t), model: first.model, embedding: first.embedding, heads_version: first.heads_version };
      else c = classifyBaseline(t);
      byText.set(t, c);
      return c;
    });
  }

  private memoryFor(encoder: Encoder): Memory | undefined {
    const capacity = this.deps.config.EMBEDDING_CACHE_SIZE;
    if (capacity <= 0) return undefined;
    if (this.memory?.encoder !== encoder) this.memory = { encoder, cache: new EmbeddingCache(capacity), pending: new Map() };
    return this.memory;
  }

  private async breakerClosed(): Promise<boolean> {
    const { state } = await readBreaker(this.deps);
    return (state ?? "closed") === "closed";
  }

  /**
   * Runs `work` when the encoder's lane is free and no earlier-ranked sub-batch waits for it, `onStart` the
   * moment it has it; the lane frees when `work` settles. One lane per encoder, shared by every router of the
   * process that uses it (API and worker in one process, several runtimes in tests).
   */
  private async exclusive<T>(encoder: Encoder, rank: readonly [number, number], work: () => Promise<T>, onStart: () => void): Promise<T> {
    let lane = lanes.get(encoder);
    if (!lane) lanes.set(encoder, (lane = { busy: 0, waiting: [] }));
    // A slot is free only while nobody waits (a pass that ends hands its slot to the first waiter).
    if (lane.busy < encoder.sessions) lane.busy++;
    else {
      const before = (a: readonly [number, number], b: readonly [number, number]) => a[0] - b[0] || a[1] - b[1];
      await new Promise<void>((go) => {
        const at = lane.waiting.findIndex((w) => before(rank, w.rank) < 0);
        lane.waiting.splice(at < 0 ? lane.waiting.length : at, 0, { rank, go });
      });
    }
    onStart();
    try {
      return await work();
    } finally {
      const next = lane.waiting.shift();
      if (next) next.go();
      else lane.busy--;
    }
  }

  private async classifyGroup(
    models: Scoring,
    texts: string[],
    ids: number[][],
    rank: readonly [number, number],
    after: Promise<void>,
    started: () => void,
  ): Promise<Classification[]> {
    try {
      return await this.callGroup(models, texts, ids, rank, after, started);
    } finally {
      started(); // however it ended (no permission, an error): the next group may go on
    }
  }

  private async callGroup(
    models: Scoring,
    texts: string[],
    ids: number[][],
    rank: readonly [number, number],
    after: Promise<void>,
    started: () => void,
  ): Promise<Classification[]> {
    const { config, redis, keys, logger } = this.deps;
    const breaker = breakerSettings(config);
    await after;
    const { permission, epoch, transition } = await breakerPermit(redis, keys, {
      cooldownMs: breaker.cooldownMs,
      maxCooldownMs: breaker.maxCooldownMs,
      maxProbes: breaker.maxProbes,
      staleMs: breaker.staleProbeMs,
    });
    if (permission === "reject") started();
    await this.announce(transition);
    if (permission === "reject") return texts.map(classifyBaseline);

    // Slowness is judged per unit of work: against what this call should take at the calibrated speed.
    const padded = ids.length * Math.max(...ids.map((x) => x.length));
    const budgetMs = callBudgetMs({
      paddedTokens: padded,
      calibratedMsPerToken: this.calibratedMsPerToken ?? models.msPerToken,
      latencyMs: config.TRANSFORMER_LATENCY_MS,
      slowFactor: config.CIRCUIT_SLOW_FACTOR,
    });
    let embeddings: Float32Array[] | undefined;
    let failure: unknown;
    let latencyMs = 0;
    await this.exclusive(models.encoder, rank, async () => {
      const t0 = performance.now();
      try {
        embeddings = await withTimeout(models.encoder.embedTokens(ids), config.TRANSFORMER_HARD_TIMEOUT_MS);
      } catch (err) {
        failure = err;
      }
      latencyMs = performance.now() - t0;
    }, started);
    const outcome = judgeCall({ failed: embeddings === undefined, latencyMs, budgetMs });
    const t = await breakerReport(redis, keys, {
      epoch,
      permission,
      outcome,
      maxProbes: breaker.maxProbes,
      windowSize: breaker.windowSize,
      minCalls: breaker.minCalls,
      failureRatePct: breaker.failureRatePct,
      slowRatePct: breaker.slowRatePct,
    });
    await this.announce(t);
    if (!embeddings) {
      logger.warn("transformer call failed; baseline used", { error: failure as Error, tickets: texts.length });
      return texts.map(classifyBaseline);
    }
    if (outcome === "success") this.msPerToken = 0.8 * this.msPerToken! + 0.2 * (latencyMs / padded);
    else logger.warn("transformer call over budget", { latency_ms: Math.round(latencyMs), budget_ms: Math.round(budgetMs), tickets: texts.length, padded_tokens: padded });
    // Over budget still yields a good answer: use it, the breaker has already taken note.
    return embeddings.map((embedding, i) => ({
      ...models.heads.apply(embedding, texts[i]!),
      model: "transformer" as const,
      embedding,
      heads_version: models.headsVersion,
    }));
  }

  private async announce(t: Transition) {
    if (t.from === t.to) return;
    this.deps.logger.info("circuit breaker", { from: t.from, to: t.to });
    await this.deps.bus.publish([
      {
        type: "circuit_breaker_state_changed",
        data: { from: t.from, to: t.to, opened_at: t.openedAtMs ? new Date(t.openedAtMs).toISOString() : null },
      },
    ]);
  }
}
