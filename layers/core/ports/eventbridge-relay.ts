import { ackEvents, claimEvents, type OutboxEntry, type OutboxKeys } from "../store/outbox.js";
import type { RedisPort } from "../store/redis-port.js";
import type { BusEvent, EventBus } from "./event-bus.js";
import { EventPublishError } from "./eventbridge-bus.js";

export const RELAY_GROUP = "eventbridge";

/**
 * In AWS the outbox is relayed to EventBridge: a Lambda that appended events puts them on the bus before it
 * returns, and the classifier also sweeps what a dead execution environment left (its entries come back to
 * the group after the visibility timeout). Each entry leaves the outbox once EventBridge accepted it; a crash
 * between PutEvents and the acknowledgement sends it again (targets dedupe on delivery ids).
 */
export class EventBridgeRelay {
  constructor(
    private readonly redis: RedisPort,
    private readonly keys: OutboxKeys,
    /** EventBridge (counting metrics on the way); throws EventPublishError naming what it refused. */
    private readonly eventBridge: EventBus,
    private readonly opts: { consumer: string; visibilityTimeoutMs: number; maxDeliveries: number },
  ) {}

  /** Relays up to `maxBatches` × 10 events; returns how many EventBridge accepted. */
  async flush(maxBatches = 20): Promise<number> {
    let sent = 0;
    for (let i = 0; i < maxBatches; i++) {
      const entries = await claimEvents(this.redis, this.keys, { group: RELAY_GROUP, count: 10, ...this.opts });
      if (entries.length === 0) break;
      const events = new Map<BusEvent, OutboxEntry>(entries.map((e) => [{ type: e.type, data: e.data }, e]));
      let refused = new Set<OutboxEntry>();
      try {
        await this.eventBridge.publish([...events.keys()]);
      } catch (err) {
        if (!(err instanceof EventPublishError)) throw err; // nothing known to be sent: all come back later
        refused = new Set(err.failed.map((f) => events.get(f.event)!));
      }
      const accepted = entries.filter((e) => !refused.has(e));
      await ackEvents(this.redis, this.keys, RELAY_GROUP, accepted.map((e) => e.id));
      sent += accepted.length;
      if (refused.size) break; // EventBridge is refusing: leave the rest for the next flush
    }
    return sent;
  }
}
