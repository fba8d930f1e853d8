import { describe, expect, it } from "vitest";
import { formatWebhook, type WebhookIntent } from "../../layers/core/domain/webhook-format.js";

const at = "2026-01-01T00:10:00.000Z";
const incident = { incident_id: "INC-7", summary: "Checkout down", ticket_count: 57, category: "Technical", status: "open" as const };
const update: WebhookIntent = { kind: "incident_update", incident, step: 50, previous_step: 25 };
const resolved: WebhookIntent = {
  kind: "incident_resolved",
  incident: { ...incident, ticket_count: 61, status: "resolved", resolved_at: "2026-01-01T00:09:59.000Z" },
};

describe("incident update and resolve webhook bodies", () => {
  it("generic: the update carries type, the incident, the step and the previous step", () => {
    expect(formatWebhook("generic", update, at)).toEqual({
      type: "incident_update",
      incident,
      step: 50,
      previous_step: 25,
      sent_at: at,
    });
  });

  it("generic: the resolve carries type and the resolved incident", () => {
    expect(formatWebhook("generic", resolved, at)).toEqual({
      type: "incident_resolved",
      incident: { ...incident, ticket_count: 61, status: "resolved", resolved_at: "2026-01-01T00:09:59.000Z" },
      sent_at: at,
    });
  });

  it("slack: text and blocks name the incident, the step and the count", () => {
    const body = formatWebhook("slack", update, at) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.text).toBe("Incident INC-7 passed 50 tickets: Checkout down — now 57 tickets (Technical), last update at 25");
    expect(body.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]);
    expect(body.blocks[0]!.text!.text).toBe("Incident INC-7 passed 50 tickets");

    const done = formatWebhook("slack", resolved, at) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(done.text).toContain("Incident INC-7 resolved");
    expect(done.text).toContain("61 tickets");
    expect(done.blocks[0]!.text!.text).toBe("Incident INC-7 resolved");
  });

  it("slack: a first update does not mention a previous one", () => {
    const body = formatWebhook("slack", { ...update, step: 25, previous_step: 0 }, at) as { text: string };
    expect(body.text).not.toContain("last update");
  });

  it("discord: content and one embed, amber for an update and green for a resolve", () => {
    const body = formatWebhook("discord", update, at) as {
      content: string;
      embeds: { title: string; description: string; color: number; timestamp: string }[];
    };
    expect(body.content).toBe("Incident INC-7 passed 50 tickets");
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]).toMatchObject({ title: body.content, color: 0xfbca04, timestamp: at });
    expect(body.embeds[0]!.description).toContain("now 57 tickets");

    const done = formatWebhook("discord", resolved, at) as typeof body;
    expect(done.content).toBe("Incident INC-7 resolved");
    expect(done.embeds[0]).toMatchObject({ color: 0x0e8a16, timestamp: at });
    expect(done.embeds[0]!.description).toContain("61 tickets");
  });

  it("the creation alert keeps its bodies", () => {
    const created = { incident_id: "INC-7", summary: "Checkout down", ticket_count: 11, category: "Technical" };
    expect(formatWebhook("generic", { kind: "master_incident", incident: created }, at)).toEqual({ type: "master_incident", incident: created, sent_at: at });
    expect((formatWebhook("discord", { kind: "master_incident", incident: created }, at) as { content: string }).content).toBe("Master incident INC-7");
  });
});
