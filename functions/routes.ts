import { docsRoutes } from "./api/docs.js";
import * as agents from "./api/agents.js";
import * as dashboard from "./api/dashboard.js";
import type { Route } from "./api/http.js";
import * as incidents from "./api/incidents.js";
import * as models from "./api/models.js";
import { activity, healthCheck, metricsView } from "./api/observability.js";
import { clear, list, nextTicket, peekTicket, size } from "./api/queue.js";
import { urgencyScore } from "./api/scoring.js";
import { getTicketById, labelTicketById, resolveTicketById, similarTicketsById, submitBatch, submitTicket } from "./api/tickets.js";

/**
 * The API: every route once. The local server serves exactly this table, the OpenAPI document describes it,
 * and the CDK app turns each entry into an API Gateway route and its Lambda function.
 */
export const routes: readonly Route[] = [
  submitTicket,
  submitBatch,
  nextTicket,
  peekTicket,
  getTicketById,
  resolveTicketById,
  labelTicketById,
  size,
  list,
  clear,
  urgencyScore,
  similarTicketsById,
  incidents.list,
  incidents.get,
  incidents.resolveIncident,
  agents.register,
  agents.list,
  agents.get,
  agents.patch,
  agents.tickets,
  agents.next,
  agents.offers,
  agents.acceptOffer,
  agents.rejectOffer,
  agents.assignments,
  models.list,
  models.retrain,
  models.activate,
  healthCheck,
  metricsView,
  activity,
  ...docsRoutes(() => routes),
  dashboard.page,
  dashboard.asset,
];
