import { api, describe } from "../api.js";
import { confirmAction } from "../dialogs.js";
import { ago, byId, clock, h, onAction, setText, syncList } from "../dom.js";
import type { CorrectionsFigures, HeadsVersion, HeldoutFigures, Snapshot } from "../types.js";

const pct = (x: number | null | undefined) => (typeof x === "number" && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "—");
const num = (x: number | null | undefined, digits = 3) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "—");

const HELDOUT: [keyof HeldoutFigures, string, (x: number | null) => string][] = [
  ["category_accuracy", "Category accuracy", pct],
  ["category_macro_f1", "Category macro-F1", (x) => num(x)],
  ["urgency_accuracy", "Urgency accuracy", pct],
  ["urgency_auc", "Urgency AUC", (x) => num(x)],
];

/** "On 6 held-out corrected fields: 83.3% right (v1 50.0%) · fixed 2, broke 0 · p = 0.250" */
function correctionsText(c: CorrectionsFigures | undefined, basedOn: string | null | undefined): string {
  if (!c) return "";
  const was = basedOn ?? "the active version";
  return (
    `On ${c.fields} held-out corrected field${c.fields === 1 ? "" : "s"}: ${pct(c.accuracy)} right (${was} ${pct(c.current_accuracy)}) · ` +
    `log loss ${num(c.log_loss)} (${was} ${num(c.current_log_loss)}) · fixed ${c.fixed}, broke ${c.broken} · p = ${num(c.p_value)}`
  );
}

/** What the guard decided, in a word: the shipped heads, promoted, or refused. */
const verdict = (v: HeadsVersion): "shipped" | "promoted" | "refused" =>
  v.status === "refused" ? "refused" : v.source === "shipped" ? "shipped" : v.promoted ? "promoted" : "refused";
/** Scores tickets now (CONTRACT.md's `status`, else `active`). */
const isActive = (v: HeadsVersion, active: string): boolean => (v.status ? v.status === "active" : (v.active ?? v.version === active));

/**
 * Models: the heads versions (GET /models), newest first — source, when, corrections trained on, held-out
 * metrics, promoted or refused with the guard's reasons, which one is active — "Activate" on each inactive one
 * (after a confirmation) and "Retrain now" (POST /models/retrain: queued for a worker).
 */
export function setupModels(refresh: () => Promise<void>, reread: () => void): (s: Snapshot) => void {
  const list = byId("models-list");
  const empty = byId("models-empty");
  const msg = byId("models-msg");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };
  let active: string | null = null;

  onAction(byId<HTMLButtonElement>("retrain-btn"), async () => {
    try {
      const r = await api<{ job_id: string; status: string }>("POST", "/models/retrain");
      say(`Retrain ${r.status} (job ${r.job_id}): a worker fits it; the new version is listed here, active only if the guard promotes it.`);
      reread();
      await refresh();
    } catch (err) {
      say(describe(err), true);
    }
  });

  const activate = async (el: HTMLElement, v: HeadsVersion) => {
    const refused = verdict(v) === "refused";
    const ok = await confirmAction(
      `Activate ${v.version}?`,
      `Every worker scores new tickets with ${v.version}'s heads from now on${active ? ` instead of ${active}'s (activate ${active} again to roll back)` : ""}.` +
        (refused ? ` The guard refused it: ${v.reasons?.join("; ") || "no reason given"}.` : ""),
      `Activate ${v.version}`,
    );
    if (!ok) return;
    try {
      const r = await api<{ active: string; previous: string | null }>("POST", `/models/${encodeURIComponent(v.version)}/activate`);
      say(r.previous && r.previous !== r.active ? `${r.active} is active (was ${r.previous}).` : `${r.active} is active.`);
    } catch (err) {
      say(describe(err), true);
    }
    reread();
    await refresh();
    // The button is gone once its version is active: focus the version's heading, not <body>.
    (el.querySelector(".vname") as HTMLElement).focus();
  };

  /** Each row's version as the last read listed it. */
  const current = new WeakMap<HTMLElement, HeadsVersion>();

  const create = (v: HeadsVersion) => {
    const el: HTMLElement = h("li", { class: "version" });
    const button = h("button", { type: "button", class: "small activate" }, "Activate");
    onAction(button, () => activate(el, current.get(el) ?? v));
    const figures = h("dl", { class: "figures" });
    for (const [key, label] of HELDOUT) figures.append(h("div", { "data-key": key }, h("dt", {}, label), h("dd", { class: "mono" })));
    el.append(
      h(
        "div",
        { class: "version-top" },
        h("h3", { class: "vname", tabindex: -1 }),
        h("span", { class: "verdict" }),
        h("span", { class: "active-tag" }, "active"),
        button,
      ),
      h("p", { class: "meta vmeta" }),
      figures,
      h("p", { class: "meta corr-figs" }),
      h("ul", { class: "reasons" }),
    );
    return el;
  };

  const update = (el: HTMLElement, v: HeadsVersion) => {
    current.set(el, v);
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    const on = isActive(v, active ?? "");
    el.dataset.active = String(on);
    el.dataset.verdict = verdict(v);
    setText(q(".vname"), v.version);
    setText(q(".verdict"), verdict(v));
    q(".active-tag").hidden = !on;
    const button = q(".activate");
    button.hidden = on;
    button.setAttribute("aria-label", `Activate ${v.version}`);
    const meta = [
      v.source,
      v.created_at ? `created ${clock(v.created_at)} (${ago(v.created_at)})` : "",
      v.source === "shipped" ? "trained on the shipped tickets" : `${v.corrections} correction${v.corrections === 1 ? "" : "s"} trained on`,
      v.based_on ? `compared with ${v.based_on}` : "",
    ];
    const metaEl = q(".vmeta");
    setText(metaEl, meta.filter(Boolean).join(" · "));
    metaEl.title = v.created_at;
    for (const [key, , format] of HELDOUT) setText(q(`[data-key='${key}'] dd`), format(v.metrics?.heldout?.[key] ?? null));
    const corr = q(".corr-figs");
    setText(corr, correctionsText(v.metrics?.corrections, v.based_on));
    const reasons = q(".reasons");
    const shown = verdict(v) === "refused" ? (v.reasons ?? []) : [];
    const key = JSON.stringify(shown);
    if (reasons.dataset.key !== key) {
      reasons.dataset.key = key;
      reasons.setAttribute("aria-label", `Why the guard refused ${v.version}`);
      reasons.replaceChildren(...shown.map((r) => h("li", {}, r)));
    }
    reasons.hidden = shown.length === 0;
  };

  return (s) => {
    const m = s.models;
    if (m.error) say(`Could not read the versions: ${m.error}`, true);
    else if (msg.textContent?.startsWith("Could not read the versions")) say("");
    if (!m.list) return;
    active = m.list.active;
    setText(byId("models-active"), m.list.active);
    setText(byId("models-count"), String(m.list.versions.length));
    syncList(list, m.list.versions, (v) => v.version, create, update);
    empty.hidden = m.list.versions.length > 0;
  };
}
