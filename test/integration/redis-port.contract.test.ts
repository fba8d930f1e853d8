import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createIoRedis, IoRedisAdapter } from "../../layers/core/store/ioredis-adapter.js";
import { makeKeys, type Keys } from "../../layers/core/store/keys.js";
import { breakerPermit, breakerReport } from "../../layers/core/store/lua/breaker.js";
import { popTicket } from "../../layers/core/store/lua/pop-ticket.js";
import { reserveTickets, type Reservation } from "../../layers/core/store/lua/reserve-tickets.js";
import { windowAppend } from "../../layers/core/store/lua/window-append.js";
import { StoreUnavailableError, type LuaScript, type RedisPort } from "../../layers/core/store/redis-port.js";
import { UpstashAdapter } from "../../layers/core/store/upstash-adapter.js";
import { dropPrefix, REDIS_URL, testPrefix } from "../support/runtime.js";
import { startUpstashStandin } from "../../tools/aws-local/upstash-standin.js";

/** Seeds what RedisPort cannot write (strings, sets, lists) and flushes scripts; never the system under test. */
const admin = new Redis(REDIS_URL);
afterAll(() => admin.quit());

interface Backend {
  name: string;
  open(): Promise<{ redis: RedisPort; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "IoRedisAdapter (TCP)",
    async open() {
      const redis = new IoRedisAdapter(createIoRedis(REDIS_URL));
      return { redis, close: () => redis.close() };
    },
  },
  {
    name: "UpstashAdapter (REST stand-in)",
    async open() {
      const standin = await startUpstashStandin(REDIS_URL);
      const redis = new UpstashAdapter({ url: standin.url, token: standin.token });
      return {
        redis,
        async close() {
          await redis.close();
          await standin.close();
        },
      };
    },
  },
];

// Values a deserializing or mis-encoding client would change: numbers, JSON, "OK" (sent unencoded by
// Upstash in base64 mode), the empty string, non-ASCII.
const TRICKY = {
  num: "123",
  float: "1.50",
  json: '{"a":[1,"x"]}',
  bool: "true",
  nul: "null",
  ok: "OK",
  empty: "",
  text: "héllo ✓ 😀 Ünïcödé",
  spaces: "  padded  ",
};

const script = (name: string, source: string): LuaScript => ({ name, source });

describe.each(backends)("RedisPort contract: $name", ({ open }) => {
  let redis: RedisPort;
  let closeBackend: () => Promise<void>;
  let prefix: string;
  let keys: Keys;
  const k = (name: string) => `${prefix}${name}`;

  beforeAll(async () => {
    ({ redis, close: closeBackend } = await open());
  });
  afterAll(() => closeBackend());
  beforeEach(() => {
    prefix = testPrefix();
    keys = makeKeys(prefix);
  });
  afterEach(() => dropPrefix(prefix));

  it("ping resolves", async () => {
    await expect(redis.ping()).resolves.toBeUndefined();
  });

  describe("hashes", () => {
    it("hgetall of a missing key is {}", async () => {
      expect(await redis.hgetall(k("none"))).toStrictEqual({});
    });

    it("hset then hgetall/hget give back exactly the strings stored", async () => {
      await redis.hset(k("h"), TRICKY);
      expect(await redis.hgetall(k("h"))).toStrictEqual(TRICKY);
      expect(await redis.hget(k("h"), "num")).toBe("123");
      expect(await redis.hget(k("h"), "json")).toBe(TRICKY.json);
      expect(await redis.hget(k("h"), "ok")).toBe("OK");
      expect(await redis.hget(k("h"), "text")).toBe(TRICKY.text);
      expect(await redis.hget(k("h"), "missing")).toBeNull();
      expect(await redis.hget(k("none"), "num")).toBeNull();
    });

    it("hset merges into an existing hash, overwriting only the fields given", async () => {
      await redis.hset(k("h"), { a: "1", b: "2" });
      await redis.hset(k("h"), { b: "20", c: "30" });
      expect(await redis.hgetall(k("h"))).toStrictEqual({ a: "1", b: "20", c: "30" });
    });

    it("hgetallMany keeps order and answers {} for a missing key in the middle", async () => {
      await redis.hset(k("h1"), { n: "1", text: TRICKY.text });
      await redis.hset(k("h3"), { n: "3" });
      expect(await redis.hgetallMany([k("h1"), k("h2"), k("h3")])).toStrictEqual([{ n: "1", text: TRICKY.text }, {}, { n: "3" }]);
      expect(await redis.hgetallMany([])).toStrictEqual([]);
    });
  });

  describe("sorted sets", () => {
    it("zaddNx adds once, zrevrange reads highest first (inclusive bounds), zrem removes", async () => {
      const z = k("z");
      expect(await redis.zcard(z)).toBe(0);
      expect(await redis.zrevrange(z, 0, -1)).toStrictEqual([]);
      await redis.zaddNx(z, 1, "a");
      await redis.zaddNx(z, 2, "b");
      await redis.zaddNx(z, 3, "c");
      await redis.zaddNx(z, 10, "a"); // NX: "a" keeps score 1
      expect(await redis.zcard(z)).toBe(3);
      expect(await redis.zrevrange(z, 0, -1)).toStrictEqual(["c", "b", "a"]);
      expect(await redis.zrevrange(z, 0, 0)).toStrictEqual(["c"]);
      expect(await redis.zrevrange(z, 1, 2)).toStrictEqual(["b", "a"]);
      await redis.zrem(z, "b");
      await redis.zrem(z, "not-there");
      expect(await redis.zcard(z)).toBe(2);
      expect(await redis.zrevrange(z, 0, -1)).toStrictEqual(["c", "a"]);
    });
  });

  describe("streams", () => {
    it("xadd returns ids; xrevrange / xrange give {id, fields} in the right order; '(' is exclusive", async () => {
      const s = k("s");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await redis.xadd(s, 1000, { i: String(i), text: TRICKY.text, json: TRICKY.json }));
      for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
      expect(await redis.xlen(s)).toBe(5);

      const newest = await redis.xrevrange(s, 2);
      expect(newest).toStrictEqual([
        { id: ids[4], fields: { i: "4", text: TRICKY.text, json: TRICKY.json } },
        { id: ids[3], fields: { i: "3", text: TRICKY.text, json: TRICKY.json } },
      ]);

      const oldest = await redis.xrange(s, "-", "+", 2);
      expect(oldest.map((e) => e.id)).toStrictEqual(ids.slice(0, 2));
      expect(oldest[0]!.fields).toStrictEqual({ i: "0", text: TRICKY.text, json: TRICKY.json });

      const after = await redis.xrange(s, `(${ids[1]}`, "+", 10);
      expect(after.map((e) => e.fields.i)).toStrictEqual(["2", "3", "4"]);
      expect(await redis.xrange(s, `(${ids[4]}`, "+", 10)).toStrictEqual([]);
    });

    it("reads of a missing stream are empty", async () => {
      expect(await redis.xlen(k("none"))).toBe(0);
      expect(await redis.xrevrange(k("none"), 5)).toStrictEqual([]);
      expect(await redis.xrange(k("none"), "-", "+", 5)).toStrictEqual([]);
    });

    it("xadd trims to about maxLen (MAXLEN ~: whole macro nodes go)", async () => {
      const s = k("long");
      for (let i = 0; i < 250; i++) await redis.xadd(s, 10, { i: String(i) });
      const len = await redis.xlen(s);
      expect(len).toBeGreaterThanOrEqual(10);
      expect(len).toBeLessThan(250);
      const [last] = await redis.xrevrange(s, 1);
      expect(last!.fields).toStrictEqual({ i: "249" });
    });
  });

  describe("strings, sets, lists", () => {
    it("get gives the raw string, or null", async () => {
      await admin.set(k("str"), "42");
      await admin.set(k("json"), TRICKY.json);
      expect(await redis.get(k("str"))).toBe("42");
      expect(await redis.get(k("json"))).toBe(TRICKY.json);
      expect(await redis.get(k("none"))).toBeNull();
    });

    it("smembers / scard", async () => {
      await admin.sadd(k("set"), "x", "1", TRICKY.text);
      expect((await redis.smembers(k("set"))).sort()).toStrictEqual(["1", TRICKY.text, "x"].sort());
      expect(await redis.scard(k("set"))).toBe(3);
      expect(await redis.smembers(k("none"))).toStrictEqual([]);
      expect(await redis.scard(k("none"))).toBe(0);
    });

    it("lrange with inclusive and negative bounds", async () => {
      await admin.rpush(k("list"), "a", "2", "c");
      expect(await redis.lrange(k("list"), 0, -1)).toStrictEqual(["a", "2", "c"]);
      expect(await redis.lrange(k("list"), 1, 1)).toStrictEqual(["2"]);
      expect(await redis.lrange(k("list"), -2, -1)).toStrictEqual(["2", "c"]);
      expect(await redis.lrange(k("none"), 0, -1)).toStrictEqual([]);
    });
  });

  describe("errors", () => {
    it("a wrong-type command is an error, not StoreUnavailableError", async () => {
      await admin.set(k("str"), "x");
      const err = await redis.hgetall(k("str")).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/^WRONGTYPE/);
      await expect(redis.hgetallMany([k("none"), k("str")])).rejects.toThrow(/WRONGTYPE/);
    });

    it("a failing script is an error, not StoreUnavailableError, and its message is Redis's", async () => {
      const bad = script("contract-bad", "return redis.call('NO_SUCH_COMMAND')");
      const err = await redis.run(bad, [], []).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/Unknown Redis command/);
      expect((err as Error).message).not.toContain("command was"); // no command dump (script, ticket text) in logs
    });
  });

  describe("Lua scripts through run", () => {
    it("replies keep their shape: nested arrays, integers as numbers, false as null, strings as strings", async () => {
      const shape = script("contract-shape", "return {1, 'a', {2, 'b', {'c', 0}}, false, 'OK', '42', KEYS[1], ARGV[1], ARGV[2]}");
      const reply = await redis.run(shape, [k("key")], [7, TRICKY.text]);
      expect(reply).toStrictEqual([1, "a", [2, "b", ["c", 0]], null, "OK", "42", k("key"), "7", TRICKY.text]);
      expect(await redis.run(script("contract-int", "return 7"), [], [])).toBe(7);
      expect(await redis.run(script("contract-nil", "return false"), [], [])).toBeNull();
      expect(await redis.run(script("contract-empty", "return {}"), [], [])).toStrictEqual([]);
    });

    it("reserveTickets: new, replay (first job id answered again), conflict (nothing written)", async () => {
      const now = new Date("2030-01-01T00:00:00.000Z");
      const opts = { ttlSeconds: 600, now, resendAfterMs: 60_000, floodThreshold: 10 };
      const item = (over: Partial<Reservation> = {}): Reservation => ({
        ticket_id: "t1",
        payload_hash: "hash-1",
        job_id: "job-1",
        subject: "Checkout down",
        body: TRICKY.text,
        customer_id: null,
        bands: ["0:a.b.c", "1:d.e.f"],
        ...over,
      });

      expect(await reserveTickets(redis, keys, [item()], opts)).toStrictEqual({
        ok: true,
        items: [{ job_id: "job-1", send: true, queued: false, lane: "main" }],
      });
      const stored = await redis.hgetall(keys.ticket("t1"));
      expect(stored).toMatchObject({ ticket_id: "t1", status: "accepted", seq: "1", body: TRICKY.text, job_id: "job-1" });

      // Same payload again, within resend-after: the first job id, nothing to send.
      expect(await reserveTickets(redis, keys, [item({ job_id: "job-2" })], opts)).toStrictEqual({
        ok: true,
        items: [{ job_id: "job-1", send: false, queued: false, lane: "main" }],
      });

      // A batch whose second item conflicts: all or nothing, t2 is not written.
      const conflict = await reserveTickets(redis, keys, [item({ ticket_id: "t2" }), item({ payload_hash: "other" })], opts);
      expect(conflict).toStrictEqual({ ok: false, conflictIndex: 1 });
      expect(await redis.hgetall(keys.ticket("t2"))).toStrictEqual({});

      // With intake streams the script appends too (send 2 → queued).
      const streams = { main: keys.intake, flood: keys.intakeFlood };
      const queued = await reserveTickets(redis, keys, [item({ ticket_id: "t3", job_id: "job-3" })], { ...opts, intakeStreams: streams });
      expect(queued).toStrictEqual({ ok: true, items: [{ job_id: "job-3", send: false, queued: true, lane: "main" }] });
      const [entry] = await redis.xrange(keys.intake, "-", "+", 10);
      expect(JSON.parse(entry!.fields.body!)).toStrictEqual({ ticket_id: "t3", job_id: "job-3" });
    });

    it("reserveTickets: a ticket sharing a band with more than the threshold goes to the flood lane, and stays there", async () => {
      const now = new Date("2030-01-01T00:00:30.000Z");
      const streams = { main: keys.intake, flood: keys.intakeFlood };
      const opts = { ttlSeconds: 600, now, resendAfterMs: 0, floodThreshold: 3, intakeStreams: streams };
      const item = (i: number, bands: string[]): Reservation => ({
        ticket_id: `f${i}`, payload_hash: `h${i}`, job_id: `job-f${i}`, subject: "s", body: "b", customer_id: null, bands,
      });
      // Three share band "0:x" (the threshold), the fourth is one more; "1:y"… bands are each ticket's own.
      const reply = await reserveTickets(redis, keys, [0, 1, 2, 3].map((i) => item(i, ["0:x", `1:y${i}`])), opts);
      expect(reply.ok && reply.items.map((it) => it.lane)).toStrictEqual(["main", "main", "main", "flood"]);
      expect((await redis.xrange(keys.intakeFlood, "-", "+", 10)).map((e) => JSON.parse(e.fields.body!).ticket_id)).toStrictEqual(["f3"]);
      expect(await redis.hget(keys.ticket("f3"), "lane")).toBe("flood");
      // The next minute still counts the last one: a fifth a minute later is flood too; no bands, never.
      const later = await reserveTickets(redis, keys, [item(4, ["0:x"]), item(5, [])], { ...opts, now: new Date(now.getTime() + 60_000) });
      expect(later.ok && later.items.map((it) => it.lane)).toStrictEqual(["flood", "main"]);
      // Lanes off (threshold 0): everything is main, and no band is counted.
      const off = await reserveTickets(redis, keys, [item(6, ["0:x"])], { ...opts, floodThreshold: 0 });
      expect(off.ok && off.items[0]!.lane).toBe("main");
      // A resend of a flood ticket goes back to the flood lane (where its first send went).
      await redis.hset(keys.ticket("f3"), { queued: "0" });
      const resend = await reserveTickets(redis, keys, [item(3, ["9:other"])], { ...opts, now: new Date(now.getTime() + 120_000) });
      expect(resend.ok && resend.items[0]).toMatchObject({ lane: "flood", queued: true });
      expect(await redis.xlen(keys.intakeFlood)).toBe(3);
    });

    it("breakerPermit / breakerReport: closed → open → (cooldown) half-open probe → closed", async () => {
      const cfg = { cooldownMs: 1000, maxProbes: 1, staleMs: 5000 };
      const first = await breakerPermit(redis, keys, { nowMs: 1000, ...cfg });
      expect(first).toStrictEqual({ permission: "call", epoch: 0, transition: { from: "closed", to: "closed", openedAtMs: 0 } });

      expect(await breakerReport(redis, keys, { nowMs: 1000, epoch: 0, permission: "call", healthy: false, maxProbes: 1 })).toStrictEqual({
        from: "closed",
        to: "open",
        openedAtMs: 1000,
      });
      expect((await breakerPermit(redis, keys, { nowMs: 1500, ...cfg })).permission).toBe("reject");

      const probe = await breakerPermit(redis, keys, { nowMs: 2000, ...cfg });
      expect(probe).toStrictEqual({ permission: "probe", epoch: 2, transition: { from: "open", to: "half_open", openedAtMs: 1000 } });
      expect(await breakerReport(redis, keys, { nowMs: 2100, epoch: 2, permission: "probe", healthy: true, maxProbes: 1 })).toStrictEqual({
        from: "half_open",
        to: "closed",
        openedAtMs: 1000,
      });
      expect((await redis.hgetall(keys.breaker)).state).toBe("closed");
    });

    it("popTicket: null on an empty queue, the popped ticket's fields otherwise", async () => {
      const opts = { now: new Date("2030-01-01T00:00:00.000Z"), ttlSeconds: 600 };
      expect(await popTicket(redis, keys, opts)).toBeNull();

      await redis.hset(keys.ticket("t9"), { ticket_id: "t9", subject: TRICKY.text, status: "processed" });
      await redis.zaddNx(keys.queue, 5, "t9");
      expect(await popTicket(redis, keys, opts)).toStrictEqual({
        ticket_id: "t9",
        subject: TRICKY.text,
        status: "popped",
        popped_at: "2030-01-01T00:00:00.000Z",
      });
      expect(await popTicket(redis, keys, opts)).toBeNull();
      expect(await redis.hget(keys.counters, "tickets_popped_total")).toBe("1");
    });

    it("windowAppend returns the last entry id, and the entries read back through xrange", async () => {
      const last = await windowAppend(redis, keys, 60_000, [
        { ticket_id: "a", space: "semantic", vector: "AAAAAA==" },
        { ticket_id: "b", space: "lexical", vector: "AACAPw==" },
      ]);
      expect(last).toMatch(/^\d+-\d+$/);
      const entries = await redis.xrange(keys.dedupLog, "-", "+", 10);
      expect(entries.map((e) => e.fields)).toStrictEqual([
        { t: "a", s: "semantic", v: "AAAAAA==" },
        { t: "b", s: "lexical", v: "AACAPw==" },
      ]);
      expect(entries[1]!.id).toBe(last);
    });

    it("a script still runs after SCRIPT FLUSH (EVALSHA → NOSCRIPT → EVAL)", async () => {
      const source = `return 'flushed-${randomUUID()}'`; // unique, so no other test can have loaded it
      const s = script(`contract-flush-${randomUUID()}`, source);
      const sha = createHash("sha1").update(source).digest("hex");
      const expected = source.slice("return '".length, -1);

      expect(await redis.run(s, [], [])).toBe(expected); // first call: not cached in Redis yet
      expect(await admin.script("EXISTS", sha)).toStrictEqual([1]);
      await admin.script("FLUSH");
      expect(await admin.script("EXISTS", sha)).toStrictEqual([0]);
      expect(await redis.run(s, [], [])).toBe(expected);
      expect(await admin.script("EXISTS", sha)).toStrictEqual([1]); // EVAL cached it again

      // A real wrapper, after a flush too.
      await admin.script("FLUSH");
      expect((await breakerPermit(redis, keys, { nowMs: 1, cooldownMs: 1, maxProbes: 1, staleMs: 1 })).permission).toBe("call");
    });
  });
});

describe("UpstashAdapter when Upstash is out of reach", () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const bad = script("contract-unreachable", "return 1");

  it("a closed port gives StoreUnavailableError naming the cause", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r)); // nothing listens there now
    const redis = new UpstashAdapter({ url: `http://127.0.0.1:${port}`, token: "t" });

    const err = await redis.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    await expect(redis.run(bad, [], [])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(redis.hgetallMany(["a", "b"])).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("a gateway error page (non-JSON 5xx) gives StoreUnavailableError", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503, { "content-type": "text/html" });
      res.end("<html><body>503 Service Temporarily Unavailable</body></html>");
    });
    const redis = new UpstashAdapter({ url, token: "t" });
    await expect(redis.hget("k", "f")).rejects.toThrow(StoreUnavailableError);
    await expect(redis.run(bad, [], [])).rejects.toThrow(/Upstash unavailable: .*503/);
  });

  it("a request that never answers times out as StoreUnavailableError", async () => {
    const url = await serve(() => {}); // accepts, never responds
    const redis = new UpstashAdapter({ url, token: "t", timeoutMs: 200 });
    const started = Date.now();
    await expect(redis.get("k")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("a wrong token is a configuration error, not an outage", async () => {
    const standin = await startUpstashStandin(REDIS_URL);
    try {
      const redis = new UpstashAdapter({ url: standin.url, token: "wrong" });
      const err = await redis.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/Unauthorized/);
    } finally {
      await standin.close();
    }
  });
});

describe("the Upstash stand-in speaks the documented REST protocol", () => {
  it("401 without the token; base64 on request (nested strings too, 'OK' left as is); 400 {error}", async () => {
    const standin = await startUpstashStandin(REDIS_URL);
    const key = `${testPrefix()}standin`;
    try {
      const post = async (body: unknown, headers: Record<string, string> = {}, path = "") => {
        const res = await fetch(`${standin.url}/${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${standin.token}`, ...headers },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      expect((await post(["PING"], { authorization: "Bearer nope" })).status).toBe(401);
      expect(await post(["SET", key, "héllo"])).toStrictEqual({ status: 200, body: { result: "OK" } });
      expect(await post(["GET", key])).toStrictEqual({ status: 200, body: { result: "héllo" } });
      const b64 = (s: string) => Buffer.from(s).toString("base64");
      expect(await post(["EVAL", "return {1, ARGV[1], {'x'}, false}", 0, "héllo"], { "Upstash-Encoding": "base64" })).toStrictEqual({
        status: 200,
        body: { result: [1, b64("héllo"), [b64("x")], null] },
      });
      expect(await post(["SET", key, "v"], { "Upstash-Encoding": "base64" })).toStrictEqual({ status: 200, body: { result: "OK" } });
      expect(await post(["HGET", key, "f"])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^WRONGTYPE/) } });
      expect(await post([["GET", key], ["HGET", key, "f"]], {}, "pipeline")).toMatchObject({
        status: 200,
        body: [{ result: "v" }, { error: expect.stringMatching(/^WRONGTYPE/) }],
      });
      expect(await post([["DEL", key], ["INCR", key], ["GET", key]], {}, "multi-exec")).toStrictEqual({
        status: 200,
        body: [{ result: 1 }, { result: 1 }, { result: "1" }],
      });
    } finally {
      await admin.del(key);
      await standin.close();
    }
  });
});
