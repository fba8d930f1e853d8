import { api, ApiError, describe } from "../api.js";
import { byId, onSubmit, setAttrs } from "../dom.js";
import type { Accepted } from "../types.js";

export const FLOOD_SUBJECT = "Checkout down";
export const FLOOD_BODY = "Checkout returns 503 for everyone.";

function message(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.classList.toggle("error", error);
}

/** Marks the inputs a 422 names ("body.subject", "body[3].body" → subject / body) as invalid. */
function markInvalid(form: HTMLFormElement, err: unknown, msgId: string): void {
  form.querySelectorAll("[aria-invalid]").forEach((el) => {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  });
  if (!(err instanceof ApiError)) return;
  for (const { field } of err.errors) {
    const name = field.split(".").pop()?.replace(/\[\d+\]$/, "") ?? "";
    const input = form.elements.namedItem(name);
    if (input instanceof HTMLElement) setAttrs(input, { "aria-invalid": "true", "aria-describedby": msgId });
  }
}

/** Submit: one ticket, a JSON batch, and a simulated flash flood. */
export function setupSubmit(refresh: () => void): void {
  const ticketForm = byId<HTMLFormElement>("ticket-form");
  const ticketMsg = byId("ticket-form-msg");
  onSubmit(ticketForm, async () => {
    const field = (name: string) => (ticketForm.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement).value;
    const id = field("ticket_id").trim();
    const body = { subject: field("subject"), body: field("body"), ...(id ? { ticket_id: id } : {}) };
    try {
      const r = await api<Accepted>("POST", "/tickets", body);
      message(ticketMsg, `Accepted ${r.ticket_id} (job ${r.job_id}).`);
      markInvalid(ticketForm, null, "ticket-form-msg");
      ticketForm.reset();
      refresh();
    } catch (err) {
      message(ticketMsg, describe(err), true);
      markInvalid(ticketForm, err, "ticket-form-msg");
    }
  });

  const batchForm = byId<HTMLFormElement>("batch-form");
  const batchMsg = byId("batch-form-msg");
  const batchInput = byId<HTMLTextAreaElement>("batch-json");
  onSubmit(batchForm, async () => {
    let items: unknown;
    try {
      items = JSON.parse(batchInput.value);
    } catch (err) {
      message(batchMsg, `Not valid JSON: ${err instanceof Error ? err.message : String(err)}`, true);
      batchInput.setAttribute("aria-invalid", "true");
      return;
    }
    batchInput.removeAttribute("aria-invalid");
    try {
      const r = await api<{ accepted: Accepted[] }>("POST", "/tickets/batch", items);
      const ids = r.accepted.map((a) => a.ticket_id);
      message(batchMsg, `Accepted ${ids.length} ticket${ids.length === 1 ? "" : "s"}: ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""}.`);
      refresh();
    } catch (err) {
      message(batchMsg, describe(err), true);
    }
  });

  const floodForm = byId<HTMLFormElement>("flood-form");
  const floodMsg = byId("flood-form-msg");
  const floodN = byId<HTMLInputElement>("flood-n");
  onSubmit(floodForm, async () => {
    const n = Number(floodN.value);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      message(floodMsg, "N must be a whole number from 1 to 1000 (one batch).", true);
      floodN.setAttribute("aria-invalid", "true");
      return;
    }
    floodN.removeAttribute("aria-invalid");
    // Same subject and body, unique ids: the worker sees n near-identical tickets within seconds.
    const run = `FLOOD-${Date.now().toString(36)}`;
    const items = Array.from({ length: n }, (_, i) => ({ ticket_id: `${run}-${i + 1}`, subject: FLOOD_SUBJECT, body: FLOOD_BODY }));
    try {
      const r = await api<{ accepted: Accepted[] }>("POST", "/tickets/batch", items);
      message(floodMsg, `Sent ${r.accepted.length} tickets ${run}-1…${r.accepted.length}; watch Incidents.`);
      refresh();
    } catch (err) {
      message(floodMsg, describe(err), true);
    }
  });
}
