import { setTimeout as sleep } from "node:timers/promises";
import { ackEvents, claimEvents, type OutboxEntry, type OutboxKeys } from "../store/outbox.js";
import type { RedisPort } from "../store/redis-port.js";
import { EVENT_SOURCE, type EventType, type SmartSupportEvent } from "./event-bus.js";

export interface OutboxConsumerOptions {
  /** The consumer group: one per target (each target sees every event once, at least). */
  group: string;
  /** This process's name in the group. */
  consumer: string;
  /** Event types the target takes; others are acknowledged unread. */
  types: readonly EventType[];
  handle(event: SmartSupportEvent, signal: AbortSignal): Promise<void>;
  /** Events handled at once by this process (bounds sockets and memory when a target is slow or dead). */
  concurrency: number;
  /** An event taken but not acknowledged within this time goes to another consumer (longer than a handling). */
  visibilityTimeoutMs: number;
  /** Deliveries before an event is dead-lettered (outbox:dlq, with the group's name). */
  maxDeliveries: number;
  /** How often to look for events appended by other processes when idle. */
  pollMs: number;
  onError(err: unknown, event?: SmartSupportEvent): void;
}

/** The envelope targets receive, as EventBridge would shape it; its id is the outbox entry's, stable. */
export function envelope(e: OutboxEntry): SmartSupportEvent {
  return {
    version: "0",
    id: e.id,
    "detail-type": e.type,
    source: EVENT_SOURCE,
    account: "local",
    time: new Date(e.timeMs).toISOString(),
    region: "local",
    resources: [],
    detail: e.data,
  };
}

/**
 * Delivers the outbox to one target through its consumer group, like an EventBridge rule with retries and a
 * DLQ: at least once, at most `concurrency` at a time, a failed or abandoned event retried after the
 * visibility timeout, dead-lettered after `maxDeliveries`. `stop(graceMs)` lets in-flight events finish for
 * the grace period, then aborts them: unacknowledged, they stay pending for another consumer.
 */
export class OutboxConsumer {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(
    private readonly redis: RedisPort,
    private readonly keys: OutboxKeys,
    private readonly opts: OutboxConsumerOptions,
  ) {}

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Look now rather than at the next poll (events were appended by this process). */
  poke(): void {
    this.wake?.();
  }

  /** Resolves once a look found nothing to do and nothing is in flight (tests, shutdown). */
  async settled(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.poke();
    });
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.loop;
    const all = Promise.all(this.inFlight);
    const timedOut = await Promise.race([all.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      this.abort.abort(new Error("shutting down"));
      await all;
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const room = this.opts.concurrency - this.inFlight.size;
      let entries: OutboxEntry[] = [];
      if (room > 0) {
        try {
          entries = await claimEvents(this.redis, this.keys, {
            group: this.opts.group,
            consumer: this.opts.consumer,
            visibilityTimeoutMs: this.opts.visibilityTimeoutMs,
            count: room,
            maxDeliveries: this.opts.maxDeliveries,
          });
        } catch (err) {
          this.opts.onError(err); // Redis away: look again later
        }
        const skipped = entries.filter((e) => !this.opts.types.includes(e.type)).map((e) => e.id);
        if (skipped.length) await ackEvents(this.redis, this.keys, this.opts.group, skipped).catch((err) => this.opts.onError(err));
        for (const e of entries) if (this.opts.types.includes(e.type)) this.dispatch(e);
      }
      if (entries.length === 0 && this.inFlight.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      if (entries.length === 0 || room <= 0) await this.pause();
    }
  }

  private dispatch(entry: OutboxEntry) {
    const event = envelope(entry);
    const run = this.opts
      .handle(event, this.abort.signal)
      .then(() => ackEvents(this.redis, this.keys, this.opts.group, [entry.id]))
      .then(
        () => undefined,
        (err: unknown) => this.opts.onError(err, event), // not acknowledged: retried after the visibility timeout
      )
      .finally(() => {
        this.inFlight.delete(run);
        this.poke();
      });
    this.inFlight.add(run);
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.opts.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
