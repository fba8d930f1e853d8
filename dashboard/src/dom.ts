// Tiny DOM helpers: build elements, and keep keyed lists in place so focus survives a refresh.

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

/** h("button", { class: "btn", type: "button" }, "Pop next") */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) el.removeAttribute(k);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

/** Sets text only when it changed (no needless layout, no screen-reader chatter). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

/**
 * Renders `items` into `list`, reusing the element of each key: an element is created once, updated on every
 * refresh and moved, never rebuilt, so a focused button inside it keeps focus while the data changes.
 */
export function syncList<T>(
  list: HTMLElement,
  items: readonly T[],
  key: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (el: HTMLElement, item: T) => void,
): void {
  const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement : null;
  const wanted = new Set(items.map(key));
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(list.children) as HTMLElement[]) {
    const k = child.dataset.key;
    if (k !== undefined && wanted.has(k)) existing.set(k, child);
    else child.remove();
  }
  items.forEach((item, i) => {
    const k = key(item);
    let el = existing.get(k);
    if (!el) {
      el = create(item);
      el.dataset.key = k;
    }
    update(el, item);
    const at = list.children[i] ?? null;
    if (at !== el) list.insertBefore(el, at);
  });
  // Moving a node blurs it; put focus back where the user left it.
  if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
}

/** A long id cut in the middle ("tkt_5a1b…9f3c2d"): both ends stay, so FLOOD-…-1 and FLOOD-…-12 stay apart. */
export const shortId = (id: string | null | undefined, max = 18): string =>
  !id ? "—" : id.length <= max ? id : `${id.slice(0, max - 7)}…${id.slice(-6)}`;

export function clock(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/** Time left until `iso` ("1 min 52 s", "40 s"); "" once it has passed. */
export function until(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  if (!(s > 0)) return "";
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * Runs a button's async action once at a time. The button is marked aria-disabled rather than disabled, so a
 * keyboard user's focus stays on it (a disabled button drops focus to <body>).
 */
export function onAction(button: HTMLButtonElement, action: () => Promise<void>): void {
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    try {
      await action();
    } finally {
      button.removeAttribute("aria-disabled");
    }
  });
}

/** The same for a form's submit: one submission in flight at a time. */
export function onSubmit(form: HTMLFormElement, action: () => Promise<void>): void {
  let running = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (running) return;
    running = true;
    form.setAttribute("aria-busy", "true");
    try {
      await action();
    } finally {
      running = false;
      form.removeAttribute("aria-busy");
    }
  });
}
