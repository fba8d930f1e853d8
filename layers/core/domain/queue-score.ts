// One sorted-set score carries the whole order of DESIGN §4, so a single ZPOPMAX pops the right ticket.
//
// Without aging (the seed's order): urgency S (4 decimals) in the high part, and the arrival sequence
// inverted in the low part so that among equal S the earlier ticket has the larger score. 10_001 × 2^39 < 2^53
// keeps every score exact.
//
// With aging (QUEUE_AGING_PER_HOUR = a > 0): a ticket's priority is S + a × hours waited. At any instant every
// waiting ticket has waited "now − accepted", so ordering by S + a·(now − accepted) is ordering by
// S − a·accepted: a score fixed when the ticket is stored. No rescoring, no rescan: pops stay one ZPOPMAX,
// and an old S = 0.1 overtakes a fresh S = 0.9 once it has waited 0.8 / a hours longer.

const SEQ_BITS = 2 ** 39;
export const MAX_SEQ = SEQ_BITS - 1;
/** Hours are counted from here so aged scores stay small (exact to well under a millisecond of waiting). */
const AGING_EPOCH_MS = Date.UTC(2026, 0, 1);
const MS_PER_HOUR = 3_600_000;

export interface Aging {
  /** S-units a ticket gains per hour it waits (QUEUE_AGING_PER_HOUR); 0 = the seed's order. */
  perHour: number;
  acceptedAtMs: number;
}

export function queueScore(urgency: number, seq: number, aging?: Aging): number {
  if (!(urgency >= 0 && urgency <= 1)) throw new RangeError(`urgency ${urgency} outside [0,1]`);
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`sequence ${seq} out of range`);
  if (aging && aging.perHour > 0) {
    if (!Number.isFinite(aging.acceptedAtMs)) throw new RangeError(`acceptance time ${aging.acceptedAtMs} is not a time`);
    // Among equal S, the earlier acceptance (to the millisecond) has the larger score, as without aging.
    return Math.round(urgency * 10_000) / 10_000 - (aging.perHour * (aging.acceptedAtMs - AGING_EPOCH_MS)) / MS_PER_HOUR;
  }
  return Math.round(urgency * 10_000) * SEQ_BITS + (MAX_SEQ - seq);
}

export function decodeQueueScore(score: number): { urgency4: number; seq: number } {
  const high = Math.floor(score / SEQ_BITS);
  return { urgency4: high / 10_000, seq: MAX_SEQ - (score - high * SEQ_BITS) };
}
