import type { CategoryProbabilities } from "./classification.js";
import { cosine } from "./vectors.js";

// Skill-based routing (DESIGN §6), pure: which agent should take a ticket now.

export const SKILLS = ["tech", "billing", "legal"] as const;
export type Skill = (typeof SKILLS)[number];
export type SkillVector = Record<Skill, number>;

export interface AgentState {
  agent_id: string;
  skill_vector: SkillVector;
  max_concurrent_tickets: number;
  current_load: number;
  status: "online" | "offline";
}

const asArray = (v: SkillVector) => SKILLS.map((s) => v[s]);

/** The ticket's needs over (tech, billing, legal): its category probabilities, unit length. */
export function ticketSkillVector(p: CategoryProbabilities): SkillVector {
  const raw = [p.Technical, p.Billing, p.Legal];
  const norm = Math.hypot(...raw) || 1;
  return { tech: raw[0]! / norm, billing: raw[1]! / norm, legal: raw[2]! / norm };
}

export const isEligible = (a: AgentState) => a.status === "online" && a.current_load < a.max_concurrent_tickets;

/** cos(ticket, agent) − penalty × load / capacity. */
export function routingScore(ticket: SkillVector, agent: AgentState, penalty: number): number {
  return cosine(asArray(ticket), asArray(agent.skill_vector)) - (penalty * agent.current_load) / agent.max_concurrent_tickets;
}

/** Eligible agents, best first: higher score, then lower load, then agent id. */
export function rankAgents(ticket: SkillVector, agents: AgentState[], penalty: number): AgentState[] {
  return agents
    .filter(isEligible)
    .map((a) => ({ a, score: routingScore(ticket, a, penalty) }))
    .sort((x, y) => y.score - x.score || x.a.current_load - y.a.current_load || (x.a.agent_id < y.a.agent_id ? -1 : 1))
    .map(({ a }) => a);
}
