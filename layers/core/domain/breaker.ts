// The circuit breaker of DESIGN §7 as a pure state machine. Redis runs the same transitions in
// store/lua/breaker-permit.lua and breaker-report.lua (shared by every process); a test drives both with
// the same random histories and demands identical states.

export type BreakerStateName = "closed" | "open" | "half_open";

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
}

export interface BreakerSettings {
  cooldownMs: number;
  maxProbes: number;
  /** A half-open round with no verdict after this long (a prober died) starts over. */
  staleProbeMs: number;
}

export const INITIAL_BREAKER: BreakerState = {
  state: "closed",
  openedAtMs: 0,
  halfOpenAtMs: 0,
  probes: 0,
  successes: 0,
  epoch: 0,
};

/** call: the model may run; probe: it may run as a half-open probe; reject: take the baseline. */
export type Permission = "call" | "probe" | "reject";

export function permit(s: BreakerState, nowMs: number, cfg: BreakerSettings): { permission: Permission; next: BreakerState } {
  switch (s.state) {
    case "closed":
      return { permission: "call", next: s };
    case "open":
      if (nowMs - s.openedAtMs < cfg.cooldownMs) return { permission: "reject", next: s };
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
});

/**
 * A model call's verdict. `healthy` = finished without error within the latency budget. Only reports from
 * the epoch that admitted the call count: closed → a failure opens; half-open → a failed probe reopens,
 * and `maxProbes` healthy probes close.
 */
export function report(
  s: BreakerState,
  r: { epoch: number; permission: Permission; healthy: boolean },
  nowMs: number,
  cfg: BreakerSettings,
): BreakerState {
  if (r.epoch !== s.epoch) return s;
  if (s.state === "closed") return r.healthy ? s : opened(s, nowMs);
  if (s.state !== "half_open" || r.permission !== "probe") return s;
  if (!r.healthy) return opened(s, nowMs);
  const next = { ...s, probes: Math.max(0, s.probes - 1), successes: s.successes + 1 };
  if (next.successes >= cfg.maxProbes) return { ...next, state: "closed", probes: 0, successes: 0, epoch: s.epoch + 1 };
  return next;
}
