import { api, describe } from "../api.js";
import { correctionOf, correctionText, noteCorrection } from "../corrections.js";
import { byId, clock, h, onAction, onSubmit, setText, shortId, syncList } from "../dom.js";
import type { SimilarItem, SimilarTickets, Snapshot, TicketLookup, TicketView } from "../types.js";
import { correctedText, correctTicket, showCorrection, wrongLabel } from "./label.js";

const STORAGE_KEY = "smart-support.ticket-view";
/** Similar tickets listed. */
const SIMILAR = 5;

/** GET /tickets/{id} for the Ticket view's poll; a 404 (or any error) is the view's to show, not the page's. */
export async function loadTicket(id: string): Promise<TicketLookup> {
  try {
    const ticket = await api<TicketView>("GET", `/tickets/${encodeURIComponent(id)}`);
    noteCorrection(id, ticket.correction);
    return { ticket_id: id, ticket, error: null };
  } catch (err) {
    return { ticket_id: id, ticket: null, error: describe(err) };
  }
}

export interface TicketPanel {
  render: (s: Snapshot) => void;
  /** The ticket shown, or null. */
  selected: () => string | null;
  /** Shows a ticket (from the other views' "details" buttons) and moves focus to the view. */
  show: (ticketId: string) => void;
}

/**
 * Ticket: one ticket by id — its text, status, the model's answer and an agent's correction beside it, "wrong?",
 * and the tickets most similar to it (GET /tickets/{id}/similar: recent ones and labelled examples).
 */
export function setupTicket(refresh: () => Promise<void>): TicketPanel {
  const form = byId<HTMLFormElement>("tv-form");
  const input = byId<HTMLInputElement>("tv-input");
  const msg = byId("tv-msg");
  const none = byId("tv-none");
  const detail = byId("tv-detail");
  const heading = byId("tv-subject");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };
  let selected: string | null = sessionStorage.getItem(STORAGE_KEY) || null;
  let current: TicketView | null = null;
  if (selected) input.value = selected;

  const select = (id: string | null) => {
    selected = id;
    if (id) sessionStorage.setItem(STORAGE_KEY, id);
    else sessionStorage.removeItem(STORAGE_KEY);
    input.value = id ?? "";
    current = null;
    say("");
    return refresh();
  };

  onSubmit(form, async () => {
    const id = input.value.trim();
    if (!id) {
      say("Enter a ticket id.", true);
      input.setAttribute("aria-invalid", "true");
      return;
    }
    input.removeAttribute("aria-invalid");
    await select(id);
  });

  onAction(byId<HTMLButtonElement>("tv-wrong"), async () => {
    if (!current) return;
    const r = await correctTicket(current);
    if (r) {
      say(correctedText(r));
      await refresh();
    }
  });

  // Similar tickets: read when the ticket is shown, and again once it is processed or its correction changes.
  const similarList = byId("tv-similar-list");
  const similarMsg = byId("tv-similar-msg");
  let similarFor = "";
  let similarToken = 0;
  const loadSimilar = async (id: string) => {
    const token = ++similarToken;
    similarMsg.classList.remove("error");
    setText(similarMsg, "Loading…");
    try {
      const r = await api<SimilarTickets>("GET", `/tickets/${encodeURIComponent(id)}/similar?limit=${SIMILAR}`);
      if (token !== similarToken) return;
      const items = Array.isArray(r) ? r : (r.items ?? []);
      syncList(similarList, items, (i) => i.ticket_id, createSimilar, updateSimilar);
      setText(similarMsg, items.length ? "" : "No similar tickets: none recent, none labelled.");
    } catch (err) {
      if (token !== similarToken) return;
      similarList.replaceChildren();
      similarMsg.classList.add("error");
      setText(similarMsg, describe(err));
    }
  };

  const createSimilar = (i: SimilarItem) => {
    const open = h("button", { type: "button", class: "small open mono", title: i.ticket_id, "aria-label": `Show ticket ${i.ticket_id}` }, shortId(i.ticket_id, 20));
    open.addEventListener("click", () => {
      void select(i.ticket_id).then(() => heading.focus());
    });
    return h(
      "li",
      { class: "similar-item" },
      open,
      h("span", { class: "cos mono", title: "cosine similarity" }),
      h("span", { class: "cat" }),
      h("span", { class: "st" }),
      h("span", { class: "src" }),
      h("span", { class: "fix-tag" }),
    );
  };

  const updateSimilar = (el: HTMLElement, i: SimilarItem) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    el.dataset.source = i.source ?? "";
    setText(q(".cos"), `cos ${typeof i.cosine === "number" ? i.cosine.toFixed(3) : "—"}`);
    const cat = q(".cat");
    cat.hidden = !i.category;
    setText(cat, i.category ?? "");
    cat.dataset.cat = (i.category ?? "").toLowerCase();
    setText(q(".st"), i.status ?? "record expired");
    const src = q(".src");
    src.hidden = !i.source;
    setText(src, i.source ?? "");
    src.title = i.source === "labelled" ? "a corrected ticket, kept for learning" : i.source === "window" ? "a recent ticket (the dedup window)" : "";
    const fix = q(".fix-tag");
    fix.hidden = !i.correction;
    setText(fix, i.correction ? `corrected: ${correctionText(i.correction)}` : "");
  };

  const fill = (t: TicketView) => {
    current = t;
    setText(heading, t.subject || "(no subject)");
    const status = byId("tv-status");
    setText(status, t.status);
    status.dataset.status = t.status;
    const id = byId("tv-id");
    setText(id, t.ticket_id);
    const times = [`accepted ${clock(t.accepted_at)}`];
    if (t.processed_at) times.push(`processed ${clock(t.processed_at)}`);
    if (t.agent_id) times.push(`agent ${t.agent_id}`);
    if (t.incident_id) times.push(`incident ${shortId(t.incident_id, 14)}`);
    setText(byId("tv-times"), times.join(" · "));
    setText(byId("tv-body"), t.body);

    const cat = byId("tv-cat");
    cat.hidden = !t.category;
    setText(cat, t.category ?? "");
    cat.dataset.cat = (t.category ?? "").toLowerCase();
    byId("tv-urgent").hidden = !t.is_urgent;
    const how = t.category
      ? [
          t.urgency_score === undefined ? "" : `urgency ${t.urgency_score.toFixed(2)}`,
          t.model ? `by ${t.model}` : "",
          t.heads_version ? `heads ${t.heads_version}` : "",
        ]
          .filter(Boolean)
          .join(" · ")
      : `not scored yet (${t.status})`;
    setText(byId("tv-how"), how);
    const c = correctionOf(t.ticket_id) ?? t.correction ?? null;
    byId("tv-no-correction").hidden = !!c;
    setText(byId("tv-corrected-at"), c ? `at ${clock(c.corrected_at)}` : "");
    showCorrection(detail, t);
    byId("tv-wrong").setAttribute("aria-label", wrongLabel(t));

    const key = `${t.ticket_id}\u0000${t.processed_at ?? ""}\u0000${c?.corrected_at ?? ""}`;
    if (similarFor !== key) {
      if (!similarFor.startsWith(`${t.ticket_id}\u0000`)) similarList.replaceChildren();
      similarFor = key;
      void loadSimilar(t.ticket_id);
    }
  };

  const render = (s: Snapshot) => {
    none.hidden = selected !== null;
    if (!selected) {
      detail.hidden = true;
      return;
    }
    const lookup = s.ticket;
    if (!lookup || lookup.ticket_id !== selected) {
      detail.hidden = true;
      if (!msg.classList.contains("error")) say("Loading…");
      return;
    }
    if (!lookup.ticket) {
      detail.hidden = true;
      current = null;
      similarFor = "";
      say(lookup.error ?? "Not found.", true);
      return;
    }
    if (msg.textContent === "Loading…" || msg.classList.contains("error")) say("");
    detail.hidden = false;
    fill(lookup.ticket);
  };

  return {
    render,
    selected: () => selected,
    show: (ticketId) => {
      void select(ticketId).then(() => {
        byId("ticket-view").scrollIntoView({ block: "start" });
        (detail.hidden ? input : heading).focus({ preventScroll: true });
      });
    },
  };
}
