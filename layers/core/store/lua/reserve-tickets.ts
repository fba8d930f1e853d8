import type { Lane } from "../../ports/queue-port.js";
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
  /** Its flood bands (domain/flood-bands.ts): counted for a new ticket to choose its lane. */
  bands: string[];
}
export type ReserveResult =
  | { ok: true; items: { job_id: string; send: boolean; queued: boolean; lane: Lane }[] }
  | { ok: false; conflictIndex: number };

export async function reserveTickets(
  redis: RedisPort,
  keys: Keys,
  items: Reservation[],
  opts: {
    ttlSeconds: number;
    now: Date;
    resendAfterMs: number;
    /** More than this many tickets sharing a band in a minute or two → flood lane; 0 turns the lanes off. */
    floodThreshold: number;
    /** The lanes' Redis streams when the queue is on this Redis: the script appends the records itself. */
    intakeStreams?: Record<Lane, string>;
  },
): Promise<ReserveResult> {
  const args: (string | number)[] = [opts.ttlSeconds, opts.now.toISOString(), opts.now.getTime(), opts.resendAfterMs, keys.laneBandPrefix, opts.floodThreshold];
  for (const it of items) args.push(it.payload_hash, it.job_id, it.subject, it.body, it.customer_id ?? "", it.ticket_id, it.bands.join(" "));
  const streams = opts.intakeStreams ?? { main: "", flood: "" };
  const reply = await redis.run<(string | number)[]>(
    script,
    [keys.seq, keys.counters, streams.main, streams.flood, keys.outbox, ...items.map((it) => keys.ticket(it.ticket_id))],
    args,
  );
  if (reply[0] === "conflict") return { ok: false, conflictIndex: Number(reply[1]) - 1 };
  return {
    ok: true,
    items: items.map((_, i) => {
      const send = Number(reply[2 + 3 * i]);
      const lane = reply[3 + 3 * i] === "flood" ? "flood" : "main";
      return { job_id: String(reply[1 + 3 * i]), send: send === 1, queued: send === 2, lane };
    }),
  };
}
