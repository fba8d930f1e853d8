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
};

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
}
