import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { growthSteps, MAX_GROWTH_STEP, nextStep, stepReached, updateDue } from "../../layers/core/domain/incident-growth.js";

describe("incident growth steps", () => {
  it("are 25, 50, 100, 250, 500, 1000, 2500, … (1–2.5–5 per decade from 25)", () => {
    expect(growthSteps(100_000)).toEqual([25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000]);
    expect(growthSteps(24)).toEqual([]);
    expect(growthSteps(49)).toEqual([25]);
  });

  it("stop at MAX_GROWTH_STEP as whole numbers (what the Lua script is given)", () => {
    const all = growthSteps();
    expect(all.at(-1)).toBe(MAX_GROWTH_STEP);
    for (const s of all) expect(Number.isInteger(s) && String(s) === s.toFixed(0)).toBe(true);
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
  });

  it("stepReached: the highest step at or below the count", () => {
    expect([0, 1, 11, 24].map(stepReached)).toEqual([0, 0, 0, 0]);
    expect([25, 26, 49].map(stepReached)).toEqual([25, 25, 25]);
    expect([50, 99, 100, 249, 250, 999, 1000, 2499, 2500, 4999].map(stepReached)).toEqual([
      50, 50, 100, 100, 250, 500, 1000, 1000, 2500, 2500,
    ]);
  });

  it("stepReached and nextStep bracket every count", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (n) => {
        const reached = stepReached(n);
        const next = nextStep(n);
        expect(reached).toBeLessThanOrEqual(n);
        expect(next).toBeGreaterThan(n);
        // no step strictly between them
        expect(growthSteps(next).filter((s) => s > reached && s < next)).toEqual([]);
      }),
    );
    expect(nextStep(0)).toBe(25);
    expect(nextStep(25)).toBe(50);
    expect(nextStep(100)).toBe(250);
  });
});

describe("update cadence (the decision dedup-apply.lua takes)", () => {
  const base = { lastStep: 0, lastNoticeMs: 1_000, intervalMs: 5_000 };

  it("announces a new step once the interval has passed since the last notice", () => {
    expect(updateDue({ ...base, count: 25, nowMs: 6_000 })).toBe(25);
    expect(updateDue({ ...base, count: 24, nowMs: 60_000 })).toBeNull();
  });

  it("holds a step crossed inside the interval, and announces it at the next growth after it", () => {
    expect(updateDue({ ...base, count: 30, nowMs: 5_999 })).toBeNull();
    expect(updateDue({ ...base, count: 31, nowMs: 6_000 })).toBe(25);
  });

  it("coalesces steps crossed meanwhile into one update for the highest", () => {
    expect(updateDue({ ...base, lastStep: 25, count: 130, nowMs: 7_000 })).toBe(100);
  });

  it("never announces a step twice, nor one the creation already covered", () => {
    expect(updateDue({ ...base, lastStep: 50, count: 99, nowMs: 1e9 })).toBeNull();
    expect(updateDue({ ...base, lastStep: stepReached(30), count: 40, nowMs: 1e9 })).toBeNull();
  });

  it("with a zero interval, announces every step as it is crossed", () => {
    expect(updateDue({ ...base, intervalMs: 0, count: 50, lastStep: 25, nowMs: 1_000 })).toBe(50);
  });
});

describe("INCIDENT_UPDATE_INTERVAL_SECONDS", () => {
  it("defaults to 300 s, takes 0 and fractions, and refuses a negative or non-number naming the variable", () => {
    expect(loadConfig({}).INCIDENT_UPDATE_INTERVAL_SECONDS).toBe(300);
    expect(loadConfig({ INCIDENT_UPDATE_INTERVAL_SECONDS: "" }).INCIDENT_UPDATE_INTERVAL_SECONDS).toBe(300);
    expect(loadConfig({ INCIDENT_UPDATE_INTERVAL_SECONDS: "0" }).INCIDENT_UPDATE_INTERVAL_SECONDS).toBe(0);
    expect(loadConfig({ INCIDENT_UPDATE_INTERVAL_SECONDS: "1.5" }).INCIDENT_UPDATE_INTERVAL_SECONDS).toBe(1.5);
    expect(() => loadConfig({ INCIDENT_UPDATE_INTERVAL_SECONDS: "-1" })).toThrow(/INCIDENT_UPDATE_INTERVAL_SECONDS/);
    expect(() => loadConfig({ INCIDENT_UPDATE_INTERVAL_SECONDS: "soon" })).toThrow(/INCIDENT_UPDATE_INTERVAL_SECONDS/);
  });
});
