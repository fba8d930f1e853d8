import type { BusEvent, EventType } from "../ports/event-bus.js";
import { makeKeys } from "./keys.js";
import { loadLua } from "./lua/load.js";
import { pairsToObject, type RedisPort } from "./redis-port.js";

// The outbox: every event is first an entry of this Redis stream (written by the script that changes the
// state it reports, or by `append`), then each consumer group — a local bus target, or the EventBridge relay
// in AWS — reads it at least once and acknowledges it; the entry leaves once no group needs it.

const appendScript = loadLua("outbox-append");
const claimScript = loadLua("outbox-claim");
const ackScript = loadLua("outbox-ack");

export function outboxKeys(prefix: string) {
  const keys = makeKeys(prefix);
  return { stream: keys.outbox, deadLetters: keys.outboxDlq };
}
export type OutboxKeys = ReturnType<typeof outboxKeys>;

/** One outbox entry: its stream id is the event's id, stable across redeliveries. */
export interface OutboxEntry {
  id: string;
  type: EventType;
  data: Record<string, unknown>;
  /** Milliseconds since the epoch when the event was appended (from its id). */
  timeMs: number;
  deliveries: number;
}

/** Script arguments for events appended inside another script: type, data, type, data, … */
export const eventArgs = (events: BusEvent[]): string[] => events.flatMap((e) => [e.type, JSON.stringify(e.data)]);

export function appendEvents(redis: RedisPort, keys: OutboxKeys, events: BusEvent[]): Promise<string[]> {
  if (events.length === 0) return Promise.resolve([]);
  return redis.run<string[]>(appendScript, [keys.stream], eventArgs(events));
}

export async function claimEvents(
  redis: RedisPort,
  keys: OutboxKeys,
  opts: { group: string; consumer: string; visibilityTimeoutMs: number; count: number; maxDeliveries: number },
): Promise<OutboxEntry[]> {
  const reply = await redis.run<[string, string[], number][]>(
    claimScript,
    [keys.stream, keys.deadLetters],
    [opts.group, opts.consumer, opts.visibilityTimeoutMs, opts.count, opts.maxDeliveries],
  );
  return reply.map(([id, flat, deliveries]) => {
    const fields = pairsToObject(flat);
    return {
      id,
      type: fields.type as EventType,
      data: JSON.parse(fields.data ?? "{}") as Record<string, unknown>,
      timeMs: Number(id.split("-")[0]),
      deliveries: Number(deliveries),
    };
  });
}

export function ackEvents(redis: RedisPort, keys: OutboxKeys, group: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return Promise.resolve(0);
  return redis.run<number>(ackScript, [keys.stream], [group, ...ids]);
}
