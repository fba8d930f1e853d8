import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import {
  pairsToObject,
  StoreUnavailableError,
  type LuaScript,
  type RedisArg,
  type RedisPort,
  type StreamEntry,
} from "./redis-port.js";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/** Script errors are bugs and stay what they are; everything else means Redis is out of reach. */
const isReplyError = (err: unknown): err is Error => err instanceof Error && err.name === "ReplyError";

function translate(err: unknown): never {
  if (isReplyError(err) && !/^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN)/.test(err.message)) throw err;
  const msg = err instanceof Error ? err.message : String(err);
  throw new StoreUnavailableError(`Redis unavailable: ${msg}`);
}

/** Runs a Redis call, turning connection trouble into StoreUnavailableError. */
export async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    return translate(err);
  }
}

export function createIoRedis(url: string): Redis {
  return new Redis(url, {
    // Fail fast while Redis is away (the API answers 503), keep reconnecting in the background.
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    // Commands issued in the same tick go out in one write: intake and activity appends add up under load.
    enableAutoPipelining: true,
  });
}

export class IoRedisAdapter implements RedisPort {
  private readonly shas = new Map<string, string>();

  constructor(readonly client: Redis) {
    // Connection errors surface per command; the client's own event would otherwise crash the process.
    client.on("error", () => {});
  }

  run<T>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> {
    let sha = this.shas.get(script.name);
    if (!sha) this.shas.set(script.name, (sha = sha1(script.source)));
    return guarded(async () => {
      try {
        return (await this.client.evalsha(sha, keys.length, ...keys, ...args)) as T;
      } catch (err) {
        if (!isReplyError(err) || !err.message.startsWith("NOSCRIPT")) throw err;
        return (await this.client.eval(script.source, keys.length, ...keys, ...args)) as T;
      }
    });
  }

  ping() {
    return guarded(async () => void (await this.client.ping()));
  }

  hgetall(key: string) {
    return guarded(() => this.client.hgetall(key));
  }

  hgetallMany(keys: string[]) {
    return guarded(async () => {
      if (keys.length === 0) return [];
      const pipe = this.client.pipeline();
      for (const key of keys) pipe.hgetall(key);
      const replies = (await pipe.exec()) ?? [];
      return replies.map(([err, value]) => {
        if (err) throw err;
        return value as Record<string, string>;
      });
    });
  }

  hget(key: string, field: string) {
    return guarded(() => this.client.hget(key, field));
  }

  hset(key: string, fields: Record<string, string>) {
    return guarded(async () => void (await this.client.hset(key, fields)));
  }

  zcard(key: string) {
    return guarded(() => this.client.zcard(key));
  }

  zrevrange(key: string, start: number, stop: number) {
    return guarded(() => this.client.zrevrange(key, start, stop));
  }

  xadd(key: string, maxLen: number, fields: Record<string, string>) {
    return guarded(async () => {
      const flat = Object.entries(fields).flat();
      return (await this.client.xadd(key, "MAXLEN", "~", maxLen, "*", ...flat)) as string;
    });
  }

  xrevrange(key: string, count: number): Promise<StreamEntry[]> {
    return guarded(async () => {
      const rows = await this.client.xrevrange(key, "+", "-", "COUNT", count);
      return rows.map(([id, flat]) => ({ id, fields: pairsToObject(flat) }));
    });
  }

  xrange(key: string, start: string, end: string, count: number): Promise<StreamEntry[]> {
    return guarded(async () => {
      const rows = await this.client.xrange(key, start, end, "COUNT", count);
      return rows.map(([id, flat]) => ({ id, fields: pairsToObject(flat) }));
    });
  }

  get(key: string) {
    return guarded(() => this.client.get(key));
  }

  smembers(key: string) {
    return guarded(() => this.client.smembers(key));
  }

  lrange(key: string, start: number, stop: number) {
    return guarded(() => this.client.lrange(key, start, stop));
  }

  scard(key: string) {
    return guarded(() => this.client.scard(key));
  }

  zaddNx(key: string, score: number, member: string) {
    return guarded(async () => void (await this.client.zadd(key, "NX", score, member)));
  }

  zrem(key: string, member: string) {
    return guarded(async () => void (await this.client.zrem(key, member)));
  }

  xlen(key: string) {
    return guarded(() => this.client.xlen(key));
  }

  async close() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
