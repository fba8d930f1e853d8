import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { cleanedText, isHighUrgency, type Classification } from "../domain/classification.js";
import { queueScore } from "../domain/queue-score.js";
import type { TicketCleaning } from "../domain/schemas.js";
import type { BusEvent } from "../ports/event-bus.js";
import { decodeIntake } from "../ports/queue-port.js";
import type { ModelRuntime } from "../runtime.js";
import { getTicketRecords, storeProcessed, TICKET_STATUS, toRoutedTicket, type TicketRecord } from "../store/tickets.js";
import { routeTickets } from "./routing.js";

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
/** Queue aging (QUEUE_AGING_PER_HOUR): the ticket's priority grows from when it was accepted. */
const aging = (rt: ModelRuntime, h: TicketRecord) => ({ perHour: rt.config.QUEUE_AGING_PER_HOUR, acceptedAtMs: Date.parse(h.accepted_at ?? "") });

/** A queue batch loaded and classified, waiting for dedup, storing and routing (`finishRecords`). */
export interface ClassifiedBatch {
  records: SQSRecord[];
  /** Every ticket of the batch with its record as loaded. */
  loaded: { id: string; h: TicketRecord }[];
  /** The tickets still waiting to be processed, with their cleaned text and classification. */
  waiting: { id: string; h: TicketRecord; text: string; cleaning: TicketCleaning; c: Classification }[];
}

/**
 * The classifier's pipeline for one queue batch (DESIGN §3): one classifier call for every ticket still
 * waiting, then dedup over the batch; each record is stored, queued and announced on its own, so one bad
 * record fails alone (batchItemFailures) and comes back; then the stored tickets are routed, most urgent
 * first.
 */
export async function processRecords(rt: ModelRuntime, records: SQSRecord[]): Promise<SQSBatchResponse> {
  return finishRecords(rt, await classifyRecords(rt, records));
}

/**
 * The first half of `processRecords`: load the batch's tickets (one round trip), clean and classify those
 * still waiting. It writes nothing, so the local worker classifies one batch while the one before it is
 * finished; a batch that never gets further just comes back.
 */
export async function classifyRecords(rt: ModelRuntime, records: SQSRecord[]): Promise<ClassifiedBatch> {
  const ids = new Set<string>();
  for (const r of records) {
    try {
      ids.add(decodeIntake(r.body).ticket_id);
    } catch {
      // Reported as this record's failure below; it reaches the dead-letter queue after its last receive.
    }
  }
  const idList = [...ids];
  const hashes = await getTicketRecords(rt, idList);
  const loaded = idList.map((id, i) => ({ id, h: hashes[i]! }));
  // At-least-once delivery: a ticket some earlier delivery already processed is skipped, not redone.
  const pending = loaded.filter(({ h }) => h.status === TICKET_STATUS.accepted);
  // The cleaned text (no quoted history, signatures, disclaimers, HTML, log dumps) is what the classifier and
  // dedup read; the ticket keeps its original subject and body, and records what cleaning removed.
  const cleaned = pending.map(({ h }) => cleanedText({ subject: h.subject ?? "", body: h.body ?? "" }));
  const results = await rt.classifier.classify(cleaned.map((c) => c.text));
  return {
    records,
    loaded,
    waiting: pending.map(({ id, h }, i) => ({
      id,
      h,
      text: cleaned[i]!.text,
      cleaning: { ...cleaned[i]!.removed, fallback: cleaned[i]!.fallback },
      c: results[i]!,
    })),
  };
}

/**
 * The second half: dedup over the batch, then each record stored, queued and announced on its own, then the
 * stored tickets routed. What it reports as failed (or everything, if it throws) must not be acked.
 */
export async function finishRecords(rt: ModelRuntime, batch: ClassifiedBatch): Promise<SQSBatchResponse> {
  const { records, loaded, waiting } = batch;
  const dedup = await rt.dedup.process(waiting.map(({ id, h, text, c }) => ({ ticket_id: id, subject: h.subject ?? "", text, classification: c })));
  const byId = new Map(waiting.map((w) => [w.id, { ...w, incident: dedup.incidentOf.get(w.id) }]));

  // Processed by an earlier delivery that failed before routing: routing is all that is left to do.
  const scores = new Map(
    loaded
      .filter(({ h }) => h.status === TICKET_STATUS.processed && !h.routed)
      .map(({ id, h }) => [id, queueScore(Number(h.urgency_score), Number(h.seq ?? 0), aging(rt, h))] as const),
  );

  const response = await processPartialResponse(
    { Records: records },
    async (record: SQSRecord) => {
      const { ticket_id } = decodeIntake(record.body);
      const job = byId.get(ticket_id);
      if (!job) return;
      const score = await finishTicket(rt, ticket_id, job.h, job.c, job.incident, job.cleaning);
      if (score !== undefined) scores.set(ticket_id, score);
    },
    new BatchProcessor(EventType.SQS),
    { throwOnFullBatchFailure: false },
  );
  // The dedup and store scripts appended this batch's events to the outbox: deliver them.
  rt.bus.appended?.();
  try {
    await routeTickets(rt, [...scores.keys()], scores);
  } catch (err) {
    // Stored but not routed: every record comes back, and its redelivery routes what is left.
    rt.logger.error("routing failed; the batch will be redelivered", { error: err as Error });
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  return response;
}

/** Stores, queues and announces one ticket; its queue score when this delivery stored it. */
async function finishTicket(
  rt: ModelRuntime,
  ticketId: string,
  h: TicketRecord,
  c: Classification,
  incidentId: string | undefined,
  cleaning: TicketCleaning,
): Promise<number | undefined> {
  const s = round4(c.urgency_score);
  const fields: Record<string, string> = {
    category: c.category,
    urgency_score: String(s),
    model: c.model,
    probabilities: JSON.stringify(c.probabilities),
    processed_at: new Date().toISOString(),
    cleaning: JSON.stringify(cleaning),
  };
  // The dedup script has already written the link; repeating it keeps this ticket's record whole.
  if (incidentId) fields.incident_id = incidentId;
  // Which heads version scored it (the transformer only): a retrained version's effect can be traced per ticket.
  if (c.heads_version) fields.heads_version = c.heads_version;
  const score = queueScore(s, Number(h.seq ?? 0), aging(rt, h));
  const ticket = toRoutedTicket({ ...h, ...fields, status: "processed" });
  const events: BusEvent[] = [
    {
      type: "ticket_processed",
      data: {
        ticket_id: ticketId,
        category: ticket.category,
        urgency_score: s,
        priority_score: ticket.priority_score,
        is_urgent: ticket.is_urgent,
        model: c.model,
        heads_version: c.heads_version ?? null,
        incident_id: incidentId ?? null,
      },
    },
  ];
  // A ticket in a master incident is covered by the incident's one alert.
  if (isHighUrgency(s) && !incidentId) {
    // The delivery id is derived from the ticket, so a redelivered record cannot alert twice under two ids.
    events.push({ type: "webhook.high_urgency", data: { delivery_id: `high_urgency:${ticketId}`, ticket } });
  }
  // Stored, queued and announced in one script: the events are in the outbox once it returns "stored".
  const outcome = await storeProcessed(rt.redis, rt.keys, ticketId, score, fields, events);
  if (outcome !== "stored") return undefined;
  await testPause(rt, ticketId);
  return score;
}

/**
 * Fault tests (TEST_PAUSE_AFTER_STORE=<ticket id>) freeze the worker right after that ticket is stored, so a
 * SIGKILL lands between storing and everything after it (routing, acknowledging the queue record).
 */
async function testPause(rt: ModelRuntime, ticketId: string) {
  if (rt.config.TEST_PAUSE_AFTER_STORE !== ticketId) return;
  rt.logger.warn("test hook: paused after storing", { ticket_id: ticketId });
  await new Promise(() => {});
}
