import { isUrgent, priorityScore } from "../domain/classification.js";
import type { Category, ModelName, RoutedTicket, TicketStatus, TicketView } from "../domain/schemas.js";

// Tickets are Redis hashes: strings in, typed views out. Absent fields mean null / not yet processed.

const orNull = (v: string | undefined) => (v === undefined || v === "" ? null : v);

export function toTicketView(h: Record<string, string>): TicketView {
  const view: TicketView = {
    ticket_id: h.ticket_id ?? "",
    subject: h.subject ?? "",
    body: h.body ?? "",
    customer_id: orNull(h.customer_id),
    // "assigned" is a processed ticket with an agent; the hash itself only says processed.
    status: (h.status === "processed" && h.agent_id ? "assigned" : (h.status ?? "accepted")) as TicketStatus,
    job_id: h.job_id ?? "",
    accepted_at: h.accepted_at ?? "",
  };
  if (h.processed_at === undefined) return view;
  return { ...view, ...processedFields(h) };
}

function processedFields(h: Record<string, string>) {
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

export function toRoutedTicket(h: Record<string, string>): RoutedTicket {
  return {
    ticket_id: h.ticket_id ?? "",
    subject: h.subject ?? "",
    body: h.body ?? "",
    customer_id: orNull(h.customer_id),
    accepted_at: h.accepted_at ?? "",
    ...processedFields(h),
  };
}
