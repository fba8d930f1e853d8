import { describe, expect, it } from "vitest";
import { INITIAL_BREAKER, permit, report, type BreakerState } from "../../layers/core/domain/breaker.js";

const cfg = { cooldownMs: 60_000, maxProbes: 3, staleProbeMs: 65_000 };
const open = (at: number, epoch = 1): BreakerState => ({ ...INITIAL_BREAKER, state: "open", openedAtMs: at, epoch });

describe("breaker: closed", () => {
  it("permits calls and stays closed", () => {
    expect(permit(INITIAL_BREAKER, 1000, cfg)).toEqual({ permission: "call", next: INITIAL_BREAKER });
  });
  it("stays closed on a healthy call", () => {
    expect(report(INITIAL_BREAKER, { epoch: 0, permission: "call", healthy: true }, 5, cfg)).toEqual(INITIAL_BREAKER);
  });
  it("opens on a slow or failed call, remembering when", () => {
    expect(report(INITIAL_BREAKER, { epoch: 0, permission: "call", healthy: false }, 5000, cfg)).toEqual(open(5000));
  });
});

describe("breaker: open", () => {
  it("rejects until the cooldown has passed", () => {
    expect(permit(open(0), 59_999, cfg)).toEqual({ permission: "reject", next: open(0) });
  });
  it("turns half-open after the cooldown and admits the caller as the first probe", () => {
    const { permission, next } = permit(open(0), 60_000, cfg);
    expect(permission).toBe("probe");
    expect(next).toMatchObject({ state: "half_open", probes: 1, successes: 0, halfOpenAtMs: 60_000, epoch: 2 });
  });
  it("ignores a late report of a call admitted before it opened", () => {
    expect(report(open(0), { epoch: 0, permission: "call", healthy: false }, 10, cfg)).toEqual(open(0));
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

  it("reopens on one unhealthy probe", () => {
    const next = report(half, { epoch: half.epoch, permission: "probe", healthy: false }, 61_000, cfg);
    expect(next).toMatchObject({ state: "open", openedAtMs: 61_000, probes: 0, epoch: half.epoch + 1 });
  });

  it("closes once maxProbes probes came back healthy", () => {
    let s = half;
    s = permit(s, 60_001, cfg).next;
    s = permit(s, 60_002, cfg).next;
    for (let i = 0; i < 2; i++) {
      s = report(s, { epoch: s.epoch, permission: "probe", healthy: true }, 60_010, cfg);
      expect(s.state).toBe("half_open");
    }
    s = report(s, { epoch: s.epoch, permission: "probe", healthy: true }, 60_010, cfg);
    expect(s).toMatchObject({ state: "closed", probes: 0, successes: 0 });
  });

  it("does not admit more probes than the round needs once some succeeded", () => {
    let s = report(half, { epoch: half.epoch, permission: "probe", healthy: true }, 60_010, cfg);
    s = permit(s, 60_011, cfg).next; // 1 success + 1 in flight
    s = permit(s, 60_012, cfg).next; // + 1 in flight = 3
    expect(permit(s, 60_013, cfg).permission).toBe("reject");
  });

  it("ignores non-probe reports while half-open", () => {
    expect(report(half, { epoch: half.epoch, permission: "call", healthy: false }, 60_500, cfg)).toEqual(half);
  });

  it("starts a stale round over when its probers never reported", () => {
    const full = { ...half, probes: 3 };
    expect(permit(full, 60_000 + 64_999, cfg).permission).toBe("reject");
    const { permission, next } = permit(full, 60_000 + 65_000, cfg);
    expect(permission).toBe("probe");
    expect(next).toMatchObject({ state: "half_open", probes: 1, successes: 0, epoch: half.epoch + 1 });
  });

  it("ignores a probe report from an earlier round", () => {
    const reopened = report(half, { epoch: half.epoch, permission: "probe", healthy: false }, 61_000, cfg);
    const again = permit(reopened, 121_000, cfg).next;
    expect(report(again, { epoch: half.epoch, permission: "probe", healthy: true }, 121_001, cfg)).toEqual(again);
  });
});
