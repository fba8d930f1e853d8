import { api, describe, serial } from "../api.js";
import { byId, clock, h, onAction, setText, shortId, syncList, until } from "../dom.js";
import type { Agent, Offer, OfferCounts, Snapshot, TicketView } from "../types.js";
import { correctedText, fixTag, showCorrection, wrongButton, wrongLabel } from "./label.js";

const agentName = (a: Agent) => a.display_name || a.agent_id;
const countsText = (c: OfferCounts | undefined) =>
  `accepted ${c?.accepted ?? 0} · rejected ${c?.rejected ?? 0} · expired ${c?.expired ?? 0}`;

/**
 * Offers (ROUTING_OFFERS): per agent, its pending offers with their deadlines and Accept / Reject, and how its
 * offers ended (accepted, rejected, expired), counted from the activity log. An offered ticket has "wrong?" too.
 */
export function setupOffers(refresh: () => Promise<void>): (s: Snapshot) => void {
  const list = byId("offers-list");
  const empty = byId("offers-empty");
  const msg = byId("offers-msg");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };

  /** Where focus goes once an answered offer's buttons are gone: the agent's next offer, else its heading. */
  const refocus = (agentEl: HTMLElement) => {
    const next = agentEl.querySelector<HTMLButtonElement>(".offer .accept");
    (next ?? (agentEl.querySelector(".agent-h") as HTMLElement)).focus();
  };

  let snapshot: Snapshot | null = null;

  const answer = async (agentEl: HTMLElement, agentId: string, o: Offer, verb: "accept" | "reject") => {
    let t: TicketView | null = null;
    try {
      t = await serial(() => api<TicketView>("POST", `/agents/${encodeURIComponent(agentId)}/offers/${encodeURIComponent(o.ticket_id)}/${verb}`));
    } catch (err) {
      say(describe(err), true);
    }
    await refresh();
    if (t) {
      // The answer names the ticket's agent once assigned, not the one it is offered to next: the offers say.
      const holder = [...(snapshot?.offers ?? new Map<string, Offer[]>()).entries()].find(([, l]) => l.some((x) => x.ticket_id === o.ticket_id))?.[0];
      say(
        verb === "accept"
          ? `${agentId} accepted ${o.ticket_id}: assigned to ${t.agent_id ?? agentId}.`
          : `${agentId} rejected ${o.ticket_id}: ${t.status === "offered" ? `offered to ${holder ?? "the next agent"}` : "waiting in the backlog for an agent who has not declined it"}.`,
      );
    }
    refocus(agentEl);
  };

  const createOffer = (agentEl: HTMLElement, agentId: string) => (o: Offer) => {
    const accept = h("button", { type: "button", class: "primary small accept" }, "Accept");
    const reject = h("button", { type: "button", class: "small reject" }, "Reject");
    onAction(accept, () => answer(agentEl, agentId, o, "accept"));
    onAction(reject, () => answer(agentEl, agentId, o, "reject"));
    const wrong = wrongButton(
      () => o.ticket,
      (r) => {
        say(correctedText(r));
        void refresh();
      },
    );
    return h(
      "li",
      { class: "offer ticket" },
      h("div", { class: "ticket-top" }, h("span", { class: "subject" }), h("span", { class: "cat" }), h("span", { class: "urgent-tag" }, "urgent"), fixTag()),
      h(
        "div",
        { class: "meta" },
        h("span", { class: "tid mono" }),
        h("span", { class: "urg" }),
        h("span", {}, "expires ", h("time", { class: "deadline" }), " ", h("span", { class: "left" })),
      ),
      h("div", { class: "actions" }, accept, reject, wrong),
    );
  };

  const updateOffer = (el: HTMLElement, o: Offer) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    const t = o.ticket;
    setText(q(".subject"), t.subject);
    const cat = q(".cat");
    setText(cat, t.category);
    cat.dataset.cat = t.category.toLowerCase();
    q(".urgent-tag").hidden = !t.is_urgent;
    const tid = q(".tid");
    setText(tid, shortId(o.ticket_id, 20));
    tid.title = o.ticket_id;
    setText(q(".urg"), `urgency ${t.urgency_score.toFixed(2)}`);
    const deadline = q(".deadline");
    deadline.setAttribute("datetime", o.expires_at);
    setText(deadline, clock(o.expires_at));
    const left = until(o.expires_at);
    setText(q(".left"), left ? `(in ${left})` : "(due now)");
    el.dataset.due = String(!left);
    const what = `offer of “${t.subject}” (${o.ticket_id})`;
    q(".accept").setAttribute("aria-label", `Accept ${what}`);
    q(".reject").setAttribute("aria-label", `Reject ${what}`);
    q(".wrong").setAttribute("aria-label", wrongLabel(t));
    showCorrection(el, t);
  };

  const createAgent = (a: Agent) => {
    const el = h(
      "li",
      { class: "offer-agent" },
      h("h3", { class: "agent-h", tabindex: -1 }, h("span", { class: "name" }), " ", h("span", { class: "aid mono" })),
      h("p", { class: "meta counts" }),
      h("ul", { class: "offers-of", "aria-label": `Pending offers of ${agentName(a)}` }),
      h("p", { class: "none" }, "No pending offers."),
    );
    return el;
  };

  const updateAgent = (el: HTMLElement, a: Agent) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    const s = snapshot!;
    setText(q(".name"), agentName(a));
    setText(q(".aid"), a.agent_id);
    el.dataset.status = a.status;
    const counts = s.ledger.offers.get(a.agent_id);
    setText(q(".counts"), countsText(counts));
    const pending = s.offers.get(a.agent_id) ?? [];
    el.dataset.pending = String(pending.length);
    syncList(q(".offers-of"), pending, (o) => o.ticket_id, createOffer(el, a.agent_id), updateOffer);
    q(".none").hidden = pending.length > 0;
  };

  return (s) => {
    snapshot = s;
    const pending = [...s.offers.values()].reduce((n, l) => n + l.length, 0);
    setText(byId("offers-pending"), String(pending));
    setText(byId("offers-accepted"), String(s.ledger.totals.accepted));
    setText(byId("offers-rejected"), String(s.ledger.totals.rejected));
    setText(byId("offers-expired"), String(s.ledger.totals.expired));
    const agents = [...s.agents].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    syncList(list, agents, (a) => a.agent_id, createAgent, updateAgent);
    empty.hidden = agents.length > 0;
    setText(
      byId("offers-note"),
      s.ledger.since
        ? `Accepted, rejected and expired: counted from the activity log since ${clock(s.ledger.since)}. Offers exist with ROUTING_OFFERS=true; otherwise tickets are assigned at once.`
        : "Offers exist with ROUTING_OFFERS=true; otherwise tickets are assigned at once.",
    );
  };
}
