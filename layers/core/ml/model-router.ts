import type { Logger } from "@aws-lambda-powertools/logger";
import type { Permission } from "../domain/breaker.js";
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
const MAX_SUB_BATCH = 32;

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
  /** Measured cost of one ticket in a healthy call (ms), which sizes the next sub-batch. */
  private msPerTicket = 10;

  constructor(private readonly deps: ModelRouterDeps) {}

  subBatchSize(): number {
    const fit = Math.floor((BUDGET_SHARE * this.deps.config.TRANSFORMER_LATENCY_MS) / this.msPerTicket);
    return Math.max(1, Math.min(MAX_SUB_BATCH, fit));
  }

  async classify(texts: string[]): Promise<Classification[]> {
    const out = new Array<Classification>(texts.length);
    // Texts of similar length share a sub-batch, so little of each forward pass is padding.
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    for (let i = 0; i < order.length; ) {
      const chunk = order.slice(i, i + this.subBatchSize());
      i += chunk.length;
      const results = await this.classifyChunk(chunk.map((k) => texts[k]!));
      chunk.forEach((k, j) => (out[k] = results[j]!));
    }
    return out;
  }

  private async classifyChunk(texts: string[]): Promise<Classification[]> {
    const { config, redis, keys, logger } = this.deps;
    const breaker = {
      cooldownMs: config.CIRCUIT_COOLDOWN_SECONDS * 1000,
      maxProbes: config.CIRCUIT_HALF_OPEN_PROBES,
      staleMs: config.CIRCUIT_COOLDOWN_SECONDS * 1000 + config.TRANSFORMER_HARD_TIMEOUT_MS,
    };
    const { permission, epoch, transition } = await breakerPermit(redis, keys, breaker);
    await this.announce(transition);
    if (permission === "reject") return texts.map(classifyBaseline);

    let embeddings: Float32Array[] | undefined;
    let failure: unknown;
    let latencyMs = 0;
    try {
      const { encoder } = await this.deps.models();
      const started = performance.now();
      try {
        embeddings = await withTimeout(encoder.embed(texts), config.TRANSFORMER_HARD_TIMEOUT_MS);
      } finally {
        latencyMs = performance.now() - started;
      }
    } catch (err) {
      failure = err;
    }
    const healthy = failure === undefined && latencyMs <= config.TRANSFORMER_LATENCY_MS;
    await this.reportOutcome(epoch, permission, healthy, breaker.maxProbes);
    if (failure !== undefined || !embeddings) {
      logger.warn("transformer call failed; baseline used", { error: failure as Error, tickets: texts.length });
      return texts.map(classifyBaseline);
    }
    if (healthy) this.msPerTicket = 0.7 * this.msPerTicket + 0.3 * (latencyMs / texts.length);
    else logger.warn("transformer call over budget", { latency_ms: Math.round(latencyMs), tickets: texts.length });
    // Over budget still yields a good answer: use it, the breaker has already taken note.
    const { heads } = await this.deps.models();
    return embeddings.map((embedding) => ({ ...heads.apply(embedding), model: "transformer" as const, embedding }));
  }

  private async reportOutcome(epoch: number, permission: Permission, healthy: boolean, maxProbes: number) {
    const t = await breakerReport(this.deps.redis, this.deps.keys, { epoch, permission, healthy, maxProbes });
    await this.announce(t);
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
