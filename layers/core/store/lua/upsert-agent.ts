import type { Keys } from "../keys.js";
import { pairsToObject, type RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("upsert-agent");

/** The agent's stored fields after the change, or null when patching an unknown agent. */
export async function upsertAgent(
  redis: RedisPort,
  keys: Keys,
  mode: "register" | "patch",
  agentId: string,
  fields: Record<string, string | number>,
  now: Date,
): Promise<Record<string, string> | null> {
  const flat = await redis.run<string[]>(script, [keys.agent(agentId), keys.agents], [
    mode,
    agentId,
    now.toISOString(),
    ...Object.entries(fields).flat(),
  ]);
  return flat.length ? pairsToObject(flat) : null;
}
