import type { RoutedTicket, TicketView } from "../domain/schemas.js";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { clearQueue } from "../store/lua/clear-queue.js";
import { popTicket } from "../store/lua/pop-ticket.js";
import { drainBacklog } from "./routing.js";
import { toRoutedTicket, toTicketView } from "./ticket-records.js";

const emptyQueue = () => notFound("No tickets in queue");

export async function getTicket(rt: Runtime, ticketId: string): Promise<TicketView> {
  const h = await rt.redis.hgetall(rt.keys.ticket(ticketId));
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

export async function listQueue(rt: Runtime, limit: number): Promise<RoutedTicket[]> {
  const ids = await rt.redis.zrevrange(rt.keys.queue, 0, limit - 1);
  const hashes = await rt.redis.hgetallMany(ids.map(rt.keys.ticket));
  // A ticket popped between the two reads has left the queue: leave it out.
  return hashes.filter((h) => h.status === "processed" || h.status === "assigned").map(toRoutedTicket);
}

export async function peekNext(rt: Runtime): Promise<RoutedTicket> {
  const [first] = await listQueue(rt, 1);
  if (!first) throw emptyQueue();
  return first;
}

export const queueSize = (rt: Runtime) => rt.redis.zcard(rt.keys.queue);

export async function clearAll(rt: Runtime): Promise<number> {
  const removed = await clearQueue(rt.redis, rt.keys, rt.config.TICKET_TTL_SECONDS);
  await rt.bus.publish([{ type: "queue_cleared", data: { removed } }]);
  return removed;
}
