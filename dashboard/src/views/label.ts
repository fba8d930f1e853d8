import { api, describe } from "../api.js";
import { correctionOf, correctionText, noteCorrection } from "../corrections.js";
import { askLabel, modelAnswerText, type LabelTarget } from "../dialogs.js";
import { clock, h, onAction } from "../dom.js";
import type { Correction, LabelAnswer, Labelled, TicketView } from "../types.js";

// The "wrong?" control every view that shows a ticket puts on it (queue, offers, agent view, ticket view), and
// the tag that shows an agent's correction beside the model's answer.

/** What a view knows of a ticket: the model's answer in the ticket's own fields. */
export type Shown = Pick<TicketView, "ticket_id" | "subject" | "category" | "is_urgent" | "urgency_score"> & { correction?: Correction | null };

export const labelTarget = (t: Shown): LabelTarget => ({
  ticket_id: t.ticket_id,
  subject: t.subject,
  category: t.category,
  is_urgent: t.is_urgent,
  urgency_score: t.urgency_score,
  correction: correctionOf(t.ticket_id) ?? t.correction ?? null,
});

/**
 * Opens the dialog for `t` and POSTs /tickets/{id}/label; the server's error (404, 409, 422, …) stays in the
 * dialog for the user to read. Resolves with the server's answer once saved, null when cancelled.
 */
export async function correctTicket(t: Shown): Promise<Labelled | null> {
  let answer: Labelled | null = null;
  const saved = await askLabel(labelTarget(t), async (label) => {
    try {
      answer = labelled(t.ticket_id, await api<LabelAnswer>("POST", `/tickets/${encodeURIComponent(t.ticket_id)}/label`, label));
      noteCorrection(answer.ticket_id, answer.correction);
      return null;
    } catch (err) {
      return describe(err);
    }
  });
  return saved ? answer : null;
}

/** Either answer of the label route as one shape: the correction, and the model's answer beside it. */
export function labelled(ticketId: string, r: LabelAnswer): Labelled {
  if ("model" in r && r.model && typeof r.model === "object") return { ticket_id: r.ticket_id ?? ticketId, correction: r.correction, model: r.model };
  const t = r as TicketView & { correction: Correction };
  return {
    ticket_id: t.ticket_id ?? ticketId,
    correction: t.correction,
    model: { category: t.category, urgency_score: t.urgency_score, model: t.model, heads_version: t.heads_version },
  };
}

/** "Corrected E2E-1 to Legal · not urgent (the model said Technical, urgency 0.72 by transformer, heads v1)." */
export function correctedText(r: Labelled): string {
  const m = r.model;
  const said = [
    m.category ?? "",
    typeof m.urgency_score === "number" ? `urgency ${m.urgency_score.toFixed(2)}` : "",
  ].filter(Boolean).join(", ");
  const by = [m.model ?? "", m.heads_version ? `heads ${m.heads_version}` : ""].filter(Boolean).join(", ");
  return `Corrected ${r.ticket_id} to ${correctionText(r.correction)}${said ? ` (the model said ${said}${by ? ` by ${by}` : ""})` : ""}.`;
}

/** A small "wrong?" button for a ticket row; `ticket` gives the row's ticket as it is now. */
export function wrongButton(ticket: () => Shown | undefined, done: (r: Labelled) => void): HTMLButtonElement {
  const button = h("button", { type: "button", class: "small wrong" }, "wrong?");
  onAction(button, async () => {
    const t = ticket();
    if (!t) return;
    const r = await correctTicket(t);
    if (r) done(r);
  });
  return button;
}

/** The accessible name of a row's "wrong?" button (its visible text first). */
export const wrongLabel = (t: Pick<Shown, "ticket_id" | "subject">): string => `wrong? Correct the model's label of “${t.subject}” (${t.ticket_id})`;

/** The tag beside the model's answer; hidden until the ticket has a correction. */
export const fixTag = (): HTMLElement => h("span", { class: "fix-tag", hidden: true });

/**
 * Shows the ticket's correction (if any) in `el`'s .fix-tag, and marks the model's category / urgent tags it
 * overrides (struck through; the correction's text says what is right).
 */
export function showCorrection(el: HTMLElement, t: Shown): void {
  const c = correctionOf(t.ticket_id) ?? t.correction ?? null;
  const tag = el.querySelector<HTMLElement>(".fix-tag");
  if (tag) {
    tag.hidden = !c;
    const text = c ? `corrected: ${correctionText(c)}` : "";
    if (tag.textContent !== text) tag.textContent = text;
    tag.title = c ? `An agent corrected this at ${clock(c.corrected_at)}; the model said ${modelAnswerText(t)}` : "";
  }
  const cat = el.querySelector<HTMLElement>(".cat");
  if (cat) cat.dataset.overridden = String(!!c?.category && c.category !== t.category);
  const urgent = el.querySelector<HTMLElement>(".urgent-tag");
  if (urgent) urgent.dataset.overridden = String(c?.urgent === false && !!t.is_urgent);
}
