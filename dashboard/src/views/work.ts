import { api, ApiError, describe, serial, serialIdle } from "../api.js";
import { byId, clock, h, onAction, setText, shortId, syncList } from "../dom.js";
import { noteCorrection } from "../corrections.js";
import type { Agent, AgentTickets, AgentWork, Labelled, RoutedTicket, Snapshot, TicketView } from "../types.js";
import { correctedText, fixTag, showCorrection, wrongButton, wrongLabel } from "./label.js";

/** Tickets shown (with their details) for the selected agent; the rest are counted. */
const SHOWN = 50;
const STORAGE_KEY = "smart-support.agent-view";

/**
 * Subjects, categories and scores do not change once a ticket is processed: each is fetched once. (A correction
 * can come later: corrections.ts follows those.)
 */
const details = new Map<string, TicketView>();

async function ticketDetails(id: string, queue: readonly RoutedTicket[]): Promise<TicketView> {
  const queued = queue.find((t) => t.ticket_id === id);
  if (queued) {
    const t: TicketView = { ...queued, status: "assigned" };
    details.set(id, t);
    return t;
  }
  const known = details.get(id);
  if (known) return known;
  const t = await api<TicketView>("GET", `/tickets/${encodeURIComponent(id)}`);
  noteCorrection(id, t.correction);
  details.set(id, t);
  return t;
}

/**
 * The selected agent's tickets (GET /agents/{id}/tickets, details by GET /tickets/{id} once each) and its next
 * (GET /agents/{id}/next, asked only when it holds tickets: a 404 there means none of them waits in the queue).
 * Runs through `serial`; while the page's own write is under way it keeps what it had rather than wait.
 */
export async function loadWork(agentId: string, queue: readonly RoutedTicket[], previous: AgentWork | null): Promise<AgentWork | null> {
  if (!serialIdle()) return previous?.agent_id === agentId ? previous : null;
  return serial(async () => {
    const path = `/agents/${encodeURIComponent(agentId)}`;
    const { ticket_ids } = await api<AgentTickets>("GET", `${path}/tickets?limit=1000`);
    let next: RoutedTicket | null = null;
    if (ticket_ids.length) {
      try {
        next = await api<RoutedTicket>("GET", `${path}/next`);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    const tickets = await Promise.all(ticket_ids.slice(0, SHOWN).map((id) => ticketDetails(id, queue)));
    for (const id of details.keys()) if (!ticket_ids.includes(id)) details.delete(id);
    tickets.sort((a, b) => (b.urgency_score ?? 0) - (a.urgency_score ?? 0) || a.ticket_id.localeCompare(b.ticket_id));
    return { agent_id: agentId, tickets, total: ticket_ids.length, next };
  });
}

export interface WorkView {
  render: (s: Snapshot) => void;
  /** The agent whose work to load, or null. */
  selected: () => string | null;
  /** Shows an agent's work (from the Agents list's "View" buttons) and moves focus to the picker. */
  show: (agentId: string) => void;
}

/** Agent view: pick an agent; its next ticket and the tickets assigned to it, each with details, wrong? and Resolve. */
export function setupWork(refresh: () => Promise<void>, open: (ticketId: string) => void): WorkView {
  const picker = byId<HTMLSelectElement>("work-agent");
  const body = byId("work-body");
  const none = byId("work-none");
  const list = byId("work-list");
  const msg = byId("work-msg");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };
  let selected: string | null = sessionStorage.getItem(STORAGE_KEY) || null;
  let shownFor: string | null = null;

  const select = (id: string | null) => {
    selected = id;
    if (id) sessionStorage.setItem(STORAGE_KEY, id);
    else sessionStorage.removeItem(STORAGE_KEY);
    picker.value = id ?? "";
    say("");
    void refresh();
  };
  picker.addEventListener("change", () => select(picker.value || null));

  const resolve = async (t: Pick<TicketView, "ticket_id" | "subject">) => {
    try {
      const r = await serial(() => api<TicketView>("POST", `/tickets/${encodeURIComponent(t.ticket_id)}/resolve`));
      say(`Resolved ${r.ticket_id} (“${r.subject}”).`);
    } catch (err) {
      say(describe(err), true);
    }
    await refresh();
    // The ticket and its button are gone: focus the list's heading, not <body>.
    byId("work-tickets-h").focus();
  };

  // The next ticket: one panel, updated in place.
  const nextBox = byId("work-next");
  const nextResolve = byId<HTMLButtonElement>("work-next-resolve");
  let nextTicket: RoutedTicket | null = null;
  onAction(nextResolve, async () => {
    if (nextTicket) await resolve(nextTicket);
  });
  const corrected = (r: Labelled) => {
    say(correctedText(r));
    void refresh();
  };
  const detailsButton = (ticket: () => Pick<TicketView, "ticket_id"> | null | undefined) => {
    const button = h("button", { type: "button", class: "small show-details" }, "details");
    button.addEventListener("click", () => {
      const t = ticket();
      if (t) open(t.ticket_id);
    });
    return button;
  };
  nextResolve.before(detailsButton(() => nextTicket), wrongButton(() => nextTicket ?? undefined, corrected));
  nextBox.querySelector(".ticket-top")?.append(fixTag());

  const create = (t: TicketView) => {
    const button = h("button", { type: "button", class: "small resolve" }, "Resolve");
    onAction(button, () => resolve(t));
    return h(
      "li",
      { class: "ticket work-ticket" },
      h(
        "div",
        { class: "ticket-top" },
        h("span", { class: "subject" }),
        h("span", { class: "next-tag" }, "next"),
        h("span", { class: "cat" }),
        h("span", { class: "urgent-tag" }, "urgent"),
        fixTag(),
      ),
      h(
        "div",
        { class: "work-row" },
        h("div", { class: "meta" }, h("span", { class: "tid mono" }), h("span", { class: "urg" }), h("span", { class: "inc" })),
        h("span", { class: "row-actions" }, detailsButton(() => t), wrongButton(() => t, corrected), button),
      ),
    );
  };

  const fill = (el: HTMLElement, t: TicketView | RoutedTicket, nextId: string | null) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    setText(q(".subject"), t.subject);
    const cat = q(".cat");
    cat.hidden = !t.category;
    setText(cat, t.category ?? "");
    cat.dataset.cat = (t.category ?? "").toLowerCase();
    q(".urgent-tag").hidden = !t.is_urgent;
    const tid = q(".tid");
    setText(tid, shortId(t.ticket_id, 20));
    tid.title = t.ticket_id;
    setText(q(".urg"), t.urgency_score === undefined ? "" : `urgency ${t.urgency_score.toFixed(2)}`);
    const inc = q(".inc");
    setText(inc, t.incident_id ? `incident ${shortId(t.incident_id, 14)}` : "");
    inc.title = t.incident_id ?? "";
    const tag = el.querySelector<HTMLElement>(".next-tag");
    if (tag) tag.hidden = t.ticket_id !== nextId;
    showCorrection(el, t);
    el.querySelector(".show-details")?.setAttribute("aria-label", `details of “${t.subject}” (${t.ticket_id})`);
    el.querySelector(".wrong")?.setAttribute("aria-label", wrongLabel(t));
  };

  const update = (nextId: string | null) => (el: HTMLElement, t: TicketView) => {
    fill(el, t, nextId);
    el.dataset.next = String(t.ticket_id === nextId);
    const button = el.querySelector(".resolve") as HTMLElement;
    button.setAttribute("aria-label", `Resolve ticket ${t.ticket_id} (“${t.subject}”)`);
  };

  const render = (s: Snapshot) => {
    const agents = [...s.agents].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    syncOptions(picker, agents, selected);
    if (selected && !agents.some((a) => a.agent_id === selected)) {
      selected = null;
      sessionStorage.removeItem(STORAGE_KEY);
    }
    const work = s.work && s.work.agent_id === selected ? s.work : null;
    none.hidden = selected !== null;
    body.hidden = selected === null;
    const agent = agents.find((a) => a.agent_id === selected);
    setText(byId("work-count"), work ? String(work.total) : "–");
    if (!selected || !agent) return;
    if (shownFor !== selected) {
      shownFor = selected;
      list.replaceChildren();
    }
    setText(byId("work-agent-line"), `${agent.display_name || agent.agent_id} · ${agent.status} · load ${agent.current_load} / ${agent.max_concurrent_tickets}`);
    if (!work) {
      setText(byId("work-loading"), "Loading…");
      return;
    }
    setText(byId("work-loading"), "");

    nextTicket = work.next;
    nextBox.hidden = !work.next;
    byId("work-next-empty").hidden = !!work.next;
    if (work.next) {
      fill(nextBox, work.next, null);
      setText(byId("work-next-when"), `processed ${clock(work.next.processed_at)}`);
      nextResolve.setAttribute("aria-label", `Resolve the next ticket, ${work.next.ticket_id} (“${work.next.subject}”)`);
    }
    syncList(list, work.tickets, (t) => t.ticket_id, create, update(work.next?.ticket_id ?? null));
    byId("work-empty").hidden = work.tickets.length > 0;
    const more = work.total - work.tickets.length;
    const moreEl = byId("work-more");
    moreEl.hidden = more <= 0;
    setText(moreEl, more > 0 ? `and ${more} more (the ${work.tickets.length} most urgent of the first ${SHOWN} by id are shown)` : "");
    const pending = s.offers.get(selected)?.length ?? 0;
    byId("work-offers").hidden = pending === 0;
    setText(byId("work-offers-n"), `${pending} pending offer${pending === 1 ? "" : "s"}`);
  };

  return {
    render,
    selected: () => selected,
    show: (agentId) => {
      select(agentId);
      byId("agent-view").scrollIntoView({ block: "start" });
      picker.focus({ preventScroll: true });
    },
  };
}

/** The picker's options: "Choose…" then one per agent, kept in place (and the choice with them). */
function syncOptions(picker: HTMLSelectElement, agents: Agent[], selected: string | null): void {
  const key = agents.map((a) => `${a.agent_id}\u0000${a.display_name}\u0000${a.status}`).join("\u0001");
  if (picker.dataset.key !== key) {
    picker.dataset.key = key;
    const focused = document.activeElement === picker;
    picker.replaceChildren(
      h("option", { value: "" }, agents.length ? "Choose an agent…" : "No agents registered yet"),
      ...agents.map((a) => h("option", { value: a.agent_id }, `${a.display_name || a.agent_id} (${a.agent_id})${a.status === "offline" ? " · offline" : ""}`)),
    );
    if (focused) picker.focus({ preventScroll: true });
  }
  const want = selected && agents.some((a) => a.agent_id === selected) ? selected : "";
  if (picker.value !== want) picker.value = want;
}
