import { promptForKey } from "./dialogs.js";

// The API key lives in sessionStorage: it survives a reload, not the tab, and never lands in a URL.
const STORAGE_KEY = "smart-support.api-key";

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const forgetKey = (): void => sessionStorage.removeItem(STORAGE_KEY);

let pending: Promise<string | null> | null = null;

/** Asks for the API key once: calls that hit 401 together share one question. Null when the user cancels. */
export function askForKey(reason: string): Promise<string | null> {
  pending ??= promptForKey(reason).then((key) => {
    pending = null;
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    return key;
  });
  return pending;
}
