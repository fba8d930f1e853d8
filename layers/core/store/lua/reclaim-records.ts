import type { Keys } from "../keys.js";
import { pairsToObject, type RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("reclaim-records");

export interface ReclaimedRecord {
  id: string;
  fields: Record<string, string>;
  deliveries: number;
}

export async function reclaimRecords(
  redis: RedisPort,
  keys: Keys,
  opts: { group: string; consumer: string; minIdleMs: number; count: number; maxReceives: number },
): Promise<ReclaimedRecord[]> {
  const rows = await redis.run<[string, string[], number][]>(script, [keys.intake, keys.intakeDlq], [
    opts.group,
    opts.consumer,
    opts.minIdleMs,
    opts.count,
    opts.maxReceives,
  ]);
  return rows.map(([id, flat, deliveries]) => ({ id, fields: pairsToObject(flat), deliveries: Number(deliveries) }));
}
