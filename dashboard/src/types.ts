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
  accepted_at: string;
  processed_at: string;
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
  throughput?: ThroughputMinute[];
}

export interface ActivityEvent {
  id: string;
  ts: string;
  type: string;
  data: Record<string, unknown>;
}

/** One poll's worth of state; every view renders from it. */
export interface Snapshot {
  queue: RoutedTicket[];
  metrics: Metrics;
  incidents: MasterIncident[];
  agents: Agent[];
  activity: ActivityEvent[];
}
