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
 * work: CALL_OVERHEAD_TOKENS + n·L·(1 + L / ATTENTION_TOKENS). Measured on the 2-core machine (scratch fits of
 * MiniLM on onnxruntime, batch 1–32 × length 16–256): a call costs ~1–3 ms on top of ~0.14 ms per padded
 * token, and attention adds about a token's cost per 1,000 tokens of sequence.
 */
const CALL_OVERHEAD_TOKENS = 16;
const ATTENTION_TOKENS = 1024;

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
 * Forward passes are serialised through one lane per router, whatever number of batches are classified at
 * once (the local worker keeps two in flight): they would only fight for the same cores, and a call is timed
 * from the moment it has the lane, so the breaker judges the call itself, never the wait for another. The
 * next sub-batch asks the breaker while the current one runs, so the encoder does not idle on that round trip.
 */
export class ModelRouter implements Classifier {
  /** Cost of one padded token in a healthy call (ms): calibrated at load, then tracked (sizes sub-batches). */
  private msPerToken: number | undefined;
  /** The same cost as calibrated at load, fixed: what "slow" is judged against (a drifting one would hide decay). */
  private calibratedMsPerToken: number | undefined;
  /** Resolves when the forward pass holding the lane has settled. */
  private lane: Promise<void> = Promise.resolve();
  /** Embeddings of texts seen moments ago, of this encoder (a reloaded encoder starts a new cache). */
  private cache: { encoder: Encoder; entries: EmbeddingCache } | undefined;

  constructor(private readonly deps: ModelRouterDeps) {}

  /** Loads and warms the models now, so the first ticket does not pay for it. */
  async ready(): Promise<void> {
    const { msPerToken } = await this.deps.models();
    this.msPerToken ??= msPerToken;
    this.calibratedMsPerToken ??= msPerToken;
  }

  /**
   * Groups tokenised texts into sub-batches: sorted by length, each group a run of neighbours (so its padding
   * is small), no bigger than MAX_SUB_BATCH and than what should take BUDGET_SHARE of the latency budget (a
   * text alone is always allowed), and the runs cut where the cost model (CALL_OVERHEAD_TOKENS,
   * ATTENTION_TOKENS) says the whole batch is cheapest: one pass of dynamic programming over the sorted
   * lengths, exact for that model.
   */
  plan(lengths: number[]): number[][] {
    const budgetTokens = (BUDGET_SHARE * this.deps.config.TRANSFORMER_LATENCY_MS) / (this.msPerToken ?? 1);
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

  async classify(texts: string[]): Promise<Classification[]> {
    if (texts.length === 0) return [];
    let models: Models;
    try {
      models = await this.deps.models();
    } catch (err) {
      this.deps.logger.error("models could not be loaded; baseline used", { error: err as Error });
      return texts.map(classifyBaseline);
    }
    this.msPerToken ??= models.msPerToken;
    this.calibratedMsPerToken ??= models.msPerToken;
    // A flood repeats the same text: embed each distinct text once (same tokens, same embedding).
    const ids = texts.map((t) => models.encoder.tokenize(t));
    const keys = ids.map((x) => EmbeddingCache.key(x));
    const cache = this.cacheFor(models.encoder);
    const known = new Map<string, Float32Array>();
    const misses = new Map<string, number>(); // key → index of its first text
    keys.forEach((k, i) => {
      if (known.has(k) || misses.has(k)) return;
      const hit = cache?.get(k);
      if (hit) known.set(k, hit);
      else misses.set(k, i);
    });
    // A remembered embedding stands in for a model call only while the breaker is closed: open or half-open,
    // every text goes to the breaker as if it were new (its permission, its probes, its baseline).
    if (known.size && !(await this.breakerClosed())) {
      for (const k of known.keys()) misses.set(k, keys.indexOf(k));
      known.clear();
    }

    const todo = [...misses.values()];
    const byKey = new Map<string, Classification>();
    const groups = this.plan(todo.map((i) => ids[i]!.length)).map((g) => g.map((j) => todo[j]!));
    // Each group asks the breaker once the group before it holds the lane (so the next permission is in by
    // the time the lane frees); failures are collected and thrown once every group has settled.
    let previousStarted: Promise<void> = Promise.resolve();
    const calls = groups.map((group) => {
      const after = previousStarted;
      let started!: () => void;
      previousStarted = new Promise<void>((r) => (started = r));
      return this.classifyGroup(models, group.map((i) => texts[i]!), group.map((i) => ids[i]!), after, started).then((results) =>
        group.forEach((i, j) => {
          const c = results[j]!;
          byKey.set(keys[i]!, c);
          if (c.embedding && cache) cache.set(keys[i]!, c.embedding);
        }),
      );
    });
    const failed = (await Promise.allSettled(calls)).find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    // Same text, same answer (one object); same tokens but another text (case, accents, past MAX_TOKENS):
    // the same embedding, while the heads and the baseline read the text itself.
    const byText = new Map<string, Classification>();
    return texts.map((t, i) => {
      const k = keys[i]!;
      let c = byText.get(t);
      if (c) return c;
      const remembered = known.get(k);
      if (remembered) c = { ...models.heads.apply(remembered, t), model: "transformer" as const, embedding: remembered };
      else {
        const first = byKey.get(k)!;
        if (t === texts[misses.get(k)!]) c = first;
        else if (first.embedding) c = { ...models.heads.apply(first.embedding, t), model: first.model, embedding: first.embedding };
        else c = classifyBaseline(t);
      }
      byText.set(t, c);
      return c;
    });
  }

  private cacheFor(encoder: Encoder): EmbeddingCache | undefined {
    const capacity = this.deps.config.EMBEDDING_CACHE_SIZE;
    if (capacity <= 0) return undefined;
    if (this.cache?.encoder !== encoder) this.cache = { encoder, entries: new EmbeddingCache(capacity) };
    return this.cache.entries;
  }

  private async breakerClosed(): Promise<boolean> {
    const { state } = await readBreaker(this.deps);
    return (state ?? "closed") === "closed";
  }

  /** Runs `work` when the lane is free, `onStart` the moment it has it; the lane frees when `work` settles. */
  private async exclusive<T>(work: () => Promise<T>, onStart: () => void): Promise<T> {
    const previous = this.lane;
    let release!: () => void;
    this.lane = new Promise<void>((r) => (release = r));
    await previous;
    onStart();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private async classifyGroup(
    models: Models,
    texts: string[],
    ids: number[][],
    after: Promise<void>,
    started: () => void,
  ): Promise<Classification[]> {
    try {
      return await this.callGroup(models, texts, ids, after, started);
    } finally {
      started(); // however it ended (no permission, an error): the next group may go on
    }
  }

  private async callGroup(models: Models, texts: string[], ids: number[][], after: Promise<void>, started: () => void): Promise<Classification[]> {
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
    await this.exclusive(async () => {
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
    return embeddings.map((embedding, i) => ({ ...models.heads.apply(embedding, texts[i]!), model: "transformer" as const, embedding }));
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
