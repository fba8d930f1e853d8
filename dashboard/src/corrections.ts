import type { Category, Correction } from "./types.js";

// Agents' corrections the page knows of, by ticket id: from the activity log's ticket_relabelled events (any
// agent's, ledger.ts), GET /tickets/{id} and this page's own POST /tickets/{id}/label answers. GET /queue and
// the offers do not carry corrections, so the views look them up here. A ticket has one correction; the newest wins.

const known = new Map<string, Correction>();

const CATEGORIES: readonly string[] = ["Billing", "Technical", "Legal"];

/** Records a correction unless one recorded later is known already. Ignores anything not shaped like one. */
export function noteCorrection(ticketId: string, c: unknown): void {
  if (!c || typeof c !== "object") return;
  const raw = c as Record<string, unknown>;
  if (typeof raw.corrected_at !== "string") return;
  const next: Correction = { corrected_at: raw.corrected_at };
  if (typeof raw.category === "string" && CATEGORIES.includes(raw.category)) next.category = raw.category as Category;
  if (typeof raw.urgent === "boolean") next.urgent = raw.urgent;
  if (next.category === undefined && next.urgent === undefined) return;
  const old = known.get(ticketId);
  if (old && Date.parse(old.corrected_at) > Date.parse(next.corrected_at)) return;
  known.set(ticketId, next);
}

export const correctionOf = (ticketId: string): Correction | null => known.get(ticketId) ?? null;

/** "Legal · not urgent": what a correction says, for a tag beside the model's answer. */
export function correctionText(c: Pick<Correction, "category" | "urgent">): string {
  const parts: string[] = [];
  if (c.category) parts.push(c.category);
  if (c.urgent !== undefined) parts.push(c.urgent ? "urgent" : "not urgent");
  return parts.join(" · ");
}
