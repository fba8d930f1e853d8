import { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it, vi } from "vitest";
import { MetricsBus } from "../../functions/lambda/metrics-bus.js";
import type { BusEvent, EventBus } from "../../layers/core/ports/event-bus.js";

// Every function that emits a metric must flush it: the model route's breaker transitions happen in an API
// function with no metrics middleware, so the bus flushes what it counted itself.
function bus() {
  const published: BusEvent[][] = [];
  const inner: EventBus = { publish: async (events) => void published.push(events) };
  const metrics = new Metrics({ namespace: "SmartSupport", serviceName: "smart-support" });
  const flush = vi.spyOn(metrics, "publishStoredMetrics").mockReturnValue(metrics);
  const add = vi.spyOn(metrics, "addMetric");
  return { bus: new MetricsBus(inner, metrics), published, flush, add };
}

describe("MetricsBus", () => {
  it("publishes, counts a breaker opening and flushes it at once", async () => {
    const b = bus();
    const events: BusEvent[] = [{ type: "circuit_breaker_state_changed", data: { from: "closed", to: "open" } }];
    await b.bus.publish(events);
    expect(b.published).toEqual([events]);
    expect(b.add).toHaveBeenCalledWith("BreakerOpened", "Count", 1);
    expect(b.flush).toHaveBeenCalledTimes(1);
  });

  it("flushes nothing when nothing was counted", async () => {
    const b = bus();
    await b.bus.publish([{ type: "ticket_accepted", data: { ticket_id: "T" } }, { type: "circuit_breaker_state_changed", data: { from: "open", to: "half_open" } }]);
    expect(b.add).not.toHaveBeenCalled();
    expect(b.flush).not.toHaveBeenCalled();
  });
});
