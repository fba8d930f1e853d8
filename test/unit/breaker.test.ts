import { describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import {
  breakerSettings,
  callBudgetMs,
  INITIAL_BREAKER,
  judgeCall,
  openWaitMs,
  permit,
  report,
  SEED_RULE,
  windowRates,
  type BreakerSettings,
  type BreakerState,
  type CallOutcome,
} from "../../layers/core/domain/breaker.js";

/** The shipped defaults' window (10 calls, 3 before judging, 50% failures, 60% slow), short times. */
const cfg: BreakerSettings = {
  cooldownMs: 60_000,
  maxCooldownMs: 600_000,
  maxProbes: 3,
  staleProbeMs: 65_000,
  windowSize: 10,
  minCalls: 3,
  failureRatePct: 50,
  slowRatePct: 60,
};
const seed: BreakerSettings = { ...cfg, ...SEED_RULE, maxCooldownMs: cfg.cooldownMs };

const open = (at: number, epoch = 1, trips = 1): BreakerState => ({ ...INITIAL_BREAKER, state: "open", openedAtMs: at, epoch, trips });

/** Reports calls admitted while closed, one by one, at `now`. */
function calls(outcomes: CallOutcome[], s: BreakerState = INITIAL_BREAKER, c = cfg, now = 1000): BreakerState {
  for (const outcome of outcomes) s = report(s, { epoch: s.epoch, permission: "call", outcome }, now, c);
  return s;
}
const seq = (spec: string): CallOutcome[] => [...spec].map((ch) => ({ s: "success", w: "slow", f: "failure" })[ch] as CallOutcome);

describe("breaker: the shipped configuration", () => {
  it("is the window described in README (10 calls, 3 before judging, 50% failures, 60% slow, wait 60 s → 600 s)", () => {
    expect(breakerSettings(loadConfig({}))).toEqual(cfg);
    expect(loadConfig({}).CIRCUIT_SLOW_FACTOR).toBe(5);
  });
});

describe("breaker: closed, the sliding window", () => {
  it("permits calls and stays closed", () => {
    expect(permit(INITIAL_BREAKER, 1000, cfg)).toEqual({ permission: "call", next: INITIAL_BREAKER });
  });

  it("records each outcome, oldest first, and stays closed on healthy calls", () => {
    expect(calls(seq("ss"))).toEqual({ ...INITIAL_BREAKER, calls: "ss" });
  });

  it("keeps only the last windowSize calls", () => {
    const s = calls(seq("wsssssssss"));
    expect(s).toMatchObject({ state: "closed", calls: "wsssssssss" });
    expect(calls(seq("s"), s)).toMatchObject({ state: "closed", calls: "ssssssssss" });
  });

  it("judges no rate before minCalls calls: two failures do not open it", () => {
    expect(calls(seq("ff"))).toMatchObject({ state: "closed", calls: "ff" });
    expect(calls(seq("ww"))).toMatchObject({ state: "closed", calls: "ww" });
  });

  it("opens at the third call of a throwing encoder (failure rate 100% ≥ 50%), remembering when", () => {
    const s = calls(seq("fff"), INITIAL_BREAKER, cfg, 5000);
    expect(s).toEqual(open(5000));
  });

  it("opens at the third call of a slow encoder (slow rate 100% ≥ 60%)", () => {
    expect(calls(seq("www")).state).toBe("open");
  });

  it("opens on the failure rate: 2 failures of 4 = 50%", () => {
    expect(calls(seq("sfs")).state).toBe("closed"); // 33%
    expect(calls(seq("sfsf")).state).toBe("open");
  });

  it("opens on the slow rate only at 60%: 5 of 10 slow stays closed, the sixth opens", () => {
    const s = calls(seq("wwsww"), calls(seq("sssss"))); // window ssssswwsww: 4 slow of 10
    expect(s.state).toBe("closed");
    const t = calls(seq("w"), s); // sssswwswww: 5 of 10
    expect(t).toMatchObject({ state: "closed", calls: "sssswwswww" });
    expect(calls(seq("w"), t).state).toBe("open"); // ssswwswwww: 6 of 10
  });

  it("judges each rate on its own", () => {
    // 2 of 3 slow is 67% ≥ 60%.
    expect(calls(seq("wfw")).state).toBe("open");
    // 1 slow + 1 failure of 4: 25% each, closed.
    expect(calls(seq("swfs")).state).toBe("closed");
  });

  it("a healthy machine's occasional slow call never opens it", () => {
    expect(calls(seq("ssswsssswsssswssssws")).state).toBe("closed");
  });

  it("caps minCalls at the window size", () => {
    expect(calls(seq("w"), INITIAL_BREAKER, { ...cfg, windowSize: 1, minCalls: 5 }).state).toBe("open");
  });

  it("ignores a late report of a call admitted before it opened", () => {
    expect(report(open(0), { epoch: 0, permission: "call", outcome: "failure" }, 10, cfg)).toEqual(open(0));
  });
});

describe("breaker: the seed's rule as configuration (window 1, min 1, both rates 100%, no growth)", () => {
  it("opens on any single slow call, or any single failure", () => {
    expect(calls(seq("w"), INITIAL_BREAKER, seed, 5000)).toEqual(open(5000));
    expect(calls(seq("f"), INITIAL_BREAKER, seed, 5000)).toEqual(open(5000));
    expect(calls(seq("ssss"), INITIAL_BREAKER, seed)).toMatchObject({ state: "closed", calls: "s" });
    expect(calls(seq("ssssw"), INITIAL_BREAKER, seed).state).toBe("open");
  });

  it("waits the same cooldown however often it reopens", () => {
    for (const trips of [1, 2, 5, 40]) expect(openWaitMs(trips, seed)).toBe(60_000);
  });
});

describe("breaker: per-unit slowness", () => {
  const budget = (paddedTokens: number, slowFactor = 5) => callBudgetMs({ paddedTokens, calibratedMsPerToken: 0.2, latencyMs: 500, slowFactor });

  it("gives a call slowFactor × its calibrated cost, never less than the flat budget", () => {
    expect(budget(60)).toBe(500); // one ticket: 60 × 0.2 ms × 5 = 60 ms, so the seed's 500 ms
    expect(budget(1024)).toBeCloseTo(1024); // 16 × 64 tokens: 205 ms calibrated × 5
    expect(budget(4096)).toBeCloseTo(4096);
    expect(budget(4096, 0)).toBe(500); // 0 = flat
  });

  it("judges a sub-batch 3× slower than calibrated (a busy machine) healthy, 10× slower (a sick model) slow", () => {
    const calibrated = 1024 * 0.2;
    expect(judgeCall({ failed: false, latencyMs: 3 * calibrated, budgetMs: budget(1024) })).toBe("success");
    expect(judgeCall({ failed: false, latencyMs: 10 * calibrated, budgetMs: budget(1024) })).toBe("slow");
    expect(judgeCall({ failed: true, latencyMs: 1, budgetMs: budget(1024) })).toBe("failure");
    expect(judgeCall({ failed: false, latencyMs: 3 * calibrated, budgetMs: budget(1024, 0) })).toBe("slow"); // flat: the seed's rule
  });
});

describe("breaker: open, and the growing wait", () => {
  it("rejects until the cooldown has passed", () => {
    expect(permit(open(0), 59_999, cfg)).toEqual({ permission: "reject", next: open(0) });
  });

  it("turns half-open after the cooldown and admits the caller as the first probe", () => {
    const { permission, next } = permit(open(0), 60_000, cfg);
    expect(permission).toBe("probe");
    expect(next).toMatchObject({ state: "half_open", probes: 1, successes: 0, halfOpenAtMs: 60_000, epoch: 2, trips: 1 });
  });

  it("doubles the wait on each reopening, up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 60].map((t) => openWaitMs(t, cfg))).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
    expect(permit(open(0, 1, 2), 119_999, cfg).permission).toBe("reject");
    expect(permit(open(0, 1, 2), 120_000, cfg).permission).toBe("probe");
  });

  it("treats a cap below the cooldown as the cooldown", () => {
    expect(openWaitMs(3, { cooldownMs: 1000, maxCooldownMs: 10 })).toBe(1000);
  });

  it("reopening after a failed round waits twice as long; closing resets the wait and the window", () => {
    let s = calls(seq("fff")); // trips 1
    s = permit(s, 1000 + 60_000, cfg).next;
    s = report(s, { epoch: s.epoch, permission: "probe", outcome: "slow" }, 61_000, cfg);
    expect(s).toMatchObject({ state: "open", trips: 2, openedAtMs: 61_000 });
    expect(permit(s, 61_000 + 119_999, cfg).permission).toBe("reject");
    s = permit(s, 61_000 + 120_000, cfg).next;
    for (let i = 0; i < 2; i++) s = permit(s, 181_001 + i, cfg).next;
    for (let i = 0; i < 3; i++) s = report(s, { epoch: s.epoch, permission: "probe", outcome: "success" }, 181_010, cfg);
    expect(s).toMatchObject({ state: "closed", trips: 0, calls: "", probes: 0, successes: 0 });
    // Closed again with a fresh window: two failures are not enough, the third opens with the first wait.
    s = calls(seq("ff"), s, cfg, 200_000);
    expect(s.state).toBe("closed");
    s = calls(seq("f"), s, cfg, 200_000);
    expect(s).toMatchObject({ state: "open", trips: 1 });
    expect(permit(s, 260_000, cfg).permission).toBe("probe");
  });
});

describe("breaker: half-open", () => {
  const half = permit(open(0), 60_000, cfg).next;

  it("admits at most maxProbes probes in flight, rejects the rest", () => {
    const second = permit(half, 60_001, cfg);
    const third = permit(second.next, 60_002, cfg);
    const fourth = permit(third.next, 60_003, cfg);
    expect([second.permission, third.permission, fourth.permission]).toEqual(["probe", "probe", "reject"]);
    expect(fourth.next.probes).toBe(3);
  });

  it.each(["slow", "failure"] as const)("reopens on one %s probe", (outcome) => {
    const next = report(half, { epoch: half.epoch, permission: "probe", outcome }, 61_000, cfg);
    expect(next).toMatchObject({ state: "open", openedAtMs: 61_000, probes: 0, epoch: half.epoch + 1, trips: 2 });
  });

  it("closes once maxProbes probes came back healthy", () => {
    let s = half;
    s = permit(s, 60_001, cfg).next;
    s = permit(s, 60_002, cfg).next;
    for (let i = 0; i < 2; i++) {
      s = report(s, { epoch: s.epoch, permission: "probe", outcome: "success" }, 60_010, cfg);
      expect(s.state).toBe("half_open");
    }
    s = report(s, { epoch: s.epoch, permission: "probe", outcome: "success" }, 60_010, cfg);
    expect(s).toMatchObject({ state: "closed", probes: 0, successes: 0, trips: 0, calls: "" });
  });

  it("does not admit more probes than the round needs once some succeeded", () => {
    let s = report(half, { epoch: half.epoch, permission: "probe", outcome: "success" }, 60_010, cfg);
    s = permit(s, 60_011, cfg).next; // 1 success + 1 in flight
    s = permit(s, 60_012, cfg).next; // + 1 in flight = 3
    expect(permit(s, 60_013, cfg).permission).toBe("reject");
  });

  it("ignores non-probe reports while half-open", () => {
    expect(report(half, { epoch: half.epoch, permission: "call", outcome: "failure" }, 60_500, cfg)).toEqual(half);
  });

  it("starts a stale round over when its probers never reported", () => {
    const full = { ...half, probes: 3 };
    expect(permit(full, 60_000 + 64_999, cfg).permission).toBe("reject");
    const { permission, next } = permit(full, 60_000 + 65_000, cfg);
    expect(permission).toBe("probe");
    expect(next).toMatchObject({ state: "half_open", probes: 1, successes: 0, epoch: half.epoch + 1 });
  });

  it("ignores a probe report from an earlier round", () => {
    const reopened = report(half, { epoch: half.epoch, permission: "probe", outcome: "failure" }, 61_000, cfg);
    const again = permit(reopened, 61_000 + 120_000, cfg).next;
    expect(again.state).toBe("half_open");
    expect(report(again, { epoch: half.epoch, permission: "probe", outcome: "success" }, 181_001, cfg)).toEqual(again);
  });
});

describe("breaker: window rates (for /health and /metrics)", () => {
  it("gives the window's failure and slow shares in percent", () => {
    expect(windowRates("")).toEqual({ calls: 0, failureRatePct: 0, slowRatePct: 0 });
    expect(windowRates("sswf")).toEqual({ calls: 4, failureRatePct: 25, slowRatePct: 25 });
  });
});
