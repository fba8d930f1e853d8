import { isUrgent, priorityScore } from "../domain/classification.js";
import { TicketCleaning, type Category, type ModelName, type RoutedTicket, type TicketStatus, type TicketView } from "../domain/schemas.js";
import type { Keys } from "./keys.js";
import type { RedisPort } from "./redis-port.js";

export { markQueued } from "./lua/mark-queued.js";
export { reserveTickets, type Reservation, type ReserveResult } from "./lua/reserve-tickets.js";
export { storeProcessed, type StoreOutcome } from "./lua/store-processed.js";

/**
 * Tickets: one Redis hash per ticket at keys.ticket(id) (the id percent-encoded, store/keys.ts). This
 * module owns the hash's fields and statuses and turns records into the API's views; the scripts that
 * write tickets (reserve-tickets, store-processed, mark-queued, pop-ticket, the assignment scripts) are
 * re-exported here or from the record module they belong to.
 */
export const TICKET_STATUS = {
  accepted: "accepted",
  processed: "processed",
  popped: "popped",
  resolved: "resolved",
} as const;

/**
 * The hash's fields, as stored. "assigned" and "offered" are not stored statuses: a processed ticket with an
 * agent_id, or with a pending offer.
 */
export type TicketRecord = Partial<
  Record<
    | "ticket_id" | "payload_hash" | "job_id" | "subject" | "body" | "customer_id" | "status" | "accepted_at" | "seq"
    | "send_lease_ms" | "queued" | "category" | "urgency_score" | "model" | "probabilities" | "processed_at"
    | "incident_id" | "agent_id" | "charged" | "assigned_at" | "routed" | "popped_at" | "cleaning"
    // The heads version that scored it (store/head-versions.ts; absent when the baseline did).
    | "heads_version"
    // Offers (store/offers.ts): the last offer's agent, status (pending, accepted, rejected, expired,
    // withdrawn), times; the agents who rejected it or let it expire (JSON array); when it was resolved.
    | "offer_agent_id" | "offer_status" | "offered_at" | "offer_expires_at" | "offer_expires_ms" | "declined" | "resolved_at",
    string
  >
>;

type Store = { redis: RedisPort; keys: Keys };

export const getTicketRecord = (s: Store, id: string): Promise<TicketRecord> => s.redis.hgetall(s.keys.ticket(id));
export const getTicketRecords = (s: Store, ids: string[]): Promise<TicketRecord[]> => s.redis.hgetallMany(ids.map(s.keys.ticket));
/** Routed: a redelivered intake record of this ticket has nothing left to do. */
export const markRouted = (s: Store, id: string) => s.redis.hset(s.keys.ticket(id), { routed: "1" });
/** Lets a client's retry resend the intake record at once instead of waiting out the lease. */
export const releaseSendLease = (s: Store, id: string) => s.redis.hset(s.keys.ticket(id), { send_lease_ms: "0" });

const orNull = (v: string | undefined) => (v === undefined || v === "" ? null : v);

export function toTicketView(h: TicketRecord): TicketView {
  const view: TicketView = {
    ticket_id: h.ticket_id ?? "",
    subject: h.subject ?? "",
    body: h.body ?? "",
    customer_id: orNull(h.customer_id),
    status: viewStatus(h),
    job_id: h.job_id ?? "",
    accepted_at: h.accepted_at ?? "",
  };
  if (h.processed_at === undefined) return view;
  const cleaning = parseCleaning(h.cleaning);
  return { ...view, ...processedFields(h), ...(cleaning ? { cleaning } : {}), ...(h.heads_version ? { heads_version: h.heads_version } : {}) };
}

function viewStatus(h: TicketRecord): TicketStatus {
  if (h.status === TICKET_STATUS.processed && h.agent_id) return "assigned";
  if (h.status === TICKET_STATUS.processed && h.offer_status === "pending") return "offered";
  return (h.status ?? "accepted") as TicketStatus;
}

/** What text cleaning removed (a JSON field; absent on tickets processed before it was recorded). */
function parseCleaning(raw: string | undefined): TicketCleaning | undefined {
  if (!raw) return undefined;
  try {
    return TicketCleaning.parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

function processedFields(h: TicketRecord) {
  const s = Number(h.urgency_score);
  return {
    category: h.category as Category,
    urgency_score: s,
    is_urgent: isUrgent(s),
    priority_score: priorityScore(s),
    incident_id: orNull(h.incident_id),
    agent_id: orNull(h.agent_id),
    model: h.model as ModelName,
    processed_at: h.processed_at ?? "",
  };
}

export function toRoutedTicket(h: TicketRecord): RoutedTicket {
  return {
    ticket_id: h.ticket_id ?? "",
    subject: h.subject ?? "",
    body: h.body ?? "",
    customer_id: orNull(h.customer_id),
    accepted_at: h.accepted_at ?? "",
    ...processedFields(h),
  };
}

/** Waiting in the queue (processed, with or without an agent). */
export const isQueued = (h: TicketRecord) => h.status === TICKET_STATUS.processed;
