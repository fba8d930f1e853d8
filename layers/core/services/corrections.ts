import { randomUUID } from "node:crypto";
import { cleanedText } from "../domain/classification.js";
import type { CorrectionView, LabelIn, TicketWithCorrection } from "../domain/correction-schemas.js";
import { conflict, notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { getCorrections, parseCorrection, recordCorrection, type Correction } from "../store/corrections.js";
import { getTicketRecord } from "../store/tickets.js";
import { getTicket } from "./queue.js";

/** The ticket's id could be reused (expired, then submitted again) between reading it and labelling it. */
const ATTEMPTS = 3;

/**
 * Records an agent's correction of a processed ticket's label (README "Corrections and similar tickets"),
 * replacing an earlier one; ticket_relabelled (and, every LEARNING_RETRAIN_EVERY corrections, a retrain job
 * with retrain_requested) go out in the same script. Nothing is learned here: retraining runs in a worker.
 */
export async function labelTicket(rt: Runtime, ticketId: string, label: LabelIn): Promise<TicketWithCorrection> {
  for (let attempt = 1; ; attempt++) {
    const h = await getTicketRecord(rt, ticketId);
    if (!h.status) throw notFound(`Ticket '${ticketId}' not found`);
    const r = await recordCorrection(rt.redis, rt.keys, {
      ticket_id: ticketId,
      job_id: h.job_id ?? "",
      ...label,
      // What the model read: the correction is a label for that text (retraining's n-grams, the encoder).
      text: cleanedText({ subject: h.subject ?? "", body: h.body ?? "" }).text,
      corrected_at: new Date(),
      maxExamples: rt.config.LEARNING_MAX_EXAMPLES,
      retrainEvery: rt.config.LEARNING_RETRAIN_EVERY,
      retrainJobId: `retrain_${randomUUID()}`,
    });
    if (r.outcome === "missing") throw notFound(`Ticket '${ticketId}' not found`);
    if (r.outcome === "not_processed") {
      throw conflict(`Ticket '${ticketId}' is not processed yet (${r.status}): the model has not labelled it, so there is nothing to correct`);
    }
    if (r.outcome === "changed") {
      if (attempt < ATTEMPTS) continue;
      throw conflict(`Ticket '${ticketId}' changed while it was being labelled; try again`);
    }
    rt.bus.appended?.();
    // CONTRACT.md: the ticket with its correction (its own fields keep the model's answer).
    const ticket = await getTicket(rt, ticketId);
    return { ...ticket, correction: correctionView(parseCorrection(r.record)) };
  }
}

export const correctionView = (c: Correction): CorrectionView => ({
  ...(c.category !== undefined ? { category: c.category } : {}),
  ...(c.urgent !== undefined ? { urgent: c.urgent } : {}),
  corrected_at: c.corrected_at,
});

/** GET /tickets/{id}: the ticket (its fields carry the model's answer) and its correction, null when none. */
export async function getTicketWithCorrection(rt: Runtime, ticketId: string): Promise<TicketWithCorrection> {
  const [ticket, [c]] = await Promise.all([getTicket(rt, ticketId), getCorrections(rt, [ticketId])]);
  return { ...ticket, correction: c ? correctionView(c) : null };
}
