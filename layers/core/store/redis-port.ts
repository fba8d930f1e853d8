/** A Lua script: its source is read once, its SHA cached by the adapter (EVALSHA, falling back to EVAL). */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
}

export type RedisArg = string | number;
export type StreamEntry = { id: string; fields: Record<string, string> };

/**
 * The few Redis operations the services use. Two adapters implement it: ioredis over TCP (local) and
 * Upstash's REST API (Lambda). Anything read-modify-write goes through `run` with a Lua script.
 */
export interface RedisPort {
  run<T = unknown>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T>;
  ping(): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  /** HGETALL of many keys in one round trip; missing keys give `{}`. */
  hgetallMany(keys: string[]): Promise<Record<string, string>[]>;
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, fields: Record<string, string>): Promise<void>;
  zcard(key: string): Promise<number>;
  /** Members from the highest score down, `start`/`stop` inclusive as in ZRANGE … REV. */
  zrevrange(key: string, start: number, stop: number): Promise<string[]>;
  xadd(key: string, maxLen: number, fields: Record<string, string>): Promise<string>;
  xrevrange(key: string, count: number): Promise<StreamEntry[]>;
  /** Entries from `start` to `end` (XRANGE syntax, "(" for exclusive), oldest first. */
  xrange(key: string, start: string, end: string, count: number): Promise<StreamEntry[]>;
  get(key: string): Promise<string | null>;
  smembers(key: string): Promise<string[]>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  scard(key: string): Promise<number>;
  /** ZADD NX: adds the member unless it is there already. */
  zaddNx(key: string, score: number, member: string): Promise<void>;
  zrem(key: string, member: string): Promise<void>;
  xlen(key: string): Promise<number>;
  close(): Promise<void>;
}

/** Redis could not be reached (down, timed out, connection lost): the API answers 503, never 500. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** Turns the flat [field, value, field, value, …] replies of Redis into an object. */
export function pairsToObject(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}
