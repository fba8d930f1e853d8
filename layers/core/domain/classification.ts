import { baselineCategory, baselineUrgency } from "./baseline.js";
import { cleanTicketText, type CleanedText } from "./clean-text.js";
import { CATEGORIES, type Category, type ModelName } from "./schemas.js";

export type CategoryProbabilities = Record<Category, number>;

export interface Classification {
  category: Category;
  probabilities: CategoryProbabilities;
  urgency_score: number;
  model: ModelName;
  /** The sentence embedding when the transformer ran (it also serves dedup). */
  embedding?: Float32Array;
  /** The heads version that scored it when the transformer ran ("v1" the shipped heads; store/head-versions.ts). */
  heads_version?: string;
}

export const ticketText = (t: { subject: string; body: string }) => `${t.subject} ${t.body}`;
/**
 * What the model, the baseline and dedup read of a ticket: its text without quoted history, signatures,
 * disclaimers, HTML and pasted logs (domain/clean-text.ts), with what was removed. The ticket keeps the original.
 */
export const cleanedText = (t: { subject: string; body: string }): CleanedText => cleanTicketText(t.subject, t.body);

export function oneHot(category: Category): CategoryProbabilities {
  return Object.fromEntries(CATEGORIES.map((c) => [c, c === category ? 1 : 0])) as CategoryProbabilities;
}

export function classifyBaseline(text: string): Classification {
  const category = baselineCategory(text);
  return { category, probabilities: oneHot(category), urgency_score: baselineUrgency(text), model: "baseline" };
}

export const isUrgent = (s: number) => s >= 0.5;
export const priorityScore = (s: number) => Math.round(10 * s);
/** S > 0.8 fires the individual high-urgency webhook (unless the ticket joins an incident). */
export const isHighUrgency = (s: number) => s > 0.8;
