import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("mark-queued");

export function markQueued(redis: RedisPort, keys: Keys, ticketIds: string[]): Promise<number> {
  return redis.run<number>(script, ticketIds.map(keys.ticket), []);
}
