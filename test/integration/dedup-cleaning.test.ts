import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import { cleanedText, ticketText } from "../../layers/core/domain/classification.js";
import { dot } from "../../layers/core/domain/vectors.js";
import { listIncidents } from "../../layers/core/services/incidents.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { processAll, testRuntimes } from "../support/pipeline.js";

// Text cleaning (README "Text cleaning") with the real model: what dedup compares is the customer's words,
// not the e-mail furniture around them.

const { runtime } = testRuntimes();


async function cosine(rt: LocalRuntime, a: string, b: string): Promise<number> {
  const [x, y] = await rt.classifier.classify([a, b]);
  expect(x!.model).toBe("transformer");
  return dot(x!.embedding!, y!.embedding!);
}

// 60 words of the same corporate disclaimer under two unrelated tickets.
const DISCLAIMER =
  "CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the sole use of the intended " +
  "recipient(s) and may contain confidential and privileged information. Any unauthorized review, use, disclosure " +
  "or distribution is prohibited. If you are not the intended recipient, please contact the sender by reply e-mail " +
  "and destroy all copies of the original message. Northwind Traders accepts no liability for any damage caused by this e-mail.";

const A = {
  ticket_id: "disc-a",
  subject: "Invoice charged twice",
  body: `Hello,\n\nOur March invoice was charged twice on the company card.\n\nBest regards,\nPriya Nair\nFinance, Northwind Traders\n\n${DISCLAIMER}`,
};
const B = {
  ticket_id: "disc-b",
  subject: "SSO login loop",
  body: `Hi,\n\nAfter the SAML change our users are stuck in a redirect loop on sign in.\n\nThanks,\nTom Becker\nIT, Northwind Traders\n\n${DISCLAIMER}`,
};

describe("dedup reads the cleaned text", () => {
  it("keeps two different tickets sharing a 60-word disclaimer apart", async () => {
    expect(DISCLAIMER.split(/\s+/).length).toBeGreaterThanOrEqual(60);
    const rt = runtime({ DEDUP_MIN_COUNT: "1" }); // two look-alikes would already make an incident
    const { DEDUP_SIM_THRESHOLD } = rt.config;
    const raw = await cosine(rt, ticketText(A), ticketText(B));
    const cleaned = await cosine(rt, cleanedText(A).text, cleanedText(B).text);
    expect(cleanedText(A).text).not.toMatch(/confidential|Priya/i);
    expect(cleaned).toBeLessThanOrEqual(DEDUP_SIM_THRESHOLD);
    expect(cleaned).toBeLessThan(raw);

    await processAll(rt, [A, B]);
    expect(await listIncidents(rt, 50)).toEqual([]);
    const a = await getTicket(rt, A.ticket_id);
    expect(a.body).toBe(A.body); // the ticket keeps what the customer sent
    expect(a.cleaning).toMatchObject({ disclaimer_lines: 1, signature_lines: 3, quoted_lines: 0 });
  });

  it("still groups a flood of the same problem sent under different signatures into one incident", async () => {
    const rt = runtime();
    const people = [
      ["Best regards,", "Maria Garcia", "Head of Ops, Contoso", "+34 600 000 001"],
      ["Thanks,", "John Smith"],
      ["Cheers,", "Ana", "Sent from my iPhone"],
      ["Kind regards,", "Dr. Klaus Weber", "Weber GmbH | Berlin", "www.weber.example"],
      ["Mit freundlichen Grüßen", "Jürgen Schmidt"],
      ["Cordialement,", "Claire Dubois", "Responsable IT"],
      ["--", "Li Wei | Platform team | li.wei@fabrikam.example", "This e-mail and any attachments are confidential."],
      ["Saludos,", "Lucía Fernández", "Enviado desde mi Android"],
      ["Regards,", "Sam O'Neil", "Customer Success Manager", "Tailspin Toys Ltd", "1 Main Street, Springfield"],
      ["Thank you,", "Olivia Brown", "", "DISCLAIMER: this message is intended only for the addressee and may contain legally privileged information."],
      ["Best,", "Kenji Tanaka", "CTO, Wingtip"],
      ["Met vriendelijke groet,", "Pieter de Vries", "Verzonden vanaf mijn iPad"],
    ];
    const flood = people.map((sig, i) => ({
      ticket_id: `sig-${i}`,
      subject: "Checkout down",
      body: `Hi team,\n\nCheckout returns 503 for everyone since this morning.\n\n${sig.join("\n")}`,
    }));
    await processAll(rt, flood);
    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.ticket_count).toBe(flood.length);
    for (const t of flood) expect((await getTicket(rt, t.ticket_id)).cleaning!.signature_lines).toBeGreaterThan(0);
  });
});
