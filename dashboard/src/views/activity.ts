import { byId, clock, h, setText, shortId, syncList } from "../dom.js";
import type { ActivityEvent, Snapshot } from "../types.js";

/** A one-line gist of an event's data: the ids and facts an operator scans for. */
export function gist(e: ActivityEvent): string {
  const d = e.data;
  const str = (k: string) => (typeof d[k] === "string" || typeof d[k] === "number" ? String(d[k]) : undefined);
  const parts: string[] = [];
  const obj = (k: string) => (d[k] && typeof d[k] === "object" ? (d[k] as Record<string, unknown>) : undefined);
  if (e.type === "ticket_relabelled") {
    // {ticket_id, correction, model, replaced}: what the model said → what the agent says is right.
    const c = obj("correction") ?? {};
    const m = obj("model") ?? {};
    const fixed = [typeof c.category === "string" ? c.category : "", typeof c.urgent === "boolean" ? (c.urgent ? "urgent" : "not urgent") : ""].filter(Boolean);
    return [
      `ticket ${shortId(str("ticket_id"))}`,
      `${typeof m.category === "string" ? m.category : "?"} → ${fixed.join(", ") || "?"}`,
      d.replaced === true ? "replaced a correction" : "",
    ]
      .filter(Boolean)
      .join(" · ");
  }
  if (str("version")) {
    // heads_retrained {version, promoted, reasons}, model_version_activated {version, previous}.
    parts.push(`version ${str("version")}`);
    if (typeof d.promoted === "boolean") parts.push(d.promoted ? "promoted" : "refused");
    if (str("previous")) parts.push(`was ${str("previous")}`);
    if (Array.isArray(d.reasons) && d.reasons.length) parts.push(d.reasons.map(String).join("; "));
    return parts.join(" · ");
  }
  if (e.type === "retrain_requested") return [str("reason") ? `reason ${str("reason")}` : "", str("job_id") ? `job ${shortId(str("job_id"))}` : ""].filter(Boolean).join(" · ");
  if (str("from") && str("to")) parts.push(`${str("from")} → ${str("to")}`);
  if (str("ticket_id")) parts.push(`ticket ${shortId(str("ticket_id"))}`);
  if (str("summary") ?? str("subject")) parts.push(`“${str("summary") ?? str("subject")}”`);
  if (str("incident_id")) parts.push(`incident ${shortId(str("incident_id"))}`);
  if (str("agent_id")) parts.push(`agent ${str("agent_id")}`);
  if (str("category")) parts.push(str("category")!);
  if (typeof d.urgency_score === "number") parts.push(`urgency ${d.urgency_score.toFixed(2)}`);
  if (str("model")) parts.push(`by ${str("model")}`);
  if (str("ticket_count")) parts.push(`${str("ticket_count")} tickets`);
  if (str("step")) parts.push(`step ${str("step")}${str("previous_step") && str("previous_step") !== "0" ? ` (after ${str("previous_step")})` : ""}`);
  if (str("expires_at")) parts.push(`until ${clock(str("expires_at"))}`);
  if (str("removed")) parts.push(`${str("removed")} removed`);
  if (str("status") && e.type === "agent_updated") parts.push(str("status")!);
  if (str("change")) parts.push(str("change")!);
  if (str("error")) parts.push(str("error")!);
  if (parts.length) return parts.join(" · ");
  const raw = JSON.stringify(d);
  return raw.length > 80 ? `${raw.slice(0, 79)}…` : raw;
}

/** Activity: the latest events, newest first. */
export function setupActivity(): (s: Snapshot) => void {
  const list = byId("activity-list");
  const empty = byId("activity-empty");
  const create = () =>
    h("li", { class: "event" }, h("time", { class: "when mono" }), h("span", { class: "type" }), h("span", { class: "data" }));
  const update = (el: HTMLElement, e: ActivityEvent) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    const when = q(".when");
    setText(when, clock(e.ts));
    when.setAttribute("datetime", e.ts);
    el.dataset.type = e.type;
    setText(q(".type"), e.type.replaceAll("_", " "));
    setText(q(".data"), gist(e));
  };
  return (s) => {
    syncList(list, s.activity, (e) => e.id, create, update);
    empty.hidden = s.activity.length > 0;
  };
}
