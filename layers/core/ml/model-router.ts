import type { Logger } from "@aws-lambda-powertools/logger";
import { breakerSettings, callBudgetMs, judgeCall } from "../domain/breaker.js";
import { classifyBaseline, type Classification } from "../domain/classification.js";
import type { Config } from "../config.js";
import type { EventBus } from "../ports/event-bus.js";
import type { Keys } from "../store/keys.js";
import { breakerPermit, breakerReport, type Transition } from "../store/lua/breaker.js";
import type { RedisPort } from "../store/redis-port.js";
import type { Classifier } from "./classifier.js";
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
 */
export class ModelRouter implements Classifier {
  /** Cost of one padded token in a healthy call (ms): calibrated at load, then tracked (sizes sub-batches). */
  private msPerToken: number | undefined;
  /** The same cost as calibrated at load, fixed: what "slow" is judged against (a drifting one would hide decay). */
  private calibratedMsPerToken: number | undefined;

  constructor(private readonly deps: ModelRouterDeps) {}

  /** Loads and warms the models now, so the first ticket does not pay for it. */
  async ready(): Promise<void> {
    const { msPerToken } = await this.deps.models();
    this.msPerToken ??= msPerToken;
    this.calibratedMsPerToken ??= msPerToken;
  }

  /**
   * Groups tokenised texts into sub-batches: similar lengths together (little padding), each small enough
   * that its forward pass should take BUDGET_SHARE of the latency budget.
   */
  plan(lengths: number[]): number[][] {
    const budgetTokens = (BUDGET_SHARE * this.deps.config.TRANSFORMER_LATENCY_MS) / (this.msPerToken ?? 1);
    const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
    const groups: number[][] = [];
    let group: number[] = [];
    for (const i of order) {
      // Sorted ascending, so this item's length is the group's padded length.
      const fits = group.length < MAX_SUB_BATCH && (group.length + 1) * lengths[i]! <= budgetTokens;
      if (group.length && !fits) {
        groups.push(group);
        group = [];
      }
      group.push(i);
    }
    if (group.length) groups.push(group);
    return groups;
  }

  async classify(texts: string[]): Promise<Classification[]> {
    // A flood repeats the same text: embed each distinct text once.
    const distinct = [...new Set(texts)];
    let models: Models;
    try {
      models = await this.deps.models();
    } catch (err) {
      this.deps.logger.error("models could not be loaded; baseline used", { error: err as Error });
      return texts.map(classifyBaseline);
    }
    this.msPerToken ??= models.msPerToken;
    this.calibratedMsPerToken ??= models.msPerToken;
    const ids = distinct.map((t) => models.encoder.tokenize(t));
    const byText = new Map<string, Classification>();
    for (const group of this.plan(ids.map((x) => x.length))) {
      const results = await this.classifyGroup(models, group.map((i) => distinct[i]!), group.map((i) => ids[i]!));
      group.forEach((i, j) => byText.set(distinct[i]!, results[j]!));
    }
    return texts.map((t) => byText.get(t)!);
  }

  private async classifyGroup(models: Models, texts: string[], ids: number[][]): Promise<Classification[]> {
    const { config, redis, keys, logger } = this.deps;
    const breaker = breakerSettings(config);
    const { permission, epoch, transition } = await breakerPermit(redis, keys, {
      cooldownMs: breaker.cooldownMs,
      maxCooldownMs: breaker.maxCooldownMs,
      maxProbes: breaker.maxProbes,
      staleMs: breaker.staleProbeMs,
    });
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
    const started = performance.now();
    try {
      embeddings = await withTimeout(models.encoder.embedTokens(ids), config.TRANSFORMER_HARD_TIMEOUT_MS);
    } catch (err) {
      failure = err;
    }
    const latencyMs = performance.now() - started;
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
