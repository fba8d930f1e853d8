import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { BusEvent, EventBus } from "../../layers/core/ports/event-bus.js";

/**
 * Publishes through another bus (the relay's EventBridge) and counts what happened as CloudWatch metrics (EMF): tickets processed by
 * model, incidents created, breaker openings. The domain emits events; turning them into metrics is the
 * Lambda runtime's business. It flushes what it counted itself, so every function that emits a metric (the
 * model route's breaker transitions included) writes it, whatever middleware that function uses.
 */
export class MetricsBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    private readonly metrics: Metrics,
  ) {}

  async publish(events: BusEvent[]): Promise<void> {
    await this.inner.publish(events);
    let counted = false;
    for (const e of events) {
      if (e.type === "ticket_processed") {
        this.metrics.addMetric("TicketsProcessed", MetricUnit.Count, 1);
        this.metrics.addMetric(e.data.model === "transformer" ? "ScoredByModel" : "ScoredByBaseline", MetricUnit.Count, 1);
      } else if (e.type === "master_incident_created") {
        this.metrics.addMetric("IncidentsCreated", MetricUnit.Count, 1);
      } else if (e.type === "circuit_breaker_state_changed" && e.data.to === "open") {
        this.metrics.addMetric("BreakerOpened", MetricUnit.Count, 1);
      } else continue;
      counted = true;
    }
    if (counted) this.metrics.publishStoredMetrics();
  }
}
