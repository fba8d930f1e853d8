import { createHash, randomUUID } from "node:crypto";
import { cleanedText } from "../domain/classification.js";
import { floodBands } from "../domain/flood-bands.js";
import type { Accepted, TicketIn } from "../domain/schemas.js";
import { conflict } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { markQueued, releaseSendLease, reserveTickets } from "../store/tickets.js";

// A replay may resend a ticket whose first send never completed, but not while that send may still be
// in flight: 100 simultaneous identical submits must produce one queue record, not 100.
const RESEND_AFTER_MS = 10_000;

export function payloadHash(t: TicketIn): string {
  return createHash("sha256")
    .update(JSON.stringify([t.subject, t.body, t.customer_id ?? null]))
    .digest("hex");
}

/**
 * Accepts tickets for processing: reserves their ids (all or nothing) and announces the new ones in one
 * script, then sends them to the queue (locally the script appends them to the intake stream itself). Same id + same payload while live answers the first job id again; another payload → 409.
 */
export async function acceptTickets(rt: Runtime, tickets: TicketIn[]): Promise<Accepted[]> {
  const now = new Date();
  const items = tickets.map((t) => ({
    ticket_id: t.ticket_id ?? `tkt_${randomUUID()}`,
    payload_hash: payloadHash(t),
    job_id: `job_${randomUUID()}`,
    subject: t.subject,
    body: t.body,
    customer_id: t.customer_id ?? null,
    // Cleaned first: two different tickets under one long signature must not look like a flood.
    bands: floodBands(cleanedText(t).text),
  }));
  const reserved = await reserveTickets(rt.redis, rt.keys, items, {
    ttlSeconds: rt.config.TICKET_TTL_SECONDS,
    now,
    resendAfterMs: RESEND_AFTER_MS,
    floodThreshold: rt.config.FLOOD_LANE_THRESHOLD,
    intakeStreams: rt.queue.redisStreams,
  });
  if (!reserved.ok) {
    const i = reserved.conflictIndex;
    const where = tickets.length > 1 ? `items[${i}]: ` : "";
    throw conflict(`${where}ticket_id '${items[i]?.ticket_id}' is already in use with a different payload`);
  }

  const toSend = items
    .map((it, i) => ({ ticket_id: it.ticket_id, ...reserved.items[i]! }))
    .filter((m) => m.send);
  if (toSend.length) {
    try {
      await rt.queue.send(toSend.map(({ ticket_id, job_id, lane }) => ({ ticket_id, job_id, lane })));
    } catch (err) {
      // Let the client's retry resend at once instead of waiting out the lease.
      await Promise.allSettled(toSend.map((m) => releaseSendLease(rt, m.ticket_id)));
      throw err;
    }
    await markQueued(rt.redis, rt.keys, toSend.map((m) => m.ticket_id));
  }

  rt.bus.appended?.(); // the reservation script announced the new tickets (ticket_accepted) in the outbox
  return items.map((it, i) => ({
    ticket_id: it.ticket_id,
    job_id: reserved.items[i]!.job_id,
    message: "Accepted for processing",
  }));
}
