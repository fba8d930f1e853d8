import { randomUUID } from "node:crypto";
import {
  EVENT_RULES,
  EVENT_SOURCE,
  type BusEvent,
  type EventBus,
  type RuleName,
  type SmartSupportEvent,
} from "./event-bus.js";

export type EventTarget = (event: SmartSupportEvent) => Promise<void>;

/**
 * The local stand-in for EventBridge: same rules, same event envelope, targets run in the background so a
 * slow webhook never holds up the publisher. `drain()` waits for what is in flight (shutdown, tests).
 */
export class InProcessBus implements EventBus {
  private readonly targets = new Map<RuleName, EventTarget[]>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly onTargetError: (err: unknown, event: SmartSupportEvent) => void) {}

  subscribe(rule: RuleName, target: EventTarget): void {
    this.targets.set(rule, [...(this.targets.get(rule) ?? []), target]);
  }

  async publish(events: BusEvent[]): Promise<void> {
    for (const e of events) {
      const envelope: SmartSupportEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": e.type,
        source: EVENT_SOURCE,
        account: "local",
        time: new Date().toISOString(),
        region: "local",
        resources: [],
        detail: e.data,
      };
      for (const [rule, types] of Object.entries(EVENT_RULES) as [RuleName, readonly string[]][]) {
        if (!types.includes(e.type)) continue;
        for (const target of this.targets.get(rule) ?? []) {
          const run = target(envelope)
            .catch((err) => this.onTargetError(err, envelope))
            .finally(() => this.inFlight.delete(run));
          this.inFlight.add(run);
        }
      }
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
