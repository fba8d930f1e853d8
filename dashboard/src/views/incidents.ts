import { api, describe } from "../api.js";
import { growthSteps, nextStep } from "../../../layers/core/domain/incident-growth.js";
import { ago, byId, clock, h, onAction, setText, shortId, syncList } from "../dom.js";
import type { GrowthNotice, MasterIncident, Snapshot } from "../types.js";

type StepState = "announced" | "due" | "next";
type LedgerGrowth = Snapshot["ledger"]["growth"];

/**
 * An incident's growth steps up to the next one ahead: announced (≤ last_update_step), reached but not
 * announced yet (held back by INCIDENT_UPDATE_INTERVAL_SECONDS until the next ticket joins), and the next.
 */
export function stepStates(inc: Pick<MasterIncident, "ticket_count" | "last_update_step">): { step: number; state: StepState }[] {
  return growthSteps(Math.max(nextStep(inc.ticket_count), inc.last_update_step)).map((step) => ({
    step,
    state: step <= inc.last_update_step ? "announced" : step <= inc.ticket_count ? "due" : "next",
  }));
}

const STATE_TEXT: Record<StepState, string> = { announced: "announced", due: "reached, not announced yet", next: "next step" };

/** The growth line: what was announced, when, and what comes next. */
function growthText(inc: MasterIncident): string {
  const parts: string[] = [];
  if (inc.last_update_step > 0) {
    parts.push(
      inc.last_update_at
        ? `Update sent for ${inc.last_update_step} tickets at ${clock(inc.last_update_at)} (${ago(inc.last_update_at)})`
        : `Created past ${inc.last_update_step} tickets: the creation alert announced it`,
    );
  } else parts.push("No growth update yet");
  const due = stepStates(inc).filter((s) => s.state === "due").pop();
  if (inc.status === "open") {
    if (due) parts.push(`${due.step} reached: sent when the next ticket joins after the update interval`);
    else parts.push(`next update at ${nextStep(inc.ticket_count)} tickets`);
  } else parts.push("resolved: no more updates");
  return parts.join(" · ");
}

const noticesText = (notices: readonly GrowthNotice[] | undefined): string =>
  notices?.length
    ? `Updates: ${notices.map((n) => `${n.step} at ${clock(n.ts)} (${n.ticket_count} tickets${n.previous_step ? `, after ${n.previous_step}` : ""})`).join(" · ")}`
    : "";

/** Incidents: open and resolved, live ticket counts and growth steps; a row opens to its linked ticket ids; Resolve. */
export function setupIncidents(refresh: () => void): (s: Snapshot) => void {
  const list = byId("incidents-list");
  const empty = byId("incidents-empty");
  const msg = byId("incidents-msg");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };
  /** Open rows, and the ticket count their linked-id list was loaded for. */
  const expanded = new Map<string, number>();
  /** incident_updated notices by incident, from the activity log. */
  let notices: LedgerGrowth = new Map();

  async function loadDetails(el: HTMLElement, id: string): Promise<void> {
    const box = el.querySelector(".details") as HTMLElement;
    try {
      const inc = await api<MasterIncident>("GET", `/incidents/${encodeURIComponent(id)}`);
      expanded.set(id, inc.ticket_count);
      const ids = h("ul", { class: "ids mono" });
      for (const t of inc.ticket_ids) ids.append(h("li", {}, t));
      box.replaceChildren(
        h("p", { class: "muted" }, `${inc.ticket_ids.length} linked tickets · root ${inc.root_ticket_id}${inc.agent_id ? ` · owner ${inc.agent_id}` : ""}`),
        ids,
      );
    } catch (err) {
      box.replaceChildren(h("p", { class: "error" }, describe(err)));
    }
  }

  const create = (inc: MasterIncident) => {
    const detailsId = `incident-details-${inc.incident_id.replace(/[^\w-]/g, "_")}`;
    const toggle = h(
      "button",
      { type: "button", class: "incident-toggle", "aria-expanded": "false", "aria-controls": detailsId },
      h("span", { class: "chev", "aria-hidden": "true" }, "▸"),
      h("span", { class: "summary" }),
    );
    const resolve = h("button", { type: "button", class: "resolve small" }, "Resolve");
    const el = h(
      "li",
      { class: "incident" },
      h("div", { class: "incident-row" }, toggle, resolve),
      h("div", { class: "meta" }, h("span", { class: "status-tag" }), " ", h("strong", { class: "count" }), " ", h("span", { class: "meta-text" })),
      h(
        "div",
        { class: "growth" },
        h("ol", { class: "steps" }),
        h("p", { class: "growth-text" }),
        h("p", { class: "notices" }),
      ),
      h("div", { class: "details", id: detailsId, hidden: true }),
    );
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      (el.querySelector(".details") as HTMLElement).hidden = !open;
      if (open) {
        expanded.set(inc.incident_id, -1);
        void loadDetails(el, inc.incident_id);
      } else expanded.delete(inc.incident_id);
    });
    onAction(resolve, async () => {
      try {
        const r = await api<MasterIncident>("POST", `/incidents/${encodeURIComponent(inc.incident_id)}/resolve`);
        say(`Resolved “${r.summary}” (${r.ticket_count} tickets).`);
        toggle.focus(); // the Resolve button goes away with the open state
        refresh();
      } catch (err) {
        say(describe(err), true);
      }
    });
    return el;
  };

  const update = (el: HTMLElement, inc: MasterIncident) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    el.dataset.status = inc.status;
    setText(q(".summary"), inc.summary);
    setText(q(".status-tag"), inc.status);
    setText(q(".count"), `${inc.ticket_count} ticket${inc.ticket_count === 1 ? "" : "s"}`);
    setText(
      q(".meta-text"),
      `· ${inc.category} · ${shortId(inc.incident_id)} · ${inc.agent_id ? `agent ${inc.agent_id}` : "no agent"} · since ${clock(inc.created_at)} (${ago(inc.created_at)})`,
    );
    const resolve = q(".resolve") as HTMLButtonElement;
    resolve.hidden = inc.status !== "open";
    resolve.setAttribute("aria-label", `Resolve incident “${inc.summary}”`);
    renderGrowth(el, inc, notices.get(inc.incident_id));
    const seen = expanded.get(inc.incident_id);
    if (seen !== undefined && seen !== -1 && seen !== inc.ticket_count) void loadDetails(el, inc.incident_id);
  };

  return (s) => {
    notices = s.ledger.growth;
    setText(byId("incidents-open"), String(s.metrics.open_incidents_count));
    setText(byId("incidents-total"), String(s.metrics.master_incidents_count));
    syncList(list, s.incidents, (i) => i.incident_id, create, update);
    empty.hidden = s.incidents.length > 0;
  };
}

function renderGrowth(el: HTMLElement, inc: MasterIncident, notices: readonly GrowthNotice[] | undefined): void {
  const steps = el.querySelector(".steps") as HTMLOListElement;
  steps.setAttribute("aria-label", `Growth steps of “${inc.summary}”`);
  const states = stepStates(inc);
  const key = states.map((s) => `${s.step}:${s.state}`).join(",");
  if (steps.dataset.key !== key) {
    steps.dataset.key = key;
    steps.replaceChildren(
      ...states.map(({ step, state }) =>
        h(
          "li",
          { "data-state": state, "data-step": step, title: `${step} tickets: ${STATE_TEXT[state]}` },
          h("span", { class: "mark", "aria-hidden": "true" }, state === "announced" ? "✓" : state === "due" ? "●" : "○"),
          String(step),
          h("span", { class: "sr-only" }, ` tickets, ${STATE_TEXT[state]}`),
        ),
      ),
    );
  }
  setText(el.querySelector(".growth-text") as HTMLElement, growthText(inc));
  setText(el.querySelector(".notices") as HTMLElement, noticesText(notices));
}
