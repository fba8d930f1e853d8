import { OUTCOME_LETTER, SEED_RULE, type BreakerStateName, type CallOutcome, type Permission } from "../../domain/breaker.js";
import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const permitScript = loadLua("breaker-permit");
const reportScript = loadLua("breaker-report");

export interface Transition {
  from: BreakerStateName;
  to: BreakerStateName;
  openedAtMs: number;
}

/** The window rule a report is judged by; left out, the seed's (any single slow or failed call opens). */
export interface WindowRule {
  windowSize?: number;
  minCalls?: number;
  failureRatePct?: number;
  slowRatePct?: number;
}

export async function breakerPermit(
  redis: RedisPort,
  keys: Keys,
  /** maxCooldownMs left out = cooldownMs: the open wait does not grow (the seed's rule). */
  a: { nowMs?: number; cooldownMs: number; maxProbes: number; staleMs: number; maxCooldownMs?: number },
): Promise<{ permission: Permission; epoch: number; transition: Transition }> {
  const [permission, epoch, from, to, openedAt] = await redis.run<[Permission, number, BreakerStateName, BreakerStateName, number]>(
    permitScript,
    [keys.breaker],
    [a.nowMs ?? "", a.cooldownMs, a.maxProbes, a.staleMs, a.maxCooldownMs ?? a.cooldownMs],
  );
  return { permission, epoch: Number(epoch), transition: { from, to, openedAtMs: Number(openedAt) } };
}

export async function breakerReport(
  redis: RedisPort,
  keys: Keys,
  /** `outcome`, or (older callers) `healthy`: false counts as a failure. */
  a: { nowMs?: number; epoch: number; permission: Permission; outcome?: CallOutcome; healthy?: boolean; maxProbes: number } & WindowRule,
): Promise<Transition> {
  const outcome: CallOutcome = a.outcome ?? (a.healthy === false ? "failure" : "success");
  const [from, to, openedAt] = await redis.run<[BreakerStateName, BreakerStateName, number, number]>(
    reportScript,
    [keys.breaker],
    [
      a.nowMs ?? "",
      a.epoch,
      a.permission,
      OUTCOME_LETTER[outcome],
      a.maxProbes,
      a.windowSize ?? SEED_RULE.windowSize,
      a.minCalls ?? SEED_RULE.minCalls,
      a.failureRatePct ?? SEED_RULE.failureRatePct,
      a.slowRatePct ?? SEED_RULE.slowRatePct,
    ],
  );
  return { from, to, openedAtMs: Number(openedAt) };
}
