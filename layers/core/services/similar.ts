import { cleanedText } from "../domain/classification.js";
import type { SimilarItem, SimilarOut } from "../domain/correction-schemas.js";
import type { Category } from "../domain/schemas.js";
import { topByCosine } from "../domain/similar.js";
import { AppError, conflict, notFound } from "../errors.js";
import type { ModelRuntime } from "../runtime.js";
import { getCorrection, getCorrections, setCorrectionEmbeddings, type StoredCorrection } from "../store/corrections.js";
import { getTicketRecord, getTicketRecords, toTicketView, type TicketRecord } from "../store/tickets.js";
import { correctionVectorsOf } from "./correction-vectors.js";

/**
 * GET /tickets/{id}/similar (README "Corrections and similar tickets"): the tickets most like this one by the
 * cosine of their embeddings, among the dedup window's (recent tickets) and the corrections' (labelled
 * examples, kept far longer). Both sets are in-memory copies brought up to date first, so a request fetches
 * from Redis only what changed and the few records it answers with.
 */
export async function similarTickets(rt: ModelRuntime, ticketId: string, limit: number): Promise<SimilarOut> {
  const [h, own] = await Promise.all([getTicketRecord(rt, ticketId), getCorrection(rt, ticketId)]);
  // A labelled ticket stays known past its record's TTL: its correction keeps its text and embedding.
  if (!h.status && !own) throw notFound(`Ticket '${ticketId}' not found`);
  const labelled = correctionVectorsOf(rt);
  await Promise.all([rt.dedup.sync(), labelled.sync(rt)]);
  const window = rt.dedup.embeddingWindow();

  const query = window.get(ticketId) ?? own?.embedding ?? (await embed(rt, ticketId, h, own));
  // Its correction waited for an embedding and we hold it now: keep it (only an empty slot is filled).
  if (own && !own.embedding) await setCorrectionEmbeddings(rt, [{ ticket_id: ticketId, embedding: query }]);

  const tagged = function* () {
    for (const e of window.entries()) yield { ...e, source: "window" as const };
    for (const e of labelled.entries()) yield { ...e, source: "labelled" as const };
  };
  // Window first: a labelled ticket still in the window is listed once, as a recent one.
  const ranked = topByCosine(query, tagged(), limit, new Set([ticketId]));
  const ids = ranked.map((r) => r.candidate.id);
  const [records, corrections] = await Promise.all([getTicketRecords(rt, ids), getCorrections(rt, ids)]);
  const items: SimilarItem[] = ranked.map(({ candidate, cosine }, i) => {
    const rec = records[i]!;
    const c = corrections[i] ?? null;
    return {
      ticket_id: candidate.id,
      cosine: Math.round(cosine * 10_000) / 10_000,
      category: (rec.category as Category | undefined) ?? c?.model.category ?? null,
      status: rec.status ? toTicketView({ ...rec, ticket_id: candidate.id }).status : null,
      source: candidate.source,
      correction: c ? { ...(c.category !== undefined ? { category: c.category } : {}), ...(c.urgent !== undefined ? { urgent: c.urgent } : {}) } : null,
    };
  });
  return items;
}

/** The ticket's embedding from its cleaned text, through the breaker like every encoder call. */
async function embed(rt: ModelRuntime, ticketId: string, h: TicketRecord, own: StoredCorrection | null): Promise<Float32Array> {
  if (!own && h.processed_at === undefined) {
    throw conflict(`Ticket '${ticketId}' is not processed yet (${h.status}): it has no embedding to compare`);
  }
  const text = own?.text ?? cleanedText({ subject: h.subject ?? "", body: h.body ?? "" }).text;
  const [c] = await rt.classifier.classify([text]);
  if (!c?.embedding) {
    throw new AppError(503, `The model is unavailable (circuit breaker open) and ticket '${ticketId}' has no stored embedding; try again later`);
  }
  return c.embedding;
}
