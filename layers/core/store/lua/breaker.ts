import type { BreakerStateName, Permission } from "../../domain/breaker.js";
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

export async function breakerPermit(
  redis: RedisPort,
  keys: Keys,
  a: { nowMs?: number; cooldownMs: number; maxProbes: number; staleMs: number },
): Promise<{ permission: Permission; epoch: number; transition: Transition }> {
  const [permission, epoch, from, to, openedAt] = await redis.run<[Permission, number, BreakerStateName, BreakerStateName, number]>(
    permitScript,
    [keys.breaker],
    [a.nowMs ?? "", a.cooldownMs, a.maxProbes, a.staleMs],
  );
  return { permission, epoch: Number(epoch), transition: { from, to, openedAtMs: Number(openedAt) } };
}

export async function breakerReport(
  redis: RedisPort,
  keys: Keys,
  a: { nowMs?: number; epoch: number; permission: Permission; healthy: boolean; maxProbes: number },
): Promise<Transition> {
  const [from, to, openedAt] = await redis.run<[BreakerStateName, BreakerStateName, number, number]>(
    reportScript,
    [keys.breaker],
    [a.nowMs ?? "", a.epoch, a.permission, a.healthy ? 1 : 0, a.maxProbes],
  );
  return { from, to, openedAtMs: Number(openedAt) };
}
