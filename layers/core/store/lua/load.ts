import { readFileSync } from "node:fs";
import type { LuaScript } from "../redis-port.js";

const read = (file: string) => readFileSync(new URL(`./${file}`, import.meta.url), "utf8");

/**
 * Reads `name.lua` beside this file once, at module load. A line `-- @include "x"` is replaced by
 * `includes/x.lua`, so helpers shared by several scripts are written once (Redis has no include).
 */
export function loadLua(name: string): LuaScript {
  const source = read(`${name}.lua`).replace(/^-- @include "([\w-]+)"$/gm, (_, inc: string) => read(`includes/${inc}.lua`));
  return { name, source };
}
