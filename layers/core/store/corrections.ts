import { z } from "zod";
import { ModelAnswer } from "../domain/correction-schemas.js";
import { Category } from "../domain/schemas.js";
import type { LabelledExample } from "../ml/learning/retrain.js";
import { EMBEDDING_DIM } from "../ml/dimensions.js";
// The dedup window's packing of vectors, so an embedding reads the same wherever it is kept.
import { packVector, unpackVector } from "../services/dedup/window-mirror.js";
import type { Keys } from "./keys.js";
import { correctionsPage, fillCorrectionEmbeddings, getCorrectionRows } from "./lua/corrections.js";
import type { RedisPort } from "./redis-port.js";

export { correctionChanges, recordCorrection, type CorrectionChange, type RecordOutcome } from "./lua/corrections.js";

/**
 * Agents' corrections of the model's labels (README "Corrections and similar tickets"): one per ticket, kept
 * past the ticket's own TTL and the dedup window, at most LEARNING_MAX_EXAMPLES (the oldest dropped). Keys
 * (store/keys.ts): keys.corrections (ticket id → record JSON), keys.correctionEmbeddings (ticket id → base64
 * float32), keys.correctionOrder and keys.correctionChanges (sorted sets by record seq and by last change),
 * keys.correctionState (seq, since_retrain). Only the scripts in lua/ (record-correction, correction-embeddings,
 * and the read-only corrections-get, corrections-page, correction-changes) touch them.
 *
 * Where the embedding comes from: NOT copied from the ticket. A processed ticket does not keep its embedding
 * (only the dedup window does, for DEDUP_WINDOW_SECONDS), and keeping it there would cost 2 KB on every
 * ticket hash for the ticket's whole life — paid by every read of a ticket (queue pages, pops, routing and
 * the worker's batch loads all read whole hashes) and by memory growing with traffic, not with corrections.
 * A correction is recorded with the cleaned text instead, and its embedding is filled in later
 * (setCorrectionEmbeddings) by whoever holds the encoder: the retrain worker before it fits, and
 * GET /tickets/{id}/similar for the ticket it looks up. The encoder is fixed (retraining changes only the
 * heads) and deterministic, so that is the vector the model scored the ticket with. Tickets scored by the
 * baseline while the breaker was open have no embedding at all, so this path is needed anyway.
 */
type Store = { redis: RedisPort; keys: Keys };

const CorrectionRecord = z.object({
  ticket_id: z.string(),
  category: Category.optional(),
  urgent: z.boolean().optional(),
  model: ModelAnswer,
  /** The cleaned text the model read (what retraining's n-grams and the encoder read). */
  text: z.string(),
  corrected_at: z.string(),
  seq: z.number(),
});
export type Correction = Omit<z.infer<typeof CorrectionRecord>, "seq">;
/** A correction with its embedding, null while it is not known yet. */
export type StoredCorrection = Correction & { embedding: Float32Array | null };

/** A stored record; a record that does not parse is a bug in the script that wrote it. */
export function parseCorrection(json: string): Correction {
  const { seq: _seq, ...c } = CorrectionRecord.parse(JSON.parse(json));
  return c;
}

const toStored = (record: string, embedding: string): StoredCorrection => ({
  ...parseCorrection(record),
  embedding: embedding ? unpackVector(embedding) : null,
});

/** The ticket's correction with its embedding, or null. */
export async function getCorrection(s: Store, ticketId: string): Promise<StoredCorrection | null> {
  const [row] = await getCorrectionRows(s.redis, s.keys, [ticketId], true);
  return row?.record ? toStored(row.record, row.embedding) : null;
}

/** The corrections of some tickets, without embeddings (null where a ticket has none). */
export async function getCorrections(s: Store, ticketIds: string[]): Promise<(Correction | null)[]> {
  const rows = await getCorrectionRows(s.redis, s.keys, ticketIds, false);
  return rows.map((r) => (r.record ? parseCorrection(r.record) : null));
}

const PAGE = 500;

/** Every correction, oldest first, embeddings decoded (null where not known yet). Read a page at a time. */
export async function listCorrections(s: Store): Promise<StoredCorrection[]> {
  // A correction replaced while we page moves to the end: the last sighting (its newest record) wins.
  const byId = new Map<string, StoredCorrection>();
  for (let after = 0; ; ) {
    const page = await correctionsPage(s.redis, s.keys, after, PAGE);
    for (const row of page) {
      const c = toStored(row.record, row.embedding);
      byId.delete(c.ticket_id);
      byId.set(c.ticket_id, c);
      after = row.seq;
    }
    if (page.length < PAGE) break;
  }
  return [...byId.values()];
}

/**
 * Fills in the embeddings of corrections recorded without one; a correction that has one keeps it (so a
 * late or repeated fill changes nothing). Returns how many were filled.
 */
export async function setCorrectionEmbeddings(s: Store, items: { ticket_id: string; embedding: Float32Array }[]): Promise<number> {
  for (const it of items) {
    if (it.embedding.length !== EMBEDDING_DIM) throw new Error(`embedding of '${it.ticket_id}' has ${it.embedding.length} values, expected ${EMBEDDING_DIM}`);
  }
  return fillCorrectionEmbeddings(s.redis, s.keys, items.map((it) => ({ ticket_id: it.ticket_id, embedding: packVector(it.embedding) })));
}

/** A correction as retraining reads it (ml/learning/retrain.ts), or null while its embedding is not known. */
export function asLabelledExample(c: StoredCorrection): LabelledExample | null {
  if (!c.embedding) return null;
  return {
    id: c.ticket_id,
    text: c.text,
    embedding: c.embedding,
    ...(c.category !== undefined ? { category: c.category } : {}),
    ...(c.urgent !== undefined ? { urgent: c.urgent } : {}),
  };
}
