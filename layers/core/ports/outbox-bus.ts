import { appendEvents, type OutboxKeys } from "../store/outbox.js";
import type { RedisPort } from "../store/redis-port.js";
import type { BusEvent, EventBus } from "./event-bus.js";

/**
 * The bus in both runtimes: publishing appends to the outbox (one script, one round trip); consumer groups
 * deliver from there — the local targets (OutboxConsumer) or the EventBridge relay in AWS. An event is
 * durable once `publish` returns, whatever happens to this process next.
 */
export class OutboxBus implements EventBus {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly redis: RedisPort,
    readonly keys: OutboxKeys,
  ) {}

  async publish(events: BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    await appendEvents(this.redis, this.keys, events);
    this.appended();
  }

  /** Tells this process's consumers that events were appended — by `publish` or by a script (others poll). */
  appended(): void {
    for (const wake of this.listeners) wake();
  }

  onAppend(wake: () => void): () => void {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  }
}
