import { z } from "zod";
import { Category, LimitQuery, ModelName, TicketStatus, TicketView } from "./schemas.js";

// Corrections and similar tickets (README "Corrections and similar tickets"): the HTTP shapes.

/** POST /tickets/{ticket_id}/label: the corrected category, urgency, or both; nothing else. */
export const LabelIn = z
  .strictObject({
    category: Category.optional(),
    urgent: z.boolean({ error: "urgent must be true or false" }).optional(),
  })
  .refine((b) => b.category !== undefined || b.urgent !== undefined, "give category, urgent or both")
  // The refine, in JSON Schema terms (no other key is allowed, so one property means one of the two).
  .meta({ minProperties: 1 });
export type LabelIn = z.infer<typeof LabelIn>;

/** What an agent corrected, and when. */
export const CorrectionView = z.object({
  category: Category.optional(),
  urgent: z.boolean().optional(),
  corrected_at: z.string(),
});
export type CorrectionView = z.infer<typeof CorrectionView>;

/** The model's answer a correction replaces, as the ticket recorded it. */
export const ModelAnswer = z.object({
  category: Category,
  urgency_score: z.number(),
  model: ModelName,
  heads_version: z.string().optional().describe("The heads version that scored the ticket, when it recorded one"),
});
export type ModelAnswer = z.infer<typeof ModelAnswer>;

/** GET /tickets/{ticket_id}: the ticket, the model's answer in its fields and an agent's correction beside it. */
export const TicketWithCorrection = TicketView.extend({ correction: CorrectionView.nullable() });
export type TicketWithCorrection = z.infer<typeof TicketWithCorrection>;

export const SimilarQuery = LimitQuery(5, 50);

export const SimilarItem = z.object({
  ticket_id: z.string(),
  cosine: z.number(),
  category: Category.nullable().describe("The model's category; null if the ticket was never classified"),
  status: TicketStatus.nullable().describe("null when the ticket's record has expired (its correction is kept)"),
  source: z.enum(["window", "labelled"]).describe("window: a recent ticket (dedup window); labelled: a corrected one"),
  correction: z.object({ category: Category.optional(), urgent: z.boolean().optional() }).nullable(),
});
export type SimilarItem = z.infer<typeof SimilarItem>;

/** CONTRACT.md: a bare list, best first. */
export const SimilarOut = z.array(SimilarItem);
export type SimilarOut = z.infer<typeof SimilarOut>;
