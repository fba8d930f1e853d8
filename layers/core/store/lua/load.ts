import { readFileSync } from "node:fs";
import type { LuaScript } from "../redis-port.js";

/** Reads `name.lua` beside this file once, at module load. */
export function loadLua(name: string): LuaScript {
  return { name, source: readFileSync(new URL(`./${name}.lua`, import.meta.url), "utf8") };
}
