import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  INITIAL_BREAKER,
  permit,
  report,
  type BreakerSettings,
  type BreakerState,
  type CallOutcome,
  type Permission,
} from "../../layers/core/domain/breaker.js";
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

/** The seed's rule with short times: the wrappers' defaults when no window rule is given. */
const cfg: BreakerSettings = {
  cooldownMs: 1000,
  maxCooldownMs: 1000,
  maxProbes: 3,
  staleProbeMs: 1500,
  windowSize: 1,
  minCalls: 1,
  failureRatePct: 100,
  slowRatePct: 100,
};
const luaCfg = { cooldownMs: cfg.cooldownMs, maxProbes: cfg.maxProbes, staleMs: cfg.staleProbeMs };

/** The wrappers' arguments for a full settings object. */
const permitArgs = (c: BreakerSettings) => ({ cooldownMs: c.cooldownMs, maxCooldownMs: c.maxCooldownMs, maxProbes: c.maxProbes, staleMs: c.staleProbeMs });
const reportArgs = (c: BreakerSettings) => ({
  maxProbes: c.maxProbes,
  windowSize: c.windowSize,
  minCalls: c.minCalls,
  failureRatePct: c.failureRatePct,
  slowRatePct: c.slowRatePct,
});

async function readState(keys: ReturnType<typeof makeKeys>): Promise<BreakerState> {
  const h = await redis.hgetall(keys.breaker);
  return {
    state: (h.state as BreakerState["state"]) ?? "closed",
    openedAtMs: Number(h.opened_at_ms ?? 0),
    halfOpenAtMs: Number(h.half_open_at_ms ?? 0),
    probes: Number(h.probes_in_flight ?? 0),
    successes: Number(h.probe_successes ?? 0),
    epoch: Number(h.epoch ?? 0),
    calls: h.calls ?? "",
    trips: Number(h.trips ?? 0),
  };
}

type Step = { kind: "permit"; dt: number } | { kind: "report"; dt: number; which: number; outcome: CallOutcome };
// Mostly short steps, sometimes a long one: waits of every length (growing ones too) pass or not.
const dt = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 800 }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 9000 }), weight: 1 });
/** Steps of a model that is healthy, sick or in between (a history of one kind reaches deeper states). */
const steps = (maxLength: number): fc.Arbitrary<Step[]> =>
  fc.constantFrom<CallOutcome[]>(
    ["success", "success", "success", "slow", "failure"],
    ["success", "slow", "failure"],
    ["success", "slow", "slow", "failure", "failure"],
  ).chain((outcomes) =>
    fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant("permit" as const), dt }),
        fc.record({
          kind: fc.constant("report" as const),
          dt,
          // Mostly the latest call reports first (one worker); sometimes any outstanding one (many).
          which: fc.oneof({ arbitrary: fc.constant(-1), weight: 2 }, { arbitrary: fc.nat(), weight: 1 }),
          outcome: fc.constantFrom(...outcomes),
        }),
      ),
      { minLength: 1, maxLength, size: "max" },
    ),
  );
/** Any window rule and wait growth, the shipped defaults and the seed's rule among them. */
const settings: fc.Arbitrary<BreakerSettings> = fc.record({
  cooldownMs: fc.constantFrom(300, 1000, 1500),
  maxCooldownMs: fc.constantFrom(0, 2500, 8000, 20_000),
  maxProbes: fc.integer({ min: 1, max: 4 }),
  staleProbeMs: fc.constantFrom(1500, 10_000),
  windowSize: fc.integer({ min: 1, max: 10 }),
  minCalls: fc.integer({ min: 1, max: 12 }),
  failureRatePct: fc.constantFrom(100 / 3, 50, 60, 100),
  slowRatePct: fc.constantFrom(100 / 3, 50, 60, 100),
});

/** States (and openings, up to 3) the histories reached: the generator must reach the deep ones. */
const reached = new Set<string>();

/** Runs one history through the pure machine and the scripts, comparing the whole state after each step. */
async function replay(steps: Step[], c: BreakerSettings, legacy = false): Promise<{ final: BreakerState; states: string[] }> {
  const states: string[] = [];
  const keys = freshKeys();
  let model: BreakerState = INITIAL_BREAKER;
  let now = 1_000_000;
  const outstanding: { epoch: number; permission: Permission }[] = [];
  for (const s of steps) {
    now += s.dt;
    if (s.kind === "permit") {
      const expected = permit(model, now, c);
      const got = await breakerPermit(redis, keys, { nowMs: now, ...(legacy ? luaCfg : permitArgs(c)) });
      expect(got.permission).toBe(expected.permission);
      expect(got.transition).toEqual({ from: model.state, to: expected.next.state, openedAtMs: expected.next.openedAtMs });
      model = expected.next;
      if (got.permission !== "reject") outstanding.push({ epoch: got.epoch, permission: got.permission });
    } else if (outstanding.length) {
      const at = s.which < 0 ? outstanding.length - 1 : s.which % outstanding.length;
      const [call] = outstanding.splice(at, 1);
      const next = report(model, { ...call!, outcome: s.outcome }, now, c);
      const t = legacy
        ? // The older callers' form: healthy or not, judged by the seed's rule.
          await breakerReport(redis, keys, { nowMs: now, ...call!, healthy: s.outcome === "success", maxProbes: c.maxProbes })
        : await breakerReport(redis, keys, { nowMs: now, ...call!, outcome: s.outcome, ...reportArgs(c) });
      expect(t).toEqual({ from: model.state, to: next.state, openedAtMs: next.openedAtMs });
      model = next;
    }
    expect(await readState(keys)).toEqual(model);
    states.push(model.state);
    reached.add(`${model.state}:${Math.min(model.trips, 3)}`);
  }
  return { final: model, states };
}

describe("breaker Lua scripts", () => {
  it("make exactly the transitions of the pure state machine, for any history and any window rule", async () => {
    await fc.assert(
      fc.asyncProperty(steps(80), settings, async (history, c) => {
        await replay(history, c);
      }),
      { numRuns: 100 },
    );
    // Reopened from half-open (the wait grew) and closed again from half-open were both exercised.
    for (const deep of ["open:3", "half_open:3", "closed:0", "half_open:1"]) expect(reached).toContain(deep);
  });

  it("judge by the seed's rule when a caller gives no window rule (healthy: false = failure)", async () => {
    await fc.assert(
      fc.asyncProperty(steps(40), async (history) => {
        // A slow call reported as unhealthy is a failure to the legacy form; under the seed's rule the same.
        const legacy = history.map((s) => (s.kind === "report" && s.outcome === "slow" ? { ...s, outcome: "failure" as const } : s));
        await replay(legacy, cfg, true);
      }),
      { numRuns: 30 },
    );
  });

  it("follow a slow encoder through the shipped defaults: open at the 3rd call, wait doubling to the cap", async () => {
    const c: BreakerSettings = { ...cfg, cooldownMs: 1000, maxCooldownMs: 3000, windowSize: 10, minCalls: 3, failureRatePct: 50, slowRatePct: 60 };
    const history: Step[] = [];
    for (let i = 0; i < 3; i++) history.push({ kind: "permit", dt: 1 }, { kind: "report", dt: 1, which: 0, outcome: "slow" });
    // Half-open rounds that fail: after 1 s, then 2 s, then 3 s (capped), 3 s; then a healthy round closes it.
    for (const wait of [1000, 2000, 3000, 3000]) {
      history.push({ kind: "permit", dt: wait - 1 }, { kind: "permit", dt: 1 }, { kind: "report", dt: 0, which: 0, outcome: "failure" });
    }
    history.push({ kind: "permit", dt: 3000 });
    for (let i = 0; i < 3; i++) history.push({ kind: "permit", dt: 0 }, { kind: "report", dt: 0, which: 0, outcome: "success" });
    const { final, states } = await replay(history, c);
    expect(states.slice(0, 6)).toEqual(["closed", "closed", "closed", "closed", "closed", "open"]);
    // Each wait: one ms short → still open (rejected), then the probe (half-open), its failure (open).
    expect(states.slice(6, 18)).toEqual(Array.from({ length: 4 }, () => ["open", "half_open", "open"]).flat());
    expect(final).toMatchObject({ state: "closed", trips: 0, calls: "" });
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
