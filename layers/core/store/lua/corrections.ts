import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

// Typed wrappers of the corrections' scripts; their replies are decoded here and nowhere else.
const recordScript = loadLua("record-correction");
const getScript = loadLua("corrections-get");
const pageScript = loadLua("corrections-page");
const changesScript = loadLua("correction-changes");
const embeddingsScript = loadLua("correction-embeddings");

export interface CorrectionInput {
  ticket_id: string;
  /** The ticket's job_id as read with the text: the script refuses if the ticket is another one by now. */
  job_id: string;
  category?: string;
  urgent?: boolean;
  /** The cleaned text (domain/classification.ts cleanedText). */
  text: string;
  corrected_at: Date;
  maxExamples: number;
  retrainEvery: number;
  /** Names the retrain job if this correction queues one. */
  retrainJobId: string;
}

export type RecordOutcome =
  | { outcome: "recorded"; record: string; replaced: boolean; retrain_job_id: string | null }
  | { outcome: "missing" }
  /** The ticket's job_id is not the caller's: the id names another ticket by now (expired, submitted again). */
  | { outcome: "changed" }
  | { outcome: "not_processed"; status: string };

/** Records (or replaces) a ticket's correction: record-correction.lua. Bad arguments throw; nothing is written. */
export async function recordCorrection(redis: RedisPort, keys: Keys, c: CorrectionInput): Promise<RecordOutcome> {
  const reply = (
    await redis.run<string[]>(
      recordScript,
      [
        keys.ticket(c.ticket_id),
        keys.corrections,
        keys.correctionEmbeddings,
        keys.correctionOrder,
        keys.correctionChanges,
        keys.correctionState,
        keys.retrainJobs,
        keys.outbox,
      ],
      [
        c.ticket_id,
        c.job_id,
        c.category ?? "",
        c.urgent === undefined ? "" : String(c.urgent),
        c.text,
        c.corrected_at.toISOString(),
        c.maxExamples,
        c.retrainEvery,
        c.retrainJobId,
      ],
    )
  ).map(String);
  const [code, a = "", b = "", d = ""] = reply;
  if (code === "recorded") return { outcome: "recorded", record: a, replaced: b === "1", retrain_job_id: d || null };
  if (code === "not_processed") return { outcome: "not_processed", status: a };
  if (code === "missing") return { outcome: "missing" };
  if (code === "changed") return { outcome: "changed" };
  throw new Error(`record-correction refused its arguments: ${a || reply.join(" ")}`);
}

/** Record JSON and embedding ("" = none) of each id, in order (corrections-get.lua). */
export async function getCorrectionRows(redis: RedisPort, keys: Keys, ids: string[], withEmbeddings: boolean): Promise<{ record: string; embedding: string }[]> {
  if (ids.length === 0) return [];
  const flat = (await redis.run<string[]>(getScript, [keys.corrections, keys.correctionEmbeddings], [withEmbeddings ? "1" : "0", ...ids])).map(String);
  return ids.map((_, i) => ({ record: flat[2 * i] ?? "", embedding: flat[2 * i + 1] ?? "" }));
}

/** Up to `count` corrections recorded after seq `after`, oldest first (corrections-page.lua). */
export async function correctionsPage(redis: RedisPort, keys: Keys, after: number, count: number): Promise<{ seq: number; record: string; embedding: string }[]> {
  const flat = (await redis.run<string[]>(pageScript, [keys.correctionOrder, keys.corrections, keys.correctionEmbeddings], [after, count])).map(String);
  const out: { seq: number; record: string; embedding: string }[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) out.push({ seq: Number(flat[i]), record: flat[i + 1]!, embedding: flat[i + 2]! });
  return out;
}

export interface CorrectionChange {
  ticket_id: string;
  /** Its place in the order (what dropping goes by). */
  record_seq: number;
  change_seq: number;
  embedding: string;
}

/** What changed after change seq `after`, and the smallest record seq still kept (correction-changes.lua). */
export async function correctionChanges(
  redis: RedisPort,
  keys: Keys,
  after: number,
  count: number,
): Promise<{ minRecordSeq: number | null; changes: CorrectionChange[] }> {
  const flat = (await redis.run<string[]>(changesScript, [keys.correctionChanges, keys.correctionOrder, keys.correctionEmbeddings], [after, count])).map(String);
  const changes: CorrectionChange[] = [];
  for (let i = 1; i + 3 < flat.length; i += 4) {
    changes.push({ ticket_id: flat[i]!, record_seq: Number(flat[i + 1]), change_seq: Number(flat[i + 2]), embedding: flat[i + 3]! });
  }
  return { minRecordSeq: flat[0] ? Number(flat[0]) : null, changes };
}

/** Fills in empty embeddings (correction-embeddings.lua); how many it filled. Bad arguments throw; nothing is written. */
export async function fillCorrectionEmbeddings(redis: RedisPort, keys: Keys, pairs: { ticket_id: string; embedding: string }[]): Promise<number> {
  if (pairs.length === 0) return 0;
  const reply = await redis.run<number | string[]>(
    embeddingsScript,
    [keys.corrections, keys.correctionEmbeddings, keys.correctionChanges, keys.correctionState],
    pairs.flatMap((p) => [p.ticket_id, p.embedding]),
  );
  if (Array.isArray(reply)) throw new Error(`correction-embeddings refused its arguments: ${String(reply[1])}`);
  return Number(reply);
}
