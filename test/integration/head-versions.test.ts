import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { Heads } from "../../layers/core/ml/heads.js";
import type { Runtime } from "../../layers/core/runtime.js";
import { ensureShippedVersion } from "../../layers/core/services/learning.js";
import {
  activateHeadsVersion,
  activeHeadsVersion,
  addHeadsVersion,
  headsWeights,
  listHeadsVersions,
  type NewVersion,
} from "../../layers/core/store/head-versions.js";
import { createIoRedis, IoRedisAdapter } from "../../layers/core/store/ioredis-adapter.js";
import { makeKeys } from "../../layers/core/store/keys.js";
import { loadLua } from "../../layers/core/store/lua/load.js";
import { ackRetrainJobs, claimRetrainJobs, renewRetrainJobs, requestRetrainJob } from "../../layers/core/store/retrain-jobs.js";
import { dropPrefix, REDIS_URL, testPrefix } from "../support/runtime.js";

// The heads versions' store and scripts against a real Redis, from several runtimes at once (each its own
// connection, as separate processes would be). Runtimes of stores only: no outbox consumer takes the events
// these tests read from the outbox.

type StoreRuntime = Runtime & { close(): Promise<void> };
function storeRuntime(redisPrefix: string): StoreRuntime {
  const config = loadConfig({ REDIS_URL, REDIS_PREFIX: redisPrefix });
  const redis = new IoRedisAdapter(createIoRedis(REDIS_URL));
  return {
    config,
    redis,
    keys: makeKeys(redisPrefix),
    logger: new Logger({ serviceName: "test", logLevel: "SILENT" }),
    bus: { publish: async () => {} },
    queue: { send: async () => {} },
    close: () => redis.close(),
  };
}

let prefix: string;
let rts: StoreRuntime[];
let direct: Redis;
let shipped: Heads;

beforeAll(async () => {
  prefix = testPrefix();
  rts = Array.from({ length: 4 }, () => storeRuntime(prefix));
  direct = new Redis(REDIS_URL);
  shipped = await Heads.load(join(rts[0]!.config.MODELS_DIR, "heads.json"));
});
afterAll(async () => {
  await Promise.all(rts.map((rt) => rt.close()));
  await direct.quit();
  await dropPrefix(prefix);
});

/** Every key under the prefix with its DUMP: what "nothing was written" compares. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, found] = await direct.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    for (const k of found) out.set(k, (await direct.dumpBuffer(k))?.toString("hex") ?? "");
    cursor = next;
  } while (cursor !== "0");
  return out;
}

const outboxEvents = async (type: string) =>
  (await direct.xrange(rts[0]!.keys.outbox, "-", "+"))
    .map(([, f]) => ({ type: f[f.indexOf("type") + 1], data: JSON.parse(f[f.indexOf("data") + 1]!) }))
    .filter((e) => e.type === type);

const candidate = (over: Partial<NewVersion> = {}): NewVersion => ({
  heads: JSON.stringify(shipped.file),
  metrics: { heldout: { category_accuracy: 0.93, category_macro_f1: 0.92, urgency_accuracy: 0.86, urgency_auc: 0.94 } },
  promote: true,
  reasons: [],
  corrections: 30,
  c: { english: { category: 1, urgency: 1 }, other: { category: 1, urgency: 1 } },
  basedOn: "v1",
  now: new Date(),
  ...over,
});

describe("heads versions", () => {
  it("registers the shipped heads as v1 once when several processes race, with their held-out figures", async () => {
    const registered = await Promise.all(rts.map((rt) => ensureShippedVersion(rt)));
    expect(registered.filter(Boolean)).toHaveLength(1);
    expect(await Promise.all(rts.map((rt) => ensureShippedVersion(rt)))).toEqual([false, false, false, false]);
    const [v1, ...rest] = await listHeadsVersions(rts[0]!, 100);
    expect(rest).toEqual([]);
    expect(v1).toMatchObject({ version: "v1", source: "shipped", promoted: true, corrections: 0, reasons: [], based_on: null });
    // MODEL_CARD.md: the shipped heads on the 418 shipped held-out tickets.
    expect(v1!.metrics.heldout.category_accuracy).toBeCloseTo(0.94, 2);
    expect(v1!.metrics.heldout.urgency_accuracy).toBeCloseTo(0.868, 2);
    expect(v1!.metrics.heldout.urgency_auc).toBeCloseTo(0.941, 2);
    expect(await activeHeadsVersion(rts[1]!)).toBe("v1");
    expect(JSON.parse((await headsWeights(rts[2]!, "v1"))!)).toEqual(shipped.file);
  });

  it("gives concurrent candidates distinct versions, and activates a promoted one only against the version it was compared with", async () => {
    const added = await Promise.all(rts.map((rt) => addHeadsVersion(rt, candidate())));
    expect(added.map((a) => a.version).sort()).toEqual(["v2", "v3", "v4", "v5"]);
    // The first stored replaced v1; the others were judged against v1, which was no longer active.
    const winners = added.filter((a) => a.promoted);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.previous).toBe("v1");
    for (const a of added.filter((x) => !x.promoted)) expect(a.reasons.join(" ")).toContain(`changed from v1 to ${winners[0]!.version}`);
    expect(await activeHeadsVersion(rts[0]!)).toBe(winners[0]!.version);

    const listed = await listHeadsVersions(rts[3]!, 100);
    expect(listed.map((v) => v.version)).toEqual(["v5", "v4", "v3", "v2", "v1"]);
    expect(listed.filter((v) => v.promoted).map((v) => v.version).sort()).toEqual([winners[0]!.version, "v1"].sort());
    expect(listed[0]).toMatchObject({ source: "retrained", corrections: 30, based_on: "v1", c: { english: { category: 1, urgency: 1 } } });

    const retrained = await outboxEvents("heads_retrained");
    expect(retrained.map((e) => e.data.version).sort()).toEqual(["v2", "v3", "v4", "v5"]);
    expect(retrained.every((e) => Array.isArray(e.data.reasons) && e.data.metrics.heldout.category_accuracy === 0.93)).toBe(true);
    expect((await outboxEvents("model_version_activated")).map((e) => e.data)).toEqual([
      expect.objectContaining({ version: winners[0]!.version, previous: "v1" }),
    ]);
  });

  it("stores a refused candidate without activating it", async () => {
    const before = await activeHeadsVersion(rts[0]!);
    const refused = await addHeadsVersion(rts[0]!, candidate({ promote: false, reasons: ["too few held-out corrections"], basedOn: before! }));
    expect(refused).toMatchObject({ version: "v6", promoted: false, reasons: ["too few held-out corrections"] });
    expect(await activeHeadsVersion(rts[0]!)).toBe(before);
  });

  it("serialises concurrent activations: one version ends active, each change announced once, in a chain", async () => {
    const start = await activeHeadsVersion(rts[0]!);
    const eventsBefore = (await outboxEvents("model_version_activated")).length;
    const targets = ["v2", "v3", "v4", "v6"];
    const replies = await Promise.all(targets.map((v, i) => activateHeadsVersion(rts[i]!, v, new Date()).then((r) => ({ v, ...r }))));
    const changed = replies.filter((r) => r.status === "activated");
    const events = (await outboxEvents("model_version_activated")).slice(eventsBefore).map((e) => e.data);
    expect(events).toHaveLength(changed.length);
    // Each event's previous is the version the event before it activated, starting from the one active before.
    let current = start;
    for (const e of events) {
      expect(e.previous).toBe(current);
      current = e.version;
    }
    expect(await activeHeadsVersion(rts[0]!)).toBe(current);
    // Activating the active version again changes nothing.
    expect(await activateHeadsVersion(rts[1]!, current!, new Date())).toEqual({ status: "unchanged", previous: current });
    expect(await outboxEvents("model_version_activated")).toHaveLength(eventsBefore + changed.length);
  });

  it("answers missing for an unknown or hostile id and writes nothing", async () => {
    const before = await snapshot();
    for (const id of ["v99", "", ":", "v1:weights", "{ss}", "..", "%76%31", "v2 ", "x".repeat(10_000), "😀", "heads:active"]) {
      expect(await activateHeadsVersion(rts[0]!, id, new Date())).toEqual({ status: "missing", previous: null });
      expect(await headsWeights(rts[0]!, id)).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses bad input before writing anything", async () => {
    const rt = rts[0]!;
    const add = loadLua("heads-add-version");
    const k = rt.keys;
    const keys = [k.headsSeq, k.headsVersions, k.headsActive, k.outbox];
    const good = [k.headsVersionPrefix, JSON.stringify({ encoder: "x" }), "{}", "retrained", new Date().toISOString(), "1", "[]", "3", "{}", "v1", "{}"];
    const bad: [number, string][] = [
      [2, "{not json"],
      [3, "[broken"],
      [4, "uploaded"],
      [6, "yes"],
      [7, '{"a":1'],
      [7, "[1,2]"],
      [8, "-1"],
      [8, "012"],
      [10, ""],
      [11, "nope"],
    ];
    const seq = (await direct.get(k.headsSeq))!;
    const before = await snapshot();
    for (const [at, value] of bad) {
      const args = [...good];
      args[at - 1] = value;
      await expect(rt.redis.run(add, keys, args), `ARGV[${at}] = ${value}`).rejects.toThrow();
    }
    // A key of the wrong type, or a counter that is not a number: refused too, the rest untouched.
    await direct.set(k.headsSeq, "abc");
    const withBadSeq = await snapshot();
    await expect(rt.redis.run(add, keys, good)).rejects.toThrow(/not a number/);
    expect(await snapshot()).toEqual(withBadSeq);
    await direct.set(k.headsSeq, seq);
    expect(await snapshot()).toEqual(before);
    await expect(rt.redis.run(loadLua("heads-register-shipped"), [k.headsVersions, k.headsActive], [k.headsVersionPrefix, "{x", "{}", "now"])).resolves.toBe(0);

    const otherPrefix = testPrefix();
    const other = storeRuntime(otherPrefix);
    try {
      const ok = [other.keys.headsVersionPrefix, JSON.stringify(shipped.file), "{}", new Date().toISOString()];
      const register = loadLua("heads-register-shipped");
      const rkeys = [other.keys.headsVersions, other.keys.headsActive];
      for (const [at, value] of [[2, "{x"], [3, "nope"], [4, ""]] as const) {
        const args = [...ok];
        args[at - 1] = value;
        await expect(other.redis.run(register, rkeys, args)).rejects.toThrow();
      }
      await direct.set(other.keys.headsVersions, "not a zset");
      await expect(other.redis.run(register, rkeys, ok)).rejects.toThrow(/WRONGTYPE/);
      const keys = await direct.keys(`${otherPrefix}*`);
      expect(keys).toEqual([other.keys.headsVersions]);
    } finally {
      await other.close();
      await dropPrefix(otherPrefix);
    }
  });
});

describe("retrain jobs", () => {
  const opts = (consumer: string, timeoutMs = 60_000) => ({ consumer, timeoutMs, maxDeliveries: 2 });
  const job = (id: string) => ({ job_id: id, reason: "manual" as const, requested_at: new Date().toISOString() });

  it("hands every waiting job to one consumer, and none to others while it holds them", async () => {
    for (const id of ["j1", "j2", "j3"]) await requestRetrainJob(rts[0]!, job(id));
    const claims = await Promise.all(rts.map((rt, i) => claimRetrainJobs(rt, opts(`c${i}`))));
    const winners = claims.filter((c) => c.length > 0);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.map((j) => [j.job_id, j.reason, j.deliveries])).toEqual([["j1", "manual", 1], ["j2", "manual", 1], ["j3", "manual", 1]]);
    const holder = `c${claims.indexOf(winners[0]!)}`;
    // A job queued meanwhile waits: one retrain at a time.
    await requestRetrainJob(rts[0]!, job("j4"));
    expect(await claimRetrainJobs(rts[1]!, opts("late"))).toEqual([]);
    expect(await renewRetrainJobs(rts[0]!, holder, winners[0]!)).toBe(3);
    expect(await renewRetrainJobs(rts[0]!, "late", winners[0]!)).toBe(0);
    expect(await ackRetrainJobs(rts[0]!, winners[0]!)).toBe(3);
    const next = await claimRetrainJobs(rts[2]!, opts("late"));
    expect(next.map((j) => j.job_id)).toEqual(["j4"]);
    expect(await ackRetrainJobs(rts[2]!, next)).toBe(1);
    expect(await direct.xlen(rts[0]!.keys.retrainJobs)).toBe(0);
    expect(await outboxEvents("retrain_requested")).toHaveLength(4);
  });

  it("gives a dead worker's jobs to another after the timeout, and dead-letters them after max deliveries", async () => {
    await requestRetrainJob(rts[0]!, job("j5"));
    const first = await claimRetrainJobs(rts[0]!, opts("dies", 100));
    expect(first.map((j) => j.job_id)).toEqual(["j5"]);
    await new Promise((r) => setTimeout(r, 250));
    const second = await claimRetrainJobs(rts[1]!, opts("survivor", 100));
    expect(second.map((j) => [j.job_id, j.deliveries])).toEqual([["j5", 2]]);
    // The first worker, back from the dead, cannot renew what is no longer its own.
    expect(await renewRetrainJobs(rts[0]!, "dies", first)).toBe(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(await claimRetrainJobs(rts[2]!, opts("third", 100))).toEqual([]);
    const dead = await direct.xrange(rts[0]!.keys.retrainJobsDlq, "-", "+");
    expect(dead.map(([, f]) => f[f.indexOf("job_id") + 1])).toEqual(["j5"]);
    expect(await direct.xlen(rts[0]!.keys.retrainJobs)).toBe(0);
  });
});
