import { correctionText } from "./corrections.js";
import { byId } from "./dom.js";
import type { Category, Correction, LabelIn } from "./types.js";

/**
 * Opens one of index.html's <dialog>s modally (focus moves into it, Escape cancels, Tab stays inside) and
 * resolves with what the user chose. Focus goes back to where it was. `value` may be async (the form is busy
 * meanwhile, a second submit ignored) and may answer undefined to keep the dialog open (it showed why).
 */
function runDialog<T>(
  dialogId: string,
  formId: string,
  cancelId: string,
  onOpen: () => HTMLElement,
  value: () => T | undefined | Promise<T | undefined>,
): Promise<T | null> {
  const dialog = byId<HTMLDialogElement>(dialogId);
  const form = byId<HTMLFormElement>(formId);
  const cancel = byId<HTMLButtonElement>(cancelId);
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    let settled = false;
    let busy = false;
    const done = (result: T | null) => {
      if (settled) return;
      settled = true;
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onCancel);
      form.removeAttribute("aria-busy");
      if (dialog.open) dialog.close();
      if (returnFocus?.isConnected) returnFocus.focus();
      resolve(result);
    };
    const onSubmit = async (e: SubmitEvent) => {
      e.preventDefault();
      if (busy) return;
      busy = true;
      form.setAttribute("aria-busy", "true");
      try {
        const v = await value();
        if (v !== undefined) done(v);
      } finally {
        busy = false;
        form.removeAttribute("aria-busy");
      }
    };
    const onCancel = () => done(null);
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("close", onCancel); // Escape
    dialog.showModal();
    onOpen().focus();
  });
}

/** An in-page yes/no question (window.confirm would block the page and the polling). */
export async function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  byId("confirm-title").textContent = title;
  byId("confirm-text").textContent = text;
  byId("confirm-ok").textContent = confirmLabel;
  const ok = await runDialog("confirm-dialog", "confirm-form", "confirm-cancel", () => byId("confirm-cancel"), () => true);
  return ok === true;
}

/** Asks for the API key; resolves null when the user cancels or leaves it empty. */
export function promptForKey(reason: string): Promise<string | null> {
  byId("key-reason").textContent = reason;
  const input = byId<HTMLInputElement>("key-input");
  input.value = "";
  return runDialog("key-dialog", "key-form", "key-cancel", () => input, () => input.value.trim() || null).then((k) => k ?? null);
}

/** What the "wrong?" dialog shows of a ticket: the model's answer, and the correction it has (if any). */
export interface LabelTarget {
  ticket_id: string;
  subject: string;
  category?: Category;
  is_urgent?: boolean;
  urgency_score?: number;
  correction: Correction | null;
}

/** "the model said Technical, urgent (0.91)": a ticket's model answer in words. */
export function modelAnswerText(t: Pick<LabelTarget, "category" | "is_urgent" | "urgency_score">): string {
  if (!t.category) return "not scored yet";
  const urgency = t.urgency_score === undefined ? "" : ` (urgency ${t.urgency_score.toFixed(2)})`;
  return `${t.category}, ${t.is_urgent ? "urgent" : "not urgent"}${urgency}`;
}

/**
 * The "wrong?" dialog: the right category and/or urgent yes/no for a ticket. `submit` sends it and answers
 * null when it worked, else the message to show: the dialog stays open with it. Resolves true once saved.
 */
export async function askLabel(t: LabelTarget, submit: (label: LabelIn) => Promise<string | null>): Promise<boolean> {
  const form = byId<HTMLFormElement>("label-form");
  const error = byId("label-error");
  error.textContent = "";
  form.onchange = () => (error.textContent = "");
  byId("label-text").textContent =
    `“${t.subject}” (${t.ticket_id}): the model said ${modelAnswerText(t)}.` +
    (t.correction ? ` Corrected already to ${correctionText(t.correction)}: saving replaces that correction.` : "");
  byId("label-keep-category").textContent = t.category ? `Model was right (${t.category})` : "No change";
  byId("label-keep-urgent").textContent = t.category ? `Model was right (${t.is_urgent ? "urgent" : "not urgent"})` : "No change";
  const radios = (name: string) => Array.from(form.querySelectorAll<HTMLInputElement>(`input[type=radio][name=${name}]`));
  const check = (name: string, value: string) => {
    for (const r of radios(name)) r.checked = r.value === value;
  };
  check("category", t.correction?.category ?? "");
  check("urgent", t.correction?.urgent === undefined ? "" : String(t.correction.urgent));
  const picked = (name: string) => radios(name).find((r) => r.checked)?.value ?? "";

  const saved = await runDialog(
    "label-dialog",
    "label-form",
    "label-cancel",
    () => radios("category").find((r) => r.checked) ?? byId("label-cancel"),
    async () => {
      const category = picked("category");
      const urgent = picked("urgent");
      const label: LabelIn = {
        ...(category ? { category: category as Category } : {}),
        ...(urgent ? { urgent: urgent === "true" } : {}),
      };
      if (label.category === undefined && label.urgent === undefined) {
        error.textContent = "Choose the right category, urgent yes or no, or both.";
        return undefined;
      }
      error.textContent = "";
      const failed = await submit(label);
      if (failed) {
        error.textContent = failed;
        return undefined;
      }
      return true;
    },
  );
  return saved === true;
}
