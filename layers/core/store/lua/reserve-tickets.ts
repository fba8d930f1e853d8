import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("reserve-tickets");

export interface Reservation {
  ticket_id: string;
  payload_hash: string;
  job_id: string;
  subject: string;
  body: string;
  customer_id: string | null;
}
export type ReserveResult =
  | { ok: true; items: { job_id: string; send: boolean; queued: boolean }[] }
  | { ok: false; conflictIndex: number };

export async function reserveTickets(
  redis: RedisPort,
  keys: Keys,
  items: Reservation[],
  opts: { ttlSeconds: number; now: Date; resendAfterMs: number; intakeStream?: string },
): Promise<ReserveResult> {
  const args: (string | number)[] = [opts.ttlSeconds, opts.now.toISOString(), opts.now.getTime(), opts.resendAfterMs];
  for (const it of items) args.push(it.payload_hash, it.job_id, it.subject, it.body, it.customer_id ?? "", it.ticket_id);
  const reply = await redis.run<(string | number)[]>(
    script,
    [keys.seq, keys.counters, opts.intakeStream ?? "", keys.outbox, ...items.map((it) => keys.ticket(it.ticket_id))],
    args,
  );
  if (reply[0] === "conflict") return { ok: false, conflictIndex: Number(reply[1]) - 1 };
  return {
    ok: true,
    items: items.map((_, i) => {
      const send = Number(reply[2 + 2 * i]);
      return { job_id: String(reply[1 + 2 * i]), send: send === 1, queued: send === 2 };
    }),
  };
}
