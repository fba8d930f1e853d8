import { z } from "zod";
import { ErrorBody, PageQuery, RoutedTicket } from "../../layers/core/domain/schemas.js";
import { clearAll, peekNext, popNext, queuePage, queueSize } from "../../layers/core/services/queue.js";
import { json, route } from "./http.js";
import { listReply } from "./pagination.js";

const empty = { description: "No tickets in queue", schema: ErrorBody };

export const nextTicket = route(
  {
    method: "GET",
    path: "/tickets/next",
    name: "popNextTicket",
    summary: "Remove and return the most urgent ticket",
    // It removes a ticket: a write, guarded like the other writes when API_KEY is set (CONTRACT "Auth").
    auth: true,
    responses: { 200: { description: "The ticket, now out of the queue", schema: RoutedTicket }, 404: empty },
  },
  async (rt) => json(200, await popNext(rt)),
);

export const peekTicket = route(
  {
    method: "GET",
    path: "/tickets/peek",
    name: "peekNextTicket",
    summary: "Return the most urgent ticket without removing it",
    responses: { 200: { description: "The ticket", schema: RoutedTicket }, 404: empty },
  },
  async (rt) => json(200, await peekNext(rt)),
);

export const size = route(
  {
    method: "GET",
    path: "/queue/size",
    name: "queueSize",
    summary: "Number of processed tickets waiting",
    responses: { 200: { description: "Size", schema: z.object({ size: z.number().int() }) } },
  },
  async (rt) => json(200, { size: await queueSize(rt) }),
);

export const list = route(
  {
    method: "GET",
    path: "/queue",
    name: "listQueue",
    summary: "Waiting tickets in pop order; more pages via the Link header (rel=\"next\")",
    query: PageQuery(100, 1000),
    responses: { 200: { description: "Tickets", schema: z.array(RoutedTicket) } },
  },
  async (rt, { query, event }) => {
    const page = await queuePage(rt, query.limit, query.cursor);
    return listReply(event, page.items, page.next);
  },
);

export const clear = route(
  {
    method: "DELETE",
    path: "/queue",
    name: "clearQueue",
    summary: "Clear the queue",
    auth: true,
    responses: { 200: { description: "Cleared", schema: z.object({ status: z.literal("queue cleared") }) } },
  },
  async (rt) => {
    await clearAll(rt);
    return json(200, { status: "queue cleared" });
  },
);
