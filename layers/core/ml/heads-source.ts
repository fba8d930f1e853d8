import type { Logger } from "@aws-lambda-powertools/logger";
import { activeHeadsVersion, headsWeights, SHIPPED_VERSION } from "../store/head-versions.js";
import type { Keys } from "../store/keys.js";
import type { RedisPort } from "../store/redis-port.js";
import { Heads } from "./heads.js";

export interface ActiveHeads {
  version: string;
  heads: Heads;
}

/** Versions' heads kept parsed per process: the active one and the few before it (a rollback is instant). */
const KEEP_VERSIONS = 4;

/**
 * The heads every score uses: those of the active version (store/head-versions.ts), followed without a restart.
 * The active id is read at most every `refreshMs` (one GET); a version not seen before is loaded once (its
 * weights, one GET, parsed and checked) and kept. v1 is the shipped heads.json the process loaded with its
 * encoder. If Redis cannot be read, scoring goes on with the heads last known.
 */
export class ActiveHeadsSource {
  private current: ActiveHeads | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<ActiveHeads> | undefined;
  private readonly loaded = new Map<string, Heads>();

  constructor(private readonly deps: { redis: RedisPort; keys: Keys; logger: Logger; refreshMs: number }) {}

  get(shipped: Heads): Promise<ActiveHeads> {
    if (this.current && performance.now() - this.checkedAt < this.deps.refreshMs) return Promise.resolve(this.current);
    // Concurrent batches share one look-up.
    this.refreshing ??= this.refresh(shipped).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(shipped: Heads): Promise<ActiveHeads> {
    try {
      const version = (await activeHeadsVersion(this.deps)) ?? SHIPPED_VERSION;
      if (version !== this.current?.version) this.current = { version, heads: await this.headsOf(version, shipped) };
    } catch (err) {
      this.deps.logger.warn("could not follow the active heads version; scoring with the heads last known", {
        error: err as Error,
        version: this.current?.version ?? SHIPPED_VERSION,
      });
      this.current ??= { version: SHIPPED_VERSION, heads: shipped };
    }
    this.checkedAt = performance.now();
    return this.current;
  }

  private async headsOf(version: string, shipped: Heads): Promise<Heads> {
    if (version === SHIPPED_VERSION) return shipped;
    let heads = this.loaded.get(version);
    if (!heads) {
      const json = await headsWeights(this.deps, version);
      if (json === null) throw new Error(`heads version ${version} is active but its weights are not stored`);
      heads = Heads.fromJson(JSON.parse(json));
      this.deps.logger.info("heads version loaded", { version });
    }
    // Most recently used last: the oldest goes first.
    this.loaded.delete(version);
    this.loaded.set(version, heads);
    while (this.loaded.size > KEEP_VERSIONS) this.loaded.delete(this.loaded.keys().next().value!);
    return heads;
  }
}
