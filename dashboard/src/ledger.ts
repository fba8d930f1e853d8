import { apiPage } from "./api.js";
import { noteCorrection } from "./corrections.js";
import type { ActivityEvent, GrowthNotice, LedgerView, OfferCounts } from "./types.js";

// Offer outcomes, incident growth notices and agents' corrections (ticket_relabelled, into corrections.ts), counted from the activity log (GET /activity), which is the
// only place the API keeps them. The first poll reads the whole retained log (ACTIVITY_MAX_EVENTS, newest
// first, a page at a time); later polls read only what is newer than the newest event already counted, so a
// burst larger than the feed's first page is still counted once, and nothing is counted twice.

/** Entries per follow-up page, and pages per poll (the first poll: up to the default retention, 10,000). */
const PAGE = 1000;
const MAX_PAGES = 10;
/** Growth notices kept per incident (the newest). */
const MAX_NOTICES = 20;

/** Stream ids ("1718000000000-3") in order. */
function compareIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

const zero = (): OfferCounts => ({ offered: 0, accepted: 0, rejected: 0, expired: 0 });
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0) || 0);

/** Events after which the Models panel re-reads GET /models. */
const LEARNING = new Set(["retrain_requested", "heads_retrained", "model_version_activated"]);

const KIND: Record<string, keyof OfferCounts> = {
  ticket_offered: "offered",
  offer_accepted: "accepted",
  offer_rejected: "rejected",
  offer_expired: "expired",
};

export class Ledger {
  private newest: string | null = null;
  private since: string | null = null;
  private readonly offers = new Map<string, OfferCounts>();
  private readonly totals = zero();
  private readonly growth = new Map<string, GrowthNotice[]>();
  private learning = 0;

  /**
   * Counts what is new, given the first page of GET /activity (newest first) and its next page's path; follows
   * the next pages until it reaches an event already counted (or the start of the log).
   */
  async absorb(first: ActivityEvent[], next: string | null): Promise<void> {
    const fresh: ActivityEvent[] = [];
    const take = (events: ActivityEvent[]): boolean => {
      for (const e of events) {
        if (this.newest !== null && compareIds(e.id, this.newest) <= 0) return true;
        fresh.push(e);
      }
      return false;
    };
    let reached = take(first);
    for (let pages = 0; !reached && next && pages < MAX_PAGES; pages++) {
      const url = new URL(next, location.href);
      url.searchParams.set("limit", String(PAGE));
      const page = await apiPage<{ events: ActivityEvent[] }>(url.pathname + url.search);
      reached = take(page.body.events);
      next = page.next;
    }
    // Oldest first, so each incident's notices stay in order.
    for (let i = fresh.length - 1; i >= 0; i--) this.count(fresh[i]!);
    if (fresh[0]) this.newest = fresh[0].id;
    const oldest = fresh[fresh.length - 1];
    if (oldest && this.since === null) this.since = oldest.ts;
  }

  private count(e: ActivityEvent): void {
    const kind = KIND[e.type];
    if (kind) {
      const agent = typeof e.data.agent_id === "string" ? e.data.agent_id : "";
      let c = this.offers.get(agent);
      if (!c) this.offers.set(agent, (c = zero()));
      c[kind]++;
      this.totals[kind]++;
      return;
    }
    if (e.type === "incident_updated" && typeof e.data.incident_id === "string") {
      const list = this.growth.get(e.data.incident_id) ?? [];
      list.push({ ts: e.ts, step: num(e.data.step), previous_step: num(e.data.previous_step), ticket_count: num(e.data.ticket_count) });
      if (list.length > MAX_NOTICES) list.shift();
      this.growth.set(e.data.incident_id, list);
      return;
    }
    if (e.type === "ticket_relabelled" && typeof e.data.ticket_id === "string") {
      noteCorrection(e.data.ticket_id, e.data.correction);
      return;
    }
    if (LEARNING.has(e.type)) this.learning++;
  }

  view(): LedgerView {
    return { offers: this.offers, totals: { ...this.totals }, growth: this.growth, since: this.since, learning: this.learning };
  }
}
