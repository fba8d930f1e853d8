import type { RoutedTicket } from "./schemas.js";

export type WebhookFormat = "generic" | "slack" | "discord";
export type WebhookIntent =
  | { kind: "high_urgency"; ticket: RoutedTicket }
  | { kind: "master_incident"; incident: { incident_id: string; summary: string; ticket_count: number; category: string } };

const RED = 0xd93f0b;

function headline(intent: WebhookIntent): { title: string; text: string } {
  if (intent.kind === "high_urgency") {
    const t = intent.ticket;
    return {
      title: `High-urgency ticket ${t.ticket_id}`,
      text: `${t.subject} — ${t.category}, urgency ${t.urgency_score.toFixed(2)} (priority ${t.priority_score}/10)`,
    };
  }
  const i = intent.incident;
  return {
    title: `Master incident ${i.incident_id}`,
    text: `${i.summary} — ${i.ticket_count} similar ${i.category} tickets grouped`,
  };
}

/** The JSON body for one webhook, in the shape the receiving service expects (CONTRACT.md). */
export function formatWebhook(format: WebhookFormat, intent: WebhookIntent, sentAt: string): Record<string, unknown> {
  const { title, text } = headline(intent);
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
      return { content: title, embeds: [{ title, description: text, color: RED, timestamp: sentAt }] };
    case "generic":
      return intent.kind === "high_urgency"
        ? { type: intent.kind, ticket: intent.ticket, sent_at: sentAt }
        : { type: intent.kind, incident: intent.incident, sent_at: sentAt };
  }
}
