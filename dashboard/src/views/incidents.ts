import { api, describe } from "../api.js";
import { ago, byId, clock, h, onAction, setText, shortId, syncList } from "../dom.js";
import type { MasterIncident, Snapshot } from "../types.js";

/** Incidents: open and resolved, live ticket counts; a row opens to its linked ticket ids; Resolve. */
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
    const seen = expanded.get(inc.incident_id);
    if (seen !== undefined && seen !== -1 && seen !== inc.ticket_count) void loadDetails(el, inc.incident_id);
  };

  return (s) => {
    setText(byId("incidents-open"), String(s.metrics.open_incidents_count));
    setText(byId("incidents-total"), String(s.metrics.master_incidents_count));
    syncList(list, s.incidents, (i) => i.incident_id, create, update);
    empty.hidden = s.incidents.length > 0;
  };
}
