import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("backlog-add");

/** Adds waiting work to the backlog (backlog-add.lua); false when it is no longer waiting (nothing written). */
export async function backlogAdd(
  redis: RedisPort,
  backlogKey: string,
  recordKey: string,
  kind: "ticket" | "incident",
  id: string,
  score: number,
): Promise<boolean> {
  return (await redis.run<number>(script, [backlogKey, recordKey], [kind, id, score])) === 1;
}
