import { createHash } from "node:crypto";
import { errors, Redis } from "@upstash/redis";
import {
  pairsToObject,
  StoreUnavailableError,
  type LuaScript,
  type RedisArg,
  type RedisPort,
  type StreamEntry,
} from "./redis-port.js";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

export interface UpstashConfig {
  url: string;
  token: string;
  /** Budget for one HTTP round trip, retry included (default 2 s, as the ioredis adapter's command timeout). */
  timeoutMs?: number;
}

export function createUpstashRedis({ url, token, timeoutMs = 2_000 }: UpstashConfig): Redis {
  return new Redis({
    url,
    token,
    // We store raw strings and our own JSON: with deserialization on, "123" would come back as 123 and a
    // JSON field as an object. Off, every command answers Redis's raw reply (HGETALL a flat array, …).
    automaticDeserialization: false,
    // One HTTP request per call: a script's NOSCRIPT or a command's error then belongs to that call alone.
    // The batch that matters (hgetallMany) is an explicit pipeline.
    enableAutoPipelining: false,
    // Upstash's default: strings travel base64-encoded, so bytes that are not valid JSON text cannot break
    // the reply; the client decodes them (nested arrays included).
    responseEncoding: "base64",
    // A function, so each request gets a fresh timer. (A plain AbortSignal, once aborted, makes the client
    // answer every later call with the result "Aborted" instead of failing.)
    signal: () => AbortSignal.timeout(timeoutMs),
    // One quick retry: a Lambda thawed after a pause often finds its keep-alive socket closed. Not more,
    // since a request that failed mid-flight may have run, and the API should answer 503 quickly.
    retry: { retries: 1, backoff: () => 50 },
  });
}

/** Redis states that pass: like connection trouble, they mean "try again later", not a bug. */
const TRANSIENT = /(^|failed: )(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN)\b/;

/**
 * An UpstashError carrying JSON `{error}` is Redis's own answer to the command (Upstash sends those as
 * HTTP 400, or 200 with `error`): a script bug, a wrong type, a missing script. Those stay errors. Anything
 * else — fetch failing (refused, reset, DNS), the timeout, a non-JSON body (a gateway's 502/503/504 page) —
 * means Upstash is out of reach.
 *
 * Limit: the client drops the HTTP status, so a 5xx whose body is JSON `{error}` reads like a 400 here.
 */
function translate(err: unknown): never {
  if (err instanceof errors.UpstashError && !(err instanceof errors.UpstashJSONParseError)) {
    // The client appends ", command was: [...]" — the whole command, script source and ticket text included;
    // that does not belong in logs.
    const message = err.message.split(", command was: ")[0]!;
    if (!TRANSIENT.test(message)) throw new errors.UpstashError(message);
  }
  throw new StoreUnavailableError(`Upstash unavailable: ${describe(err)}`);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in its cause.
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
  return `${err.message}${cause}`;
}

async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    return translate(err);
  }
}

const isNoScript = (err: unknown) => err instanceof errors.UpstashError && err.message.startsWith("NOSCRIPT");

type RawEntry = [id: string, flat: string[]];
const toEntries = (rows: RawEntry[]): StreamEntry[] => rows.map(([id, flat]) => ({ id, fields: pairsToObject(flat) }));

/**
 * RedisPort over Upstash's REST API (AWS Lambda). Replies have the same shapes as IoRedisAdapter's; the
 * contract test (test/integration/redis-port.contract.test.ts) runs both against one suite.
 */
export class UpstashAdapter implements RedisPort {
  readonly redis: Redis;
  private readonly shas = new Map<string, string>();

  /** From url and token, or a ready client (built by createUpstashRedis, or at least without deserialization). */
  constructor(source: UpstashConfig | Redis) {
    this.redis = source instanceof Redis ? source : createUpstashRedis(source);
  }

  run<T>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> {
    let sha = this.shas.get(script.name);
    if (!sha) this.shas.set(script.name, (sha = sha1(script.source)));
    return guarded(async () => {
      try {
        return await this.redis.evalsha<RedisArg[], T>(sha, keys, args);
      } catch (err) {
        // Scripts are never loaded up front: the first call (after a deploy or SCRIPT FLUSH) sends the source.
        if (!isNoScript(err)) throw err;
        return await this.redis.eval<RedisArg[], T>(script.source, keys, args);
      }
    });
  }

  ping() {
    return guarded(async () => void (await this.redis.ping()));
  }

  // HGETALL, XRANGE and XREVRANGE go through `exec`: the typed methods are declared with the deserialized
  // shapes (objects), which automaticDeserialization: false does not produce.
  hgetall(key: string) {
    return guarded(async () => pairsToObject(await this.redis.exec<string[]>(["HGETALL", key])));
  }

  hgetallMany(keys: string[]) {
    return guarded(async () => {
      if (keys.length === 0) return []; // the client refuses an empty pipeline
      const pipe = this.redis.pipeline();
      for (const key of keys) pipe.hgetall(key);
      // exec throws on the first failed command; each reply is the raw flat array ([] for a missing key).
      const replies: unknown[] = await pipe.exec();
      return replies.map(pairsToObject);
    });
  }

  hget(key: string, field: string) {
    return guarded(() => this.redis.hget<string>(key, field));
  }

  hset(key: string, fields: Record<string, string>) {
    return guarded(async () => void (await this.redis.hset(key, fields)));
  }

  zcard(key: string) {
    return guarded(() => this.redis.zcard(key));
  }

  zrevrange(key: string, start: number, stop: number) {
    return guarded(() => this.redis.zrange<string[]>(key, start, stop, { rev: true }));
  }

  xadd(key: string, maxLen: number, fields: Record<string, string>) {
    return guarded(() => this.redis.xadd(key, "*", fields, { trim: { type: "MAXLEN", comparison: "~", threshold: maxLen } }));
  }

  xrevrange(key: string, count: number): Promise<StreamEntry[]> {
    return guarded(async () => toEntries(await this.redis.exec<RawEntry[]>(["XREVRANGE", key, "+", "-", "COUNT", count])));
  }

  xrange(key: string, start: string, end: string, count: number): Promise<StreamEntry[]> {
    return guarded(async () => toEntries(await this.redis.exec<RawEntry[]>(["XRANGE", key, start, end, "COUNT", count])));
  }

  get(key: string) {
    return guarded(() => this.redis.get<string>(key));
  }

  smembers(key: string) {
    return guarded(() => this.redis.smembers<string[]>(key));
  }

  lrange(key: string, start: number, stop: number) {
    return guarded(() => this.redis.lrange<string>(key, start, stop));
  }

  scard(key: string) {
    return guarded(() => this.redis.scard(key));
  }

  zaddNx(key: string, score: number, member: string) {
    return guarded(async () => void (await this.redis.zadd(key, { nx: true }, { score, member })));
  }

  zrem(key: string, member: string) {
    return guarded(async () => void (await this.redis.zrem(key, member)));
  }

  xlen(key: string) {
    return guarded(() => this.redis.xlen(key));
  }

  /** Nothing to close: each call is a stateless HTTPS request. */
  async close() {}
}
