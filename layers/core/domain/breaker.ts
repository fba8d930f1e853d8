// The circuit breaker of DESIGN §7 as a pure state machine. Redis runs the same transitions in
// store/lua/breaker-permit.lua and breaker-report.lua (shared by every process); a test drives both with
// the same random histories and demands identical states.
//
// resilience4j's model: while closed, the outcomes of the last `windowSize` calls are kept (count-based
// sliding window); once at least `minCalls` are in, a failure rate ≥ `failureRatePct` or a slow-call rate ≥
// `slowRatePct` opens the breaker. Open: calls take the baseline for the open wait, which starts at
// `cooldownMs` and doubles each time a half-open round fails, up to `maxCooldownMs`. Half-open: up to
// `maxProbes` probe calls (shared by every process); all healthy → closed (window and wait reset), any slow
// or failing → open again.

export type BreakerStateName = "closed" | "open" | "half_open";

/** A call's verdict: `failure` = threw or outlived the hard timeout; `slow` = answered, over its budget. */
export type CallOutcome = "success" | "slow" | "failure";

export interface BreakerState {
  state: BreakerStateName;
  /** When the breaker last opened (ms), 0 if never. */
  openedAtMs: number;
  /** When the current half-open round began (ms). */
  halfOpenAtMs: number;
  /** Probes admitted in this half-open round and not yet reported. */
  probes: number;
  /** Probes of this round that came back healthy. */
  successes: number;
  /** Bumped on every transition: a late report from an earlier state is ignored. */
  epoch: number;
  /** The closed window, oldest first, one letter per call: s success, w slow, f failure. */
  calls: string;
  /** Openings since the breaker last closed: the open wait is cooldown × 2^(trips − 1), capped. */
  trips: number;
}

export interface BreakerSettings {
  cooldownMs: number;
  /** Cap of the growing open wait (a value below cooldownMs means cooldownMs: no growth). */
  maxCooldownMs: number;
  maxProbes: number;
  /** A half-open round with no verdict after this long (a prober died) starts over. */
  staleProbeMs: number;
  /** Calls the closed window keeps. */
  windowSize: number;
  /** Calls the window must hold before a rate is judged (at most windowSize). */
  minCalls: number;
  /** Percent (0–100] of failures in the window that opens the breaker. */
  failureRatePct: number;
  /** Percent (0–100] of slow calls in the window that opens the breaker. */
  slowRatePct: number;
}

/** The breaker's settings from the configuration (structural, so this module needs no config import). */
export function breakerSettings(c: {
  CIRCUIT_COOLDOWN_SECONDS: number;
  CIRCUIT_MAX_COOLDOWN_SECONDS: number;
  CIRCUIT_HALF_OPEN_PROBES: number;
  CIRCUIT_WINDOW_SIZE: number;
  CIRCUIT_MIN_CALLS: number;
  CIRCUIT_FAILURE_RATE: number;
  CIRCUIT_SLOW_RATE: number;
  TRANSFORMER_HARD_TIMEOUT_MS: number;
}): BreakerSettings {
  const cooldownMs = c.CIRCUIT_COOLDOWN_SECONDS * 1000;
  return {
    cooldownMs,
    maxCooldownMs: c.CIRCUIT_MAX_COOLDOWN_SECONDS * 1000,
    maxProbes: c.CIRCUIT_HALF_OPEN_PROBES,
    // A prober that has not reported within a cooldown plus its hard timeout is gone.
    staleProbeMs: cooldownMs + c.TRANSFORMER_HARD_TIMEOUT_MS,
    windowSize: c.CIRCUIT_WINDOW_SIZE,
    minCalls: c.CIRCUIT_MIN_CALLS,
    failureRatePct: c.CIRCUIT_FAILURE_RATE,
    slowRatePct: c.CIRCUIT_SLOW_RATE,
  };
}

/** The seed's rule: any single call over budget, or failing, opens the breaker; the open wait never grows. */
export const SEED_RULE = { windowSize: 1, minCalls: 1, failureRatePct: 100, slowRatePct: 100 } as const;

export const INITIAL_BREAKER: BreakerState = {
  state: "closed",
  openedAtMs: 0,
  halfOpenAtMs: 0,
  probes: 0,
  successes: 0,
  epoch: 0,
  calls: "",
  trips: 0,
};

/** Letters of the window (the Lua script stores the same string in the breaker hash). */
export const OUTCOME_LETTER: Record<CallOutcome, string> = { success: "s", slow: "w", failure: "f" };

/**
 * The latency budget of a call: `slowFactor` times what the call should take at the speed calibrated when the
 * model was loaded (ms per padded token × the padded tokens it carried), and never less than `latencyMs` (the
 * seed's budget for one ticket). So a bigger sub-batch is not a slower model, a busy machine (a few times
 * slower) is not a sick model, and a model `slowFactor` times slower than it was is. `slowFactor` 0 = flat: every
 * call gets `latencyMs`, whatever it carried.
 */
export function callBudgetMs(c: { paddedTokens: number; calibratedMsPerToken: number; latencyMs: number; slowFactor: number }): number {
  if (c.slowFactor <= 0) return c.latencyMs;
  return Math.max(c.latencyMs, c.slowFactor * c.calibratedMsPerToken * c.paddedTokens);
}

/** A finished (or abandoned) call's outcome against its budget. */
export function judgeCall(c: { failed: boolean; latencyMs: number; budgetMs: number }): CallOutcome {
  if (c.failed) return "failure";
  return c.latencyMs > c.budgetMs ? "slow" : "success";
}

/** How long the breaker stays open after its `trips`-th opening since it last closed. */
export function openWaitMs(trips: number, cfg: Pick<BreakerSettings, "cooldownMs" | "maxCooldownMs">): number {
  return Math.min(cfg.cooldownMs * 2 ** Math.max(trips - 1, 0), Math.max(cfg.maxCooldownMs, cfg.cooldownMs));
}

const count = (calls: string, letter: string) => calls.split(letter).length - 1;

/** The window's rates in percent (0 when empty), for observability. */
export function windowRates(calls: string): { calls: number; failureRatePct: number; slowRatePct: number } {
  const n = calls.length;
  if (!n) return { calls: 0, failureRatePct: 0, slowRatePct: 0 };
  return { calls: n, failureRatePct: (100 * count(calls, "f")) / n, slowRatePct: (100 * count(calls, "w")) / n };
}

/** Does this window open the breaker? Multiplications only, so Lua's doubles give the same answer. */
export function windowTrips(calls: string, cfg: BreakerSettings): boolean {
  const n = calls.length;
  if (n < Math.min(cfg.minCalls, cfg.windowSize)) return false;
  return count(calls, "f") * 100 >= cfg.failureRatePct * n || count(calls, "w") * 100 >= cfg.slowRatePct * n;
}

/** call: the model may run; probe: it may run as a half-open probe; reject: take the baseline. */
export type Permission = "call" | "probe" | "reject";

export function permit(s: BreakerState, nowMs: number, cfg: BreakerSettings): { permission: Permission; next: BreakerState } {
  switch (s.state) {
    case "closed":
      return { permission: "call", next: s };
    case "open":
      if (nowMs - s.openedAtMs < openWaitMs(s.trips, cfg)) return { permission: "reject", next: s };
      return {
        permission: "probe",
        next: { ...s, state: "half_open", halfOpenAtMs: nowMs, probes: 1, successes: 0, epoch: s.epoch + 1 },
      };
    case "half_open": {
      const stale = nowMs - s.halfOpenAtMs >= cfg.staleProbeMs;
      const base = stale ? { ...s, halfOpenAtMs: nowMs, probes: 0, successes: 0, epoch: s.epoch + 1 } : s;
      if (base.probes + base.successes >= cfg.maxProbes) return { permission: "reject", next: base };
      return { permission: "probe", next: { ...base, probes: base.probes + 1 } };
    }
  }
}

const opened = (s: BreakerState, nowMs: number): BreakerState => ({
  ...s,
  state: "open",
  openedAtMs: nowMs,
  probes: 0,
  successes: 0,
  epoch: s.epoch + 1,
  calls: "",
  trips: s.trips + 1,
});

/**
 * A model call's verdict. Only reports from the epoch that admitted the call count. Closed: the outcome
 * joins the window (the oldest falls out), and the window's rates may open the breaker. Half-open: a slow or
 * failed probe reopens it (the wait grows); `maxProbes` healthy probes close it (window and wait reset).
 */
export function report(
  s: BreakerState,
  r: { epoch: number; permission: Permission; outcome: CallOutcome },
  nowMs: number,
  cfg: BreakerSettings,
): BreakerState {
  if (r.epoch !== s.epoch) return s;
  if (s.state === "closed") {
    const calls = (s.calls + OUTCOME_LETTER[r.outcome]).slice(-cfg.windowSize);
    const next = { ...s, calls };
    return windowTrips(calls, cfg) ? opened(next, nowMs) : next;
  }
  if (s.state !== "half_open" || r.permission !== "probe") return s;
  if (r.outcome !== "success") return opened(s, nowMs);
  const next = { ...s, probes: Math.max(0, s.probes - 1), successes: s.successes + 1 };
  if (next.successes >= cfg.maxProbes) {
    return { ...next, state: "closed", probes: 0, successes: 0, epoch: s.epoch + 1, calls: "", trips: 0 };
  }
  return next;
}
