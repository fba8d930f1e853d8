import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { INITIAL_BREAKER, permit, report, type BreakerState, type Permission } from "../../layers/core/domain/breaker.js";
import { createIoRedis, IoRedisAdapter } from "../../layers/core/store/ioredis-adapter.js";
import { makeKeys } from "../../layers/core/store/keys.js";
import { breakerPermit, breakerReport } from "../../layers/core/store/lua/breaker.js";
import { dropPrefix, REDIS_URL, testPrefix } from "../support/runtime.js";

const redis = new IoRedisAdapter(createIoRedis(REDIS_URL));
const prefixes: string[] = [];
const freshKeys = () => {
  const p = testPrefix();
  prefixes.push(p);
  return makeKeys(p);
};
afterAll(async () => {
  await Promise.all(prefixes.map(dropPrefix));
  await redis.close();
});

const cfg = { cooldownMs: 1000, maxProbes: 3, staleProbeMs: 1500 };
const luaCfg = { cooldownMs: cfg.cooldownMs, maxProbes: cfg.maxProbes, staleMs: cfg.staleProbeMs };

async function readState(keys: ReturnType<typeof makeKeys>): Promise<BreakerState> {
  const h = await redis.hgetall(keys.breaker);
  return {
    state: (h.state as BreakerState["state"]) ?? "closed",
    openedAtMs: Number(h.opened_at_ms ?? 0),
    halfOpenAtMs: Number(h.half_open_at_ms ?? 0),
    probes: Number(h.probes_in_flight ?? 0),
    successes: Number(h.probe_successes ?? 0),
    epoch: Number(h.epoch ?? 0),
  };
}

type Step = { kind: "permit"; dt: number } | { kind: "report"; dt: number; which: number; healthy: boolean };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("permit" as const), dt: fc.integer({ min: 0, max: 800 }) }),
  fc.record({
    kind: fc.constant("report" as const),
    dt: fc.integer({ min: 0, max: 800 }),
    which: fc.nat(),
    healthy: fc.boolean(),
  }),
);

describe("breaker Lua scripts", () => {
  it("make exactly the transitions of the pure state machine, for any history", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const keys = freshKeys();
        let model: BreakerState = INITIAL_BREAKER;
        let now = 1_000_000;
        const outstanding: { epoch: number; permission: Permission }[] = [];
        for (const s of steps) {
          now += s.dt;
          if (s.kind === "permit") {
            const expected = permit(model, now, cfg);
            const got = await breakerPermit(redis, keys, { nowMs: now, ...luaCfg });
            expect(got.permission).toBe(expected.permission);
            model = expected.next;
            if (got.permission !== "reject") outstanding.push({ epoch: got.epoch, permission: got.permission });
          } else if (outstanding.length) {
            const [call] = outstanding.splice(s.which % outstanding.length, 1);
            model = report(model, { ...call!, healthy: s.healthy }, now, cfg);
            await breakerReport(redis, keys, { nowMs: now, ...call!, healthy: s.healthy, maxProbes: cfg.maxProbes });
          }
          expect(await readState(keys)).toEqual(model);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("never lets two racing workers run more than the allowed probes in half-open", async () => {
    const keys = freshKeys();
    await breakerReport(redis, keys, { nowMs: 0, epoch: 0, permission: "call", healthy: false, maxProbes: 3 });
    // Two processes, each with its own connection, ask at the same moment, many times.
    const other = new IoRedisAdapter(createIoRedis(REDIS_URL));
    const ask = (r: IoRedisAdapter) => breakerPermit(r, keys, { nowMs: 5_000, ...luaCfg });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(i % 2 ? redis : other)));
    await other.close();
    expect(answers.filter((a) => a.permission === "probe")).toHaveLength(3);
    expect((await readState(keys)).probes).toBe(3);
  });

  it("opens once, with one opened_at, when many failures land together", async () => {
    const keys = freshKeys();
    const reports = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        breakerReport(redis, keys, { nowMs: 10_000 + i, epoch: 0, permission: "call", healthy: false, maxProbes: 3 }),
      ),
    );
    const openings = reports.filter((t) => t.from === "closed" && t.to === "open");
    expect(openings).toHaveLength(1);
    const state = await readState(keys);
    expect(state).toMatchObject({ state: "open", epoch: 1, openedAtMs: openings[0]!.openedAtMs });
  });

  it("uses Redis time when the caller gives none", async () => {
    const keys = freshKeys();
    const before = Date.now();
    await breakerReport(redis, keys, { epoch: 0, permission: "call", healthy: false, maxProbes: 3 });
    const { openedAtMs } = await readState(keys);
    expect(Math.abs(openedAtMs - before)).toBeLessThan(5_000);
  });
});
