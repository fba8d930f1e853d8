import type { RoutedTicket } from "./schemas.js";

export type WebhookFormat = "generic" | "slack" | "discord";
/** An incident as its webhooks tell it. */
export interface IncidentBrief {
  incident_id: string;
  summary: string;
  ticket_count: number;
  category: string;
  status?: "open" | "resolved";
  created_at?: string;
  resolved_at?: string;
}
export type WebhookIntent =
  | { kind: "high_urgency"; ticket: RoutedTicket }
  | { kind: "master_incident"; incident: IncidentBrief }
  /** The incident grew past a growth step (domain/incident-growth.ts); previous_step: the last one announced. */
  | { kind: "incident_update"; incident: IncidentBrief; step: number; previous_step: number }
  | { kind: "incident_resolved"; incident: IncidentBrief };

const RED = 0xd93f0b;
const AMBER = 0xfbca04;
const GREEN = 0x0e8a16;

const tickets = (n: number) => `${n} ticket${n === 1 ? "" : "s"}`;

function headline(intent: WebhookIntent): { title: string; text: string; color: number } {
  switch (intent.kind) {
    case "high_urgency": {
      const t = intent.ticket;
      return {
        title: `High-urgency ticket ${t.ticket_id}`,
        text: `${t.subject} — ${t.category}, urgency ${t.urgency_score.toFixed(2)} (priority ${t.priority_score}/10)`,
        color: RED,
      };
    }
    case "master_incident": {
      const i = intent.incident;
      return {
        title: `Master incident ${i.incident_id}`,
        text: `${i.summary} — ${i.ticket_count} similar ${i.category} tickets grouped`,
        color: RED,
      };
    }
    case "incident_update": {
      const i = intent.incident;
      return {
        title: `Incident ${i.incident_id} passed ${intent.step} tickets`,
        text: `${i.summary} — now ${tickets(i.ticket_count)} (${i.category})` +
          (intent.previous_step > 0 ? `, last update at ${intent.previous_step}` : ""),
        color: AMBER,
      };
    }
    case "incident_resolved": {
      const i = intent.incident;
      return {
        title: `Incident ${i.incident_id} resolved`,
        text: `${i.summary} — ${tickets(i.ticket_count)} (${i.category})${i.resolved_at ? `, resolved at ${i.resolved_at}` : ""}`,
        color: GREEN,
      };
    }
  }
}

/** The JSON body for one webhook, in the shape the receiving service expects (CONTRACT.md). */
export function formatWebhook(format: WebhookFormat, intent: WebhookIntent, sentAt: string): Record<string, unknown> {
  const { title, text, color } = headline(intent);
  switch (format) {
    case "slack":
      return {
        text: `${title}: ${text}`,
        blocks: [
          { type: "header", text: { type: "plain_text", text: title } },
          { type: "section", text: { type: "mrkdwn", text } },
          { type: "context", elements: [{ type: "mrkdwn", text: `Smart-Support · ${sentAt}` }] },
        ],
      };
    case "discord":
      return { content: title, embeds: [{ title, description: text, color, timestamp: sentAt }] };
    case "generic":
      switch (intent.kind) {
        case "high_urgency":
          return { type: intent.kind, ticket: intent.ticket, sent_at: sentAt };
        case "incident_update":
          return { type: intent.kind, incident: intent.incident, step: intent.step, previous_step: intent.previous_step, sent_at: sentAt };
        default:
          return { type: intent.kind, incident: intent.incident, sent_at: sentAt };
      }
  }
}
