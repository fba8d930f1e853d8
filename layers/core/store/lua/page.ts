import { pairsToObject, type RedisPort, type StreamEntry } from "../redis-port.js";
import { loadLua } from "./load.js";

const zsetScript = loadLua("zset-page");
const streamScript = loadLua("stream-page");

/** A position in a sorted set: the last member a reader saw and its score, exactly as Redis printed it. */
export interface ZPosition {
  score: string;
  member: string;
}

/** One page of a sorted set in ZREVRANGE order, strictly after `after` (zset-page.lua). */
export async function zsetPage(redis: RedisPort, key: string, count: number, after?: ZPosition): Promise<ZPosition[]> {
  const flat = await redis.run<string[]>(zsetScript, [key], [count, after?.score ?? "", after?.member ?? ""]);
  const out: ZPosition[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: String(flat[i]), score: String(flat[i + 1]) });
  return out;
}

/** One page of a stream, newest first, strictly before entry `before` (stream-page.lua). */
export async function streamPage(redis: RedisPort, key: string, count: number, before?: string): Promise<StreamEntry[]> {
  const rows = await redis.run<[string, string[]][]>(streamScript, [key], [count, before ?? ""]);
  return rows.map(([id, flat]) => ({ id: String(id), fields: pairsToObject(flat) }));
}
