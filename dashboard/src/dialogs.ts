import { byId } from "./dom.js";

/**
 * Opens one of index.html's <dialog>s modally (focus moves into it, Escape cancels, Tab stays inside) and
 * resolves with what the user chose. Focus goes back to where it was.
 */
function runDialog<T>(dialogId: string, formId: string, cancelId: string, onOpen: () => HTMLElement, value: () => T): Promise<T | null> {
  const dialog = byId<HTMLDialogElement>(dialogId);
  const form = byId<HTMLFormElement>(formId);
  const cancel = byId<HTMLButtonElement>(cancelId);
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    const done = (result: T | null) => {
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onCancel);
      if (dialog.open) dialog.close();
      if (returnFocus?.isConnected) returnFocus.focus();
      resolve(result);
    };
    const onSubmit = (e: SubmitEvent) => {
      e.preventDefault();
      done(value());
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
