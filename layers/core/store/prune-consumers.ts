import { loadLua } from "./lua/load.js";
import type { RedisPort } from "./redis-port.js";

const script = loadLua("prune-consumers");

/** Removes consumers of `group` on `stream` that hold nothing: `leaving` itself, and any idle past `idleLimitMs`. */
export function pruneConsumers(redis: RedisPort, stream: string, group: string, leaving: string, idleLimitMs: number): Promise<number> {
  return redis.run<number>(script, [stream], [group, leaving, idleLimitMs]);
}
