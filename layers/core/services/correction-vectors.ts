import { correctionChanges } from "../store/corrections.js";
import type { Keys } from "../store/keys.js";
import type { RedisPort } from "../store/redis-port.js";
import { unpackVector } from "./dedup/window-mirror.js";

type Store = { redis: RedisPort; keys: Keys };
type Entry = { recordSeq: number; changeSeq: number; vector: Float32Array | null };

const PAGE = 1_000;

/**
 * A process's copy of the corrections' embeddings, for GET /tickets/{id}/similar: up to LEARNING_MAX_EXAMPLES
 * vectors, which a request must not fetch from Redis each time (as the dedup window's mirror, DESIGN §5).
 * Each sync reads only what changed since the last one (correction-changes.lua); dropped corrections are the
 * oldest, so everything below the smallest record seq still kept is forgotten. A change applies only if it is
 * newer than what is held, so two syncs under way at once cannot put an older state back.
 */
export class CorrectionVectors {
  private readonly byId = new Map<string, Entry>();
  private lastChange = 0;

  async sync(s: Store): Promise<void> {
    let minRecordSeq: number | null = null;
    for (;;) {
      const page = await correctionChanges(s.redis, s.keys, this.lastChange, PAGE);
      minRecordSeq = page.minRecordSeq;
      for (const c of page.changes) {
        const held = this.byId.get(c.ticket_id);
        if (!held || held.changeSeq < c.change_seq) {
          this.byId.set(c.ticket_id, { recordSeq: c.record_seq, changeSeq: c.change_seq, vector: c.embedding ? unpackVector(c.embedding) : null });
        }
        this.lastChange = Math.max(this.lastChange, c.change_seq);
      }
      if (page.changes.length < PAGE) break;
    }
    for (const [id, e] of this.byId) if (minRecordSeq === null || e.recordSeq < minRecordSeq) this.byId.delete(id);
  }

  /** The corrections whose embeddings are known. */
  *entries(): Iterable<{ id: string; vector: Float32Array }> {
    for (const [id, e] of this.byId) if (e.vector) yield { id, vector: e.vector };
  }
}

// One copy per runtime (a warm Lambda or a local process keeps it between requests).
const copies = new WeakMap<object, CorrectionVectors>();
export function correctionVectorsOf(rt: object): CorrectionVectors {
  let copy = copies.get(rt);
  if (!copy) copies.set(rt, (copy = new CorrectionVectors()));
  return copy;
}
