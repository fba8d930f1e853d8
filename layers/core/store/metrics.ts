import type { Keys } from "./keys.js";
import type { RedisPort } from "./redis-port.js";

/**
 * Counters (hash keys.counters: tickets_accepted_total, tickets_processed_total, tickets_popped_total,
 * "accepted:<epoch minute>", "<model>:<epoch minute>") and the breaker's hash, read for /health and /metrics.
 */
type Store = { redis: RedisPort; keys: Keys };

export const readCounters = (s: Store) => s.redis.hgetall(s.keys.counters);
export const intakeDeadLetters = (s: Store) => s.redis.xlen(s.keys.intakeDlq);
export const readBreaker = (s: Store) => s.redis.hgetall(s.keys.breaker);
export const ping = (s: Store) => s.redis.ping();
