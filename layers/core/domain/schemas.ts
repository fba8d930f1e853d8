import { z } from "zod";

export const CATEGORIES = ["Billing", "Technical", "Legal"] as const;
export const Category = z.enum(CATEGORIES);
export type Category = z.infer<typeof Category>;

const nonBlank = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .max(max, `${field} must be at most ${max} characters`)
    .refine((s) => s.trim().length > 0, `${field} must not be empty`)
    // The refine, in JSON Schema terms (what trim() removes: Unicode spaces and the BOM).
    .meta({ pattern: "[^\\s\\uFEFF]" });

/** Ticket and agent ids: any text (they are encoded inside Redis keys and paths), bounded, well-formed. */
export const MAX_ID_LENGTH = 10_000;
// A lone surrogate is not a character: two ids differing only there would be the same UTF-8 bytes.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const recordId = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, `${field} must be 1-${MAX_ID_LENGTH} characters`)
    .max(MAX_ID_LENGTH, `${field} must be 1-${MAX_ID_LENGTH} characters`)
    .refine((s) => !LONE_SURROGATE.test(s), `${field} must be well-formed Unicode (no lone surrogate)`);

export const TicketIn = z
  .object({
    ticket_id: recordId("ticket_id").optional(),
    subject: nonBlank("subject", 1_000),
    body: nonBlank("body", 50_000),
    customer_id: z.string().max(256).nullish(),
  })
;
export type TicketIn = z.infer<typeof TicketIn>;

export const MAX_BATCH_ITEMS = 1000;
export const BatchIn = z
  .array(TicketIn)
  .min(1, "batch must hold at least one ticket")
  .max(MAX_BATCH_ITEMS, `batch must hold at most ${MAX_BATCH_ITEMS} tickets`);

export const Accepted = z
  .object({ ticket_id: z.string(), job_id: z.string(), message: z.literal("Accepted for processing") })
;
export type Accepted = z.infer<typeof Accepted>;
export const BatchAccepted = z.object({ accepted: z.array(Accepted) });

// offered: an agent has it on offer (ROUTING_OFFERS); resolved: the agent finished it (POST /tickets/{id}/resolve).
export const TicketStatus = z.enum(["accepted", "processed", "offered", "assigned", "resolved", "popped"]);
export type TicketStatus = z.infer<typeof TicketStatus>;
export const ModelName = z.enum(["transformer", "baseline"]);
export type ModelName = z.infer<typeof ModelName>;

export const RoutedTicket = z
  .object({
    ticket_id: z.string(),
    subject: z.string(),
    body: z.string(),
    customer_id: z.string().nullable(),
    category: Category,
    is_urgent: z.boolean(),
    priority_score: z.number().int().min(0).max(10),
    urgency_score: z.number().min(0).max(1),
    incident_id: z.string().nullable(),
    agent_id: z.string().nullable(),
    model: ModelName,
    accepted_at: z.string(),
    processed_at: z.string(),
  })
;
export type RoutedTicket = z.infer<typeof RoutedTicket>;

/** What text cleaning removed before the model read the ticket (README "Text cleaning"); for debugging. */
const count = z.number().int().min(0);
export const TicketCleaning = z.object({
  quoted_lines: count,
  forward_lines: count,
  signature_lines: count,
  disclaimer_lines: count,
  html_tags: count,
  html_entities: count,
  log_lines: count,
  log_blocks: count,
  fallback: z.boolean(),
});
export type TicketCleaning = z.infer<typeof TicketCleaning>;

export const TicketView = RoutedTicket.partial()
  .extend({
    ticket_id: z.string(),
    subject: z.string(),
    body: z.string(),
    customer_id: z.string().nullable(),
    status: TicketStatus,
    job_id: z.string(),
    accepted_at: z.string(),
    cleaning: TicketCleaning.optional(),
    // The heads version that scored it (README "Learning from corrections"); absent when the baseline did.
    heads_version: z.string().optional(),
  })
;
export type TicketView = z.infer<typeof TicketView>;

export const MasterIncident = z.object({
  incident_id: z.string(),
  summary: z.string(),
  root_ticket_id: z.string(),
  ticket_ids: z.array(z.string()),
  ticket_count: z.number().int(),
  category: Category,
  created_at: z.string(),
  updated_at: z.string(),
  status: z.enum(["open", "resolved"]),
  agent_id: z.string().nullable(),
  // Growth updates (README "Flash floods"): the growth step the last notice announced (0: none yet), and
  // when the last incident_update webhook was decided (null: none yet).
  last_update_step: z.number().int(),
  last_update_at: z.string().nullable(),
});
export type MasterIncident = z.infer<typeof MasterIncident>;
/** A list's page token, from the previous page's `Link: <…>; rel="next"` header; opaque. */
export const Cursor = z
  .string()
  // Long enough for the longest id at a page boundary (MAX_ID_LENGTH characters of 4-byte UTF-8, base64).
  .regex(/^[A-Za-z0-9_-]{1,65536}$/, "cursor must be a token from a Link header")
  .optional()
  .describe("Opaque position of the next page, from the previous page's Link header");
export const IncidentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  status: z.enum(["open", "resolved"]).optional(),
  cursor: Cursor,
});

const skill = (name: string) =>
  z.number({ error: `skill_vector.${name} must be a number` }).min(0, `${name} must be between 0 and 1`).max(1, `${name} must be between 0 and 1`);
export const SkillVectorIn = z
  .object({ tech: skill("tech"), billing: skill("billing"), legal: skill("legal") })
  .refine((v) => v.tech + v.billing + v.legal > 0, "skill_vector must not be all zero");
export const AgentStatus = z.enum(["online", "offline"]);
const agentFields = {
  display_name: z.string().max(200).optional(),
  skill_vector: SkillVectorIn,
  max_concurrent_tickets: z.number().int("max_concurrent_tickets must be an integer").min(1, "max_concurrent_tickets must be at least 1"),
  status: AgentStatus.optional(),
};
export const AgentIn = z.object({
  agent_id: recordId("agent_id"),
  ...agentFields,
});
export type AgentIn = z.infer<typeof AgentIn>;
export const AgentPatch = z
  .object({ ...agentFields, skill_vector: SkillVectorIn.optional(), max_concurrent_tickets: agentFields.max_concurrent_tickets.optional() })
  .strict()
  .refine((p) => Object.keys(p).length > 0, "nothing to change: give status, max_concurrent_tickets, skill_vector or display_name")
  .meta({ minProperties: 1 });
export type AgentPatch = z.infer<typeof AgentPatch>;
export const Agent = z.object({
  agent_id: z.string(),
  display_name: z.string(),
  skill_vector: z.object({ tech: z.number(), billing: z.number(), legal: z.number() }),
  max_concurrent_tickets: z.number().int(),
  current_load: z.number().int(),
  status: AgentStatus,
});
export type Agent = z.infer<typeof Agent>;
export const Assignment = z.object({
  ticket_id: z.string(),
  agent_id: z.string(),
  assigned_at: z.string(),
  incident_id: z.string().nullable(),
});
export type Assignment = z.infer<typeof Assignment>;
/** A pending offer of a ticket to an agent (GET /agents/{agent_id}/offers), with the ticket it offers. */
export const Offer = z.object({
  ticket_id: z.string(),
  offered_at: z.string(),
  expires_at: z.string(),
  ticket: RoutedTicket,
});
export type Offer = z.infer<typeof Offer>;

export const UrgencyIn = z.object({ text: nonBlank("text", 50_000) });
export const UrgencyOut = z.object({
  urgency_score: z.number(),
  is_urgent: z.boolean(),
  model: ModelName,
});

export const BreakerState = z.enum(["closed", "open", "half_open"]);
export const BreakerView = z
  .object({
    state: BreakerState,
    opened_at: z.string().nullable(),
    half_open_probes: z.number().int(),
  })
;
export type BreakerView = z.infer<typeof BreakerView>;

export const ActivityEvent = z.object({
  id: z.string(),
  ts: z.string(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type ActivityEvent = z.infer<typeof ActivityEvent>;

export const ErrorBody = z
  .object({
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
;

const limit = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
export const LimitQuery = (def: number, max: number) => z.object({ limit: limit(def, max) });
/** `?limit=` with its bounds, and `?cursor=` for the next page. */
export const PageQuery = (def: number, max: number) => z.object({ limit: limit(def, max), cursor: Cursor });
