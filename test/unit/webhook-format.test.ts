import { describe, expect, it } from "vitest";
import type { RoutedTicket } from "../../layers/core/domain/schemas.js";
import { formatWebhook } from "../../layers/core/domain/webhook-format.js";

const ticket: RoutedTicket = {
  ticket_id: "T-9",
  subject: "Checkout down",
  body: "503 for everyone",
  customer_id: null,
  category: "Technical",
  is_urgent: true,
  priority_score: 9,
  urgency_score: 0.91,
  incident_id: null,
  agent_id: null,
  model: "baseline",
  accepted_at: "2026-01-01T00:00:00.000Z",
  processed_at: "2026-01-01T00:00:01.000Z",
};
const at = "2026-01-01T00:00:02.000Z";

describe("webhook bodies", () => {
  it("generic carries type, the ticket and sent_at", () => {
    expect(formatWebhook("generic", { kind: "high_urgency", ticket }, at)).toEqual({ type: "high_urgency", ticket, sent_at: at });
  });
  it("generic incident carries the incident", () => {
    const incident = { incident_id: "INC-1", summary: "Checkout down", ticket_count: 11, category: "Technical" };
    expect(formatWebhook("generic", { kind: "master_incident", incident }, at)).toEqual({
      type: "master_incident",
      incident,
      sent_at: at,
    });
  });
  it("slack has text and blocks naming the ticket", () => {
    const body = formatWebhook("slack", { kind: "high_urgency", ticket }, at) as { text: string; blocks: unknown[] };
    expect(body.text).toContain("T-9");
    expect(body.text).toContain("Checkout down");
    expect(body.blocks.length).toBeGreaterThan(0);
  });
  it("discord has content and embeds", () => {
    const body = formatWebhook("discord", { kind: "high_urgency", ticket }, at) as {
      content: string;
      embeds: { title: string; description: string }[];
    };
    expect(body.content).toContain("T-9");
    expect(body.embeds[0]?.description).toContain("0.91");
  });
});
