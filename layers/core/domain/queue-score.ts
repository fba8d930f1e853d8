// One sorted-set score carries both orders of DESIGN §4, so a single ZPOPMAX pops the right ticket:
// urgency S (4 decimals) in the high part, and the arrival sequence inverted in the low part so that
// among equal S the earlier ticket has the larger score. 10_001 × 2^39 < 2^53 keeps every score exact.

const SEQ_BITS = 2 ** 39;
export const MAX_SEQ = SEQ_BITS - 1;

export function queueScore(urgency: number, seq: number): number {
  if (!(urgency >= 0 && urgency <= 1)) throw new RangeError(`urgency ${urgency} outside [0,1]`);
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`sequence ${seq} out of range`);
  return Math.round(urgency * 10_000) * SEQ_BITS + (MAX_SEQ - seq);
}

export function decodeQueueScore(score: number): { urgency4: number; seq: number } {
  const high = Math.floor(score / SEQ_BITS);
  return { urgency4: high / 10_000, seq: MAX_SEQ - (score - high * SEQ_BITS) };
}
