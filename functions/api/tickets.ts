import { z } from "zod";
import { LabelIn, SimilarOut, SimilarQuery, TicketWithCorrection } from "../../layers/core/domain/correction-schemas.js";
import { Accepted, BatchAccepted, BatchIn, ErrorBody, TicketIn, TicketView } from "../../layers/core/domain/schemas.js";
import { resolveTicket } from "../../layers/core/services/agents.js";
import { getTicketWithCorrection, labelTicket } from "../../layers/core/services/corrections.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { similarTickets } from "../../layers/core/services/similar.js";
import { json, route } from "./http.js";

const invalidBody = { description: "Invalid fields", schema: ErrorBody };

export const submitTicket = route(
  {
    method: "POST",
    path: "/tickets",
    name: "submitTicket",
    summary: "Accept one ticket for background processing",
    body: TicketIn,
    responses: {
      202: { description: "Accepted", schema: Accepted },
      400: { description: "Not JSON", schema: ErrorBody },
      409: { description: "ticket_id already used with another payload", schema: ErrorBody },
      413: { description: "Body over 64 KiB", schema: ErrorBody },
      422: invalidBody,
    },
  },
  async (rt, { body }) => json(202, (await acceptTickets(rt, [body]))[0]),
);

export const submitBatch = route(
  {
    method: "POST",
    path: "/tickets/batch",
    name: "submitTicketBatch",
    summary: "Accept up to 1000 tickets at once (all or nothing)",
    body: BatchIn,
    // Lambda's synchronous payload limit; each item is still bounded by TicketIn's field limits.
    maxBodyBytes: 6 * 1024 * 1024,
    responses: {
      202: { description: "Accepted, in request order", schema: BatchAccepted },
      409: { description: "An item's ticket_id is already used with another payload", schema: ErrorBody },
      422: invalidBody,
    },
  },
  async (rt, { body }) => json(202, { accepted: await acceptTickets(rt, body) }),
);

export const getTicketById = route(
  {
    method: "GET",
    path: "/tickets/{ticket_id}",
    name: "getTicket",
    summary: "A ticket and its processing status; once processed the model's answer, and an agent's correction beside it",
    responses: {
      200: { description: "The ticket, `correction` null when none", schema: TicketWithCorrection },
      404: { description: "Unknown id", schema: ErrorBody },
    },
  },
  async (rt, { params }) => json(200, await getTicketWithCorrection(rt, z.string().parse(params.ticket_id))),
);

export const resolveTicketById = route(
  {
    method: "POST",
    path: "/tickets/{ticket_id}/resolve",
    name: "resolveTicket",
    summary: "The agent finished the ticket: it leaves the queue, its agent's unit comes back (resolving twice is harmless)",
    auth: true,
    responses: {
      200: { description: "The ticket, status resolved", schema: TicketView },
      404: { description: "Unknown id", schema: ErrorBody },
      409: { description: "Not processed yet, or popped", schema: ErrorBody },
    },
  },
  async (rt, { params }) => json(200, await resolveTicket(rt, z.string().parse(params.ticket_id))),
);

export const labelTicketById = route(
  {
    method: "POST",
    path: "/tickets/{ticket_id}/label",
    name: "labelTicket",
    summary: "Correct the model's category and/or urgency of a processed ticket (replaces an earlier correction)",
    auth: true,
    body: LabelIn,
    responses: {
      200: { description: "The ticket (its fields keep the model's answer) with the correction", schema: TicketWithCorrection },
      404: { description: "Unknown id", schema: ErrorBody },
      409: { description: "Not processed yet: the model has not labelled it", schema: ErrorBody },
      422: { description: "Neither category nor urgent, a bad value, or another field (`errors` names each)", schema: ErrorBody },
    },
  },
  async (rt, { params, body }) => json(200, await labelTicket(rt, z.string().parse(params.ticket_id), body)),
);

export const similarTicketsById = route(
  {
    method: "GET",
    path: "/tickets/{ticket_id}/similar",
    name: "similarTickets",
    summary: "The recent and labelled tickets most similar to this one (cosine of their embeddings), best first",
    query: SimilarQuery,
    // Embeds the ticket when its embedding is not stored, and reads the dedup window's in-memory mirror.
    needsModel: true,
    responses: {
      200: { description: "Up to `limit` tickets, the ticket itself excluded", schema: SimilarOut },
      404: { description: "Unknown id", schema: ErrorBody },
      409: { description: "Not processed yet, and no embedding", schema: ErrorBody },
      503: { description: "Redis unavailable; or the model is (breaker open) and the ticket's embedding is not stored", schema: ErrorBody },
    },
  },
  async (rt, { params, query }) => json(200, await similarTickets(rt, z.string().parse(params.ticket_id), query.limit)),
);
