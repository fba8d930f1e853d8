// An incident keeps people informed as it grows (README "Flash floods"): besides its creation alert, one
// update each time its ticket count crosses a growth step, at most once per INCIDENT_UPDATE_INTERVAL_SECONDS
// (Alertmanager's group_interval). The steps grow like a 1–2.5–5 decade series from 25:
//   25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, …
// so a flood is announced a handful of times however large it gets. The decision itself is taken in Redis
// (dedup-apply.lua, atomically with the link that changes the count), over the list `growthSteps` gives.

const MANTISSAS = [1, 2.5, 5] as const;
const FIRST_STEP = 25;
/** Beyond any ticket count an incident can hold: the list handed to the script stops here (and every step
 * prints as a plain integer in Lua and cjson, which write numbers with %.14g). */
export const MAX_GROWTH_STEP = 1e9;

/** The growth steps ≤ `upTo`, ascending. */
export function growthSteps(upTo: number = MAX_GROWTH_STEP): number[] {
  const steps: number[] = [];
  for (let decade = 1; ; decade *= 10) {
    for (const m of MANTISSAS) {
      const step = m * decade;
      if (step < FIRST_STEP) continue;
      if (step > upTo) return steps;
      steps.push(step);
    }
  }
}

/** The highest step a count has reached (0 below the first step). */
export function stepReached(count: number): number {
  let reached = 0;
  for (const step of growthSteps(count)) reached = step;
  return reached;
}

/** The first step above the count: the one that will be announced next. */
export function nextStep(count: number): number {
  return growthSteps(Math.max(FIRST_STEP, count * 10)).find((s) => s > count)!;
}

export interface GrowthState {
  /** Tickets in the incident now. */
  count: number;
  /** The step the last notice announced (0: only the creation alert, below the first step). */
  lastStep: number;
  /** When the last notice (creation or update) went out, ms since the epoch. */
  lastNoticeMs: number;
  nowMs: number;
  intervalMs: number;
}

/**
 * Whether an update is due now, and for which step: a step above the last announced one is reached and the
 * interval has passed since the last notice. Steps crossed inside the interval are not lost: the next growth
 * after it announces the highest step reached by then (several steps crossed meanwhile make one update).
 * dedup-apply.lua takes this same decision in Redis; this is its specification (test/unit/incident-growth).
 */
export function updateDue(s: GrowthState): number | null {
  const step = stepReached(s.count);
  if (step <= s.lastStep) return null;
  if (s.nowMs - s.lastNoticeMs < s.intervalMs) return null;
  return step;
}
