import { z } from "zod";
import { ErrorBody, LimitQuery } from "../../layers/core/domain/schemas.js";
import { activateModel, listModels, requestRetrain } from "../../layers/core/services/models.js";
import { json, route } from "./http.js";

// Heads versions (README "Learning from corrections"): list them, ask for a retrain, activate one.

const fraction = z.number().min(0).max(1);
const HeadsVersionView = z.object({
  version: z.string(),
  source: z.enum(["shipped", "retrained"]),
  created_at: z.string(),
  promoted: z.boolean().describe("The guard promoted it (v1: the shipped heads)"),
  active: z.boolean(),
  status: z
    .enum(["active", "inactive", "refused"])
    .describe("CONTRACT.md: active = scores tickets now; inactive = promoted once, or the shipped heads, activatable; refused = the guard refused it (activatable by hand)"),
  corrections: z.number().int().min(0).describe("Corrections trained on (held-out ones excluded)"),
  c: z.record(z.string(), z.record(z.string(), z.number())).nullable().describe("C chosen per pair and head"),
  based_on: z.string().nullable().describe("The version it was fitted from and compared with"),
  metrics: z.object({
    heldout: z
      .object({ category_accuracy: fraction, category_macro_f1: fraction, urgency_accuracy: fraction, urgency_auc: fraction.nullable() })
      .describe("On the shipped held-out tickets"),
    corrections: z
      .object({
        fields: z.number().int(),
        accuracy: fraction,
        log_loss: z.number(),
        current_accuracy: fraction,
        current_log_loss: z.number(),
        fixed: z.number().int(),
        broken: z.number().int(),
        p_value: fraction,
      })
      .optional()
      .describe("On the held-out corrections, beside the version it was compared with (when any were held out)"),
  }),
  reasons: z.array(z.string()).describe("Why the guard refused it (empty when promoted)"),
});

export const list = route(
  {
    method: "GET",
    path: "/models",
    name: "listModels",
    summary: "Heads versions, newest first, with their metrics; which one scores tickets",
    query: LimitQuery(100, 1000),
    responses: { 200: { description: "Versions", schema: z.object({ active: z.string(), versions: z.array(HeadsVersionView) }) } },
  },
  async (rt, { query }) => json(200, await listModels(rt, query.limit)),
);

export const retrain = route(
  {
    method: "POST",
    path: "/models/retrain",
    name: "retrainModels",
    summary: "Queue a retrain of the heads on the corrections; a worker runs it and stores a version, promoted only past the guard",
    auth: true,
    responses: { 202: { description: "Queued", schema: z.object({ job_id: z.string(), status: z.literal("queued") }) } },
  },
  async (rt) => json(202, await requestRetrain(rt)),
);

export const activate = route(
  {
    method: "POST",
    path: "/models/{version}/activate",
    name: "activateModel",
    summary: "Make a stored heads version the one every worker scores with (a rollback, or a refused candidate by hand)",
    auth: true,
    responses: {
      200: { description: "Active now", schema: z.object({ active: z.string(), previous: z.string().nullable() }) },
      404: { description: "Unknown version", schema: ErrorBody },
    },
  },
  async (rt, { params }) => json(200, await activateModel(rt, z.string().parse(params.version))),
);
