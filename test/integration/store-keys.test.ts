import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { registerAgent } from "../../layers/core/services/agents.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { popNext } from "../../layers/core/services/queue.js";
import { routeTickets } from "../../layers/core/services/routing.js";
import { encodeId, makeKeys } from "../../layers/core/store/keys.js";
import { loadLua } from "../../layers/core/store/lua/load.js";
import { zsetPage } from "../../layers/core/store/lua/page.js";
import { popTicket } from "../../layers/core/store/lua/pop-ticket.js";
import { storeProcessed } from "../../layers/core/store/tickets.js";
import { dropPrefix, REDIS_URL, testConfig, testPrefix } from "../support/runtime.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function runtime(): LocalRuntime {
  const config = testConfig({ DEDUP_MIN_COUNT: "100000" });
  const rt = createLocalRuntime(config);
  cleanups.push(async () => {
    await rt.close();
    await dropPrefix(config.REDIS_PREFIX);
  });
  return rt;
}
function admin(): Redis {
  const r = new Redis(REDIS_URL);
  cleanups.push(async () => void (await r.quit()));
  return r;
}

export const HOSTILE = [":", "Z:tickets", "{ss}", "*", "..", "%", "%zz", "%3A", "a b", "x".repeat(10_000), "Ünïcödé", "😀", "t:1", "i:1", "incident:1"];

describe("key encoding", () => {
  it("encodes ids the same way in TypeScript and in Lua, for every byte and for unicode", async () => {
    const redis = admin();
    // The include exactly as the scripts get it.
    const include = readFileSync(new URL("../../layers/core/store/lua/includes/keys.lua", import.meta.url), "utf8");
    expect(loadLua("backlog-add").source).toContain(include);
    const lua = `${include}\nlocal out = {} for i = 1, #ARGV do out[i] = enc(ARGV[i]) end return out`;
    const ids = [...Array.from({ length: 256 }, (_, b) => Buffer.from([b]).toString("latin1")), ...HOSTILE];
    // Send the ids as UTF-8 text, as the adapters do; single bytes ≥ 0x80 become two-byte characters.
    const fromLua = (await redis.eval(lua, 0, ...ids)) as string[];
    expect(fromLua).toEqual(ids.map(encodeId));
  });

  it("is injective and confines an id to one key segment: no ':', braces or glob characters", () => {
    const encoded = HOSTILE.map(encodeId);
    expect(new Set(encoded).size).toBe(HOSTILE.length);
    for (const e of encoded) expect(e).toMatch(/^[A-Za-z0-9._%-]+$/);
    const keys = makeKeys("p:");
    // The agent whose id ends in ":tickets" is not anyone's ticket set.
    expect(keys.agent("Z:tickets")).not.toBe(keys.agentTickets("Z"));
    expect(keys.incident("X:tickets")).not.toBe(keys.incidentTickets("X"));
    expect(keys.ticket("T-1")).toBe("p:{ss}:ticket:T-1"); // ordinary ids stay readable
  });
});

describe("scripts validate before their first write", () => {
  it("pop-ticket fails on a WRONGTYPE key without taking the ticket off the queue", async () => {
    const rt = runtime();
    const redis = admin();
    await rt.redis.hset(rt.keys.ticket("t1"), { ticket_id: "t1", status: "processed", agent_id: "A", charged: "1" });
    await rt.redis.zaddNx(rt.keys.queue, 5, "t1");
    await redis.set(rt.keys.agentTickets("A"), "not a set");
    await expect(popTicket(rt.redis, rt.keys, { now: new Date(), ttlSeconds: 60 })).rejects.toThrow(/WRONGTYPE/);
    expect(await rt.redis.zcard(rt.keys.queue)).toBe(1);
    expect((await rt.redis.hgetall(rt.keys.ticket("t1"))).status).toBe("processed");
    expect(await redis.hget(rt.keys.counters, "tickets_popped_total")).toBeNull();
  });
});

describe("zset-page", () => {
  it("pages in ZREVRANGE order by (score, member), each member once, while members are added", async () => {
    const redis = admin();
    const prefix = testPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const rt = { redis: runtime().redis };
    const key = `${prefix}z`;
    // Many equal scores, and members whose byte order differs from any locale's collation.
    for (let i = 0; i < 300; i++) await redis.zadd(key, i % 7, `m${i}${i % 3 ? "é" : "E"}`);
    const expected = await redis.zrevrange(key, 0, -1);
    const seen: string[] = [];
    let after: { score: string; member: string } | undefined;
    for (let round = 0; ; round++) {
      const page = await zsetPage(rt.redis, key, 13, after);
      if (!page.length) break;
      seen.push(...page.map((p) => p.member));
      after = page[page.length - 1];
      // Members added meanwhile before the cursor are not seen; the rest are not shifted.
      await redis.zadd(key, 100, `new-${round}`);
    }
    expect(seen).toEqual(expected);
  });
});

describe("backlog", () => {
  it("holds exactly the waiting tickets when pops race with routing (no stale member)", async () => {
    const rt = runtime();
    const n = 300;
    const ids = Array.from({ length: n }, (_, i) => `b-${i}`);
    await acceptTickets(rt, ids.map((ticket_id) => ({ ticket_id, subject: "Question", body: "How do I export a report?" })));
    const scores = new Map<string, number>();
    for (const [i, id] of ids.entries()) {
      const fields = { category: "Technical", urgency_score: "0.5", model: "baseline", probabilities: "{}", processed_at: new Date().toISOString() };
      expect(await storeProcessed(rt.redis, rt.keys, id, 1000 - i, fields)).toBe("stored");
      scores.set(id, 1000 - i);
    }
    // No agent: every ticket routed goes to the backlog — unless it was popped first.
    const popped: string[] = [];
    const popper = (async () => {
      for (let i = 0; i < n / 2; i++) {
        popped.push((await popNext(rt)).ticket_id);
        if (i % 5 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all([routeTickets(rt, ids, scores), popper]);
    const backlog = (await rt.redis.zrevrange(rt.keys.backlog, 0, -1)).sort();
    const waiting = ids.filter((id) => !popped.includes(id)).map((id) => `t:${id}`).sort();
    expect(popped).toHaveLength(n / 2);
    expect(backlog).toEqual(waiting);
  });

  it("a hostile agent id cannot reach another agent's ticket set (Z:tickets vs Z)", async () => {
    const rt = runtime();
    const skill = { tech: 1, billing: 0, legal: 0 };
    await registerAgent(rt, { agent_id: "Z:tickets", skill_vector: skill, max_concurrent_tickets: 1 });
    await registerAgent(rt, { agent_id: "Z", skill_vector: skill, max_concurrent_tickets: 5 });
    expect((await rt.redis.hgetall(rt.keys.agent("Z:tickets"))).agent_id).toBe("Z:tickets");
    expect(await rt.redis.smembers(rt.keys.agentTickets("Z"))).toEqual([]);
  });
});
