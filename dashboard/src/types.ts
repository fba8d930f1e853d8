// The API's shapes, as ../shared/CONTRACT.md gives them (only the fields the dashboard reads).

export type Category = "Billing" | "Technical" | "Legal";

export interface RoutedTicket {
  ticket_id: string;
  subject: string;
  body: string;
  customer_id: string | null;
  category: Category;
  is_urgent: boolean;
  priority_score: number;
  urgency_score: number;
  incident_id: string | null;
  agent_id: string | null;
  model?: "transformer" | "baseline";
  accepted_at: string;
  processed_at: string;
}

/** Where a ticket is in its life (README "Offers and finishing work"). */
export type TicketStatus = "accepted" | "processed" | "offered" | "assigned" | "resolved" | "popped";

/** GET /tickets/{id} and the answers of resolve / accept / reject: a ticket with its status (fields partial until processed). */
export type TicketView = Partial<RoutedTicket> & {
  ticket_id: string;
  subject: string;
  body: string;
  status: TicketStatus;
  accepted_at: string;
  /** The heads version that scored it (absent when the baseline did, or not processed yet). */
  heads_version?: string;
  /** GET /tickets/{id} only: an agent's correction of the model's answer, null when none. */
  correction?: Correction | null;
};

/** An agent's correction of the model's label (README "Corrections and similar tickets"): one field or both. */
export interface Correction {
  category?: Category;
  urgent?: boolean;
  corrected_at: string;
}

/** POST /tickets/{id}/label's body: at least one of the two. */
export interface LabelIn {
  category?: Category;
  urgent?: boolean;
}

/** The model's answer a correction replaces, as the ticket recorded it. */
export interface ModelAnswer {
  category?: Category;
  urgency_score?: number;
  model?: "transformer" | "baseline";
  heads_version?: string;
}

/**
 * POST /tickets/{id}/label answers the ticket with its `correction` (CONTRACT.md; the ticket's own fields keep
 * the model's answer); an earlier draft answered `{ticket_id, correction, model: {…}}`. Both are read.
 */
export type LabelAnswer = (TicketView & { correction: Correction }) | { ticket_id: string; correction: Correction; model: ModelAnswer };

/** A saved correction and the model's answer beside it (either answer of the label route, normalised). */
export interface Labelled {
  ticket_id: string;
  correction: Correction;
  model: ModelAnswer;
}

/** GET /tickets/{id}/similar: one of the tickets most like this one, best first. */
export interface SimilarItem {
  ticket_id: string;
  cosine: number;
  /** The model's category; null if the ticket was never classified. */
  category: Category | null;
  /** Null when the ticket's record has expired (its correction is kept). */
  status: TicketStatus | null;
  /** window: a recent ticket (the dedup window); labelled: a corrected one. (Not in CONTRACT.md's minimum.) */
  source?: "window" | "labelled";
  correction?: Omit<Correction, "corrected_at"> | null;
}

/** GET /tickets/{id}/similar: a bare list, best first (CONTRACT.md); an earlier draft wrapped it in `{ticket_id, items}`. */
export type SimilarTickets = SimilarItem[] | { ticket_id: string; items: SimilarItem[] };

/** The Ticket view's ticket, as the last poll read it (or why it could not). */
export interface TicketLookup {
  ticket_id: string;
  ticket: TicketView | null;
  error: string | null;
}

/** A heads version's figures on the shipped held-out tickets (AUC null without both classes). */
export interface HeldoutFigures {
  category_accuracy: number;
  category_macro_f1: number;
  urgency_accuracy: number;
  urgency_auc: number | null;
}

/** On the held-out corrections: the candidate beside the version it was compared with. */
export interface CorrectionsFigures {
  fields: number;
  accuracy: number;
  log_loss: number;
  current_accuracy: number;
  current_log_loss: number;
  fixed: number;
  broken: number;
  p_value: number;
}

/** GET /models: one heads version. */
export interface HeadsVersion {
  version: string;
  source: "shipped" | "retrained";
  created_at: string;
  /** CONTRACT.md: active (scores tickets now), inactive (activatable), refused (by the guard; activatable by hand). */
  status?: "active" | "inactive" | "refused";
  /** The guard promoted it (v1: the shipped heads). */
  promoted: boolean;
  active: boolean;
  /** Corrections trained on (held-out ones excluded). */
  corrections: number;
  /** The version it was fitted from and compared with (null for v1; absent from older servers). */
  based_on?: string | null;
  metrics: { heldout: HeldoutFigures; corrections?: CorrectionsFigures };
  /** Why the guard refused it (empty when promoted). */
  reasons: string[];
}

/** GET /models: the versions, newest first, and the one every worker scores with. */
export interface ModelsList {
  active: string;
  versions: HeadsVersion[];
}

/** The Models panel's data: the last list read, and the error of the last read (null when it worked). */
export interface ModelsState {
  list: ModelsList | null;
  error: string | null;
}

/** GET /agents/{agent_id}/offers: a pending offer, with the ticket it offers. */
export interface Offer {
  ticket_id: string;
  offered_at: string;
  expires_at: string;
  ticket: RoutedTicket;
}

/** GET /agents/{agent_id}/tickets. */
export interface AgentTickets {
  agent_id: string;
  ticket_ids: string[];
}

export interface Accepted {
  ticket_id: string;
  job_id: string;
  message: string;
}

export interface MasterIncident {
  incident_id: string;
  summary: string;
  root_ticket_id: string;
  ticket_ids: string[];
  ticket_count: number;
  category: Category;
  created_at: string;
  updated_at: string;
  status: "open" | "resolved";
  agent_id: string | null;
  /** The growth step (25, 50, 100, 250, …) the last notice announced; 0 until one. */
  last_update_step: number;
  /** When the last incident_update was sent; null until one (a creation past a step announces it without one). */
  last_update_at: string | null;
}

export interface SkillVector {
  tech: number;
  billing: number;
  legal: number;
}

export interface Agent {
  agent_id: string;
  display_name: string;
  skill_vector: SkillVector;
  max_concurrent_tickets: number;
  current_load: number;
  status: "online" | "offline";
}

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerView {
  state: BreakerState;
  opened_at: string | null;
  half_open_probes: number;
}

export interface ThroughputMinute {
  minute: string;
  accepted: number;
  processed: number;
  transformer: number;
  baseline: number;
}

export interface Metrics {
  circuit_breaker: BreakerView;
  master_incidents_count: number;
  open_incidents_count: number;
  online_agents_count: number;
  queue_size: number;
  backlog_size: number;
  tickets_processed_total: number;
  tickets_popped_total?: number;
  throughput?: ThroughputMinute[];
  /** The heads version every worker scores with. */
  heads_version?: string;
}

export interface ActivityEvent {
  id: string;
  ts: string;
  type: string;
  data: Record<string, unknown>;
}

/** How an agent's offers ended, counted from the activity events (ledger.ts). */
export interface OfferCounts {
  offered: number;
  accepted: number;
  rejected: number;
  expired: number;
}

/** One incident_updated event: the incident passed `step` (announced `previous_step` before). */
export interface GrowthNotice {
  ts: string;
  step: number;
  previous_step: number;
  ticket_count: number;
}

/** What the activity log says so far: counts over the events still retained, since `since`. */
export interface LedgerView {
  offers: ReadonlyMap<string, OfferCounts>;
  totals: OfferCounts;
  growth: ReadonlyMap<string, readonly GrowthNotice[]>;
  /** The oldest event counted (null: none yet). */
  since: string | null;
  /** heads_retrained / model_version_activated / retrain_requested events counted so far (the Models panel re-reads on a change). */
  learning: number;
}

/** The selected agent's work (Agent view), or null when no agent is selected. */
export interface AgentWork {
  agent_id: string;
  tickets: TicketView[];
  /** How many tickets the agent holds (tickets lists at most the first ones). */
  total: number;
  /** GET /agents/{id}/next; null when none of its tickets waits in the queue. */
  next: RoutedTicket | null;
}

/** One poll's worth of state; every view renders from it. */
export interface Snapshot {
  queue: RoutedTicket[];
  metrics: Metrics;
  incidents: MasterIncident[];
  agents: Agent[];
  activity: ActivityEvent[];
  /** Pending offers by agent id (only agents holding capacity can have any, so only those are asked). */
  offers: ReadonlyMap<string, Offer[]>;
  ledger: LedgerView;
  work: AgentWork | null;
  /** The Ticket view's ticket, or null when none is shown. */
  ticket: TicketLookup | null;
  models: ModelsState;
}
