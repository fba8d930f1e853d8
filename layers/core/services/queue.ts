import type { RoutedTicket, TicketView } from "../domain/schemas.js";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import type { Page } from "../store/cursor.js";
import { clearQueue, pageQueue, popTicket, queueSize as size } from "../store/queue.js";
import { getTicketRecord, toRoutedTicket, toTicketView } from "../store/tickets.js";
import { drainBacklog } from "./routing.js";

const emptyQueue = () => notFound("No tickets in queue");

export async function getTicket(rt: Runtime, ticketId: string): Promise<TicketView> {
  const h = await getTicketRecord(rt, ticketId);
  if (!h.status) throw notFound(`Ticket '${ticketId}' not found`);
  return toTicketView({ ...h, ticket_id: ticketId });
}

/**
 * Removes and returns the most urgent ticket; one atomic pop, so two API instances never share one. Its
 * agent gets the capacity back, which the backlog may use at once.
 */
export async function popNext(rt: Runtime): Promise<RoutedTicket> {
  const h = await popTicket(rt.redis, rt.keys, { now: new Date(), ttlSeconds: rt.config.TICKET_TTL_SECONDS });
  if (!h) throw emptyQueue();
  const ticket = toRoutedTicket(h);
  await rt.bus.publish([{ type: "ticket_popped", data: { ticket_id: ticket.ticket_id, agent_id: ticket.agent_id } }]);
  await drainBacklog(rt);
  return ticket;
}

/** Waiting tickets in pop order, a page at a time (the cursor is the last one's queue position). */
export async function queuePage(rt: Runtime, limit: number, cursor?: string): Promise<Page<RoutedTicket>> {
  const page = await pageQueue(rt, limit, cursor);
  return { items: page.items.map(toRoutedTicket), next: page.next };
}

export async function listQueue(rt: Runtime, limit: number): Promise<RoutedTicket[]> {
  return (await queuePage(rt, limit)).items;
}

export async function peekNext(rt: Runtime): Promise<RoutedTicket> {
  const [first] = await listQueue(rt, 1);
  if (!first) throw emptyQueue();
  return first;
}

export const queueSize = (rt: Runtime) => size(rt);

export async function clearAll(rt: Runtime): Promise<number> {
  const removed = await clearQueue(rt.redis, rt.keys, rt.config.TICKET_TTL_SECONDS);
  await rt.bus.publish([{ type: "queue_cleared", data: { removed } }]);
  return removed;
}
