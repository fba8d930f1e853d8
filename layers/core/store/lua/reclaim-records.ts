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
  /** stream: one lane of the intake queue (keys.intake or keys.intakeFlood); both dead-letter to keys.intakeDlq. */
  opts: { stream: string; group: string; consumer: string; minIdleMs: number; count: number; maxReceives: number },
): Promise<ReclaimedRecord[]> {
  const rows = await redis.run<[string, string[], number][]>(script, [opts.stream, keys.intakeDlq], [
    opts.group,
    opts.consumer,
    opts.minIdleMs,
    opts.count,
    opts.maxReceives,
  ]);
  return rows.map(([id, flat, deliveries]) => ({ id, fields: pairsToObject(flat), deliveries: Number(deliveries) }));
}
