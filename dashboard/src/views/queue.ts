import { api, describe } from "../api.js";
import { confirmAction } from "../dialogs.js";
import { byId, clock, h, onAction, setAttrs, setText, shortId, syncList } from "../dom.js";
import type { RoutedTicket, Snapshot } from "../types.js";
import { correctedText, fixTag, showCorrection, wrongButton, wrongLabel } from "./label.js";

/**
 * Queue: waiting tickets in pop order, queue/backlog sizes, "Pop next" and "Clear queue"; on each ticket
 * "details" (the Ticket view) and "wrong?" (correct the model's label).
 */
export function setupQueue(refresh: () => void, open: (ticketId: string) => void): (s: Snapshot) => void {
  const list = byId("queue-list");
  const empty = byId("queue-empty");
  const msg = byId("queue-msg");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };

  onAction(byId<HTMLButtonElement>("pop-btn"), async () => {
    try {
      const t = await api<RoutedTicket>("GET", "/tickets/next");
      say(`Popped ${t.ticket_id} — ${t.category}, urgency ${t.urgency_score.toFixed(2)}${t.agent_id ? `, agent ${t.agent_id}` : ""}.`);
      refresh();
    } catch (err) {
      say(describe(err), true);
    }
  });

  onAction(byId<HTMLButtonElement>("clear-btn"), async () => {
    const ok = await confirmAction(
      "Clear the queue?",
      "Every waiting ticket, its assignment and the backlog are removed; agents' loads go back to 0.",
      "Clear queue",
    );
    if (!ok) return;
    try {
      await api("DELETE", "/queue");
      say("Queue cleared.");
      refresh();
    } catch (err) {
      say(describe(err), true);
    }
  });

  /** Each row's ticket as the last poll listed it (the row's buttons act on that). */
  const shown = new WeakMap<HTMLElement, RoutedTicket>();

  const create = () => {
    const el: HTMLElement = h("li", { class: "ticket" });
    const details = h("button", { type: "button", class: "small show-details" }, "details");
    details.addEventListener("click", () => {
      const t = shown.get(el);
      if (t) open(t.ticket_id);
    });
    const wrong = wrongButton(
      () => shown.get(el),
      (r) => {
        say(correctedText(r));
        refresh();
      },
    );
    el.append(
      h("div", { class: "ticket-top" }, h("span", { class: "subject" }), h("span", { class: "cat" }), h("span", { class: "urgent-tag" }, "urgent"), fixTag()),
      h(
        "div",
        { class: "urgency" },
        h("span", { class: "bar", role: "meter", "aria-valuemin": 0, "aria-valuemax": 1 }, h("span", { class: "fill" })),
        h("span", { class: "num mono" }),
        h("span", { class: "row-actions" }, details, wrong),
      ),
      h("div", { class: "meta" }, h("span", { class: "tid mono" }), h("span", { class: "inc" }), h("span", { class: "agent" }), h("span", { class: "when" })),
    );
    return el;
  };

  const update = (el: HTMLElement, t: RoutedTicket) => {
    shown.set(el, t);
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    const tid = q(".tid");
    setText(tid, shortId(t.ticket_id, 20));
    tid.title = t.ticket_id;
    const cat = q(".cat");
    setText(cat, t.category);
    cat.dataset.cat = t.category.toLowerCase();
    q(".urgent-tag").hidden = !t.is_urgent;
    setText(q(".subject"), t.subject);
    const pct = Math.round(t.urgency_score * 100);
    const bar = q(".bar");
    setAttrs(bar, { "aria-valuenow": t.urgency_score.toFixed(2), "aria-label": `Urgency ${t.urgency_score.toFixed(2)}` });
    bar.dataset.level = t.urgency_score > 0.8 ? "high" : t.urgency_score >= 0.5 ? "mid" : "low";
    (q(".fill")).style.width = `${pct}%`;
    setText(q(".num"), t.urgency_score.toFixed(2));
    const inc = q(".inc");
    setText(inc, t.incident_id ? `incident ${shortId(t.incident_id, 14)}` : "no incident");
    inc.title = t.incident_id ?? "";
    setText(q(".agent"), t.agent_id ? `agent ${t.agent_id}` : "unassigned");
    setText(q(".when"), clock(t.processed_at));
    showCorrection(el, t);
    q(".show-details").setAttribute("aria-label", `details of “${t.subject}” (${t.ticket_id})`);
    q(".wrong").setAttribute("aria-label", wrongLabel(t));
  };

  return (s) => {
    setText(byId("queue-size"), String(s.metrics.queue_size));
    setText(byId("backlog-size"), String(s.metrics.backlog_size));
    syncList(list, s.queue, (t) => t.ticket_id, create, update);
    empty.hidden = s.queue.length > 0;
  };
}
