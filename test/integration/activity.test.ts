import { afterEach, describe, expect, it } from "vitest";
import { listActivity } from "../../layers/core/services/activity.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { popNext, queueSize } from "../../layers/core/services/queue.js";
import { eventually, startRuntime, type TestSystem } from "../support/runtime.js";
import { startWorker } from "../support/worker.js";

const systems: TestSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.close()));
});

describe("activity stream", () => {
  it("records the ticket's way newest first, the same for every instance and after a restart", async () => {
    const first = startRuntime();
    await acceptTickets(first.rt, [{ ticket_id: "A-1", subject: "Refund", body: "Please refund invoice 7" }]);
    const worker = startWorker(first.rt);
    await eventually(async () => (await queueSize(first.rt)) === 1);
    await worker.stop();
    await popNext(first.rt);
    await first.rt.bus.drain();
    const seen = (await listActivity(first.rt, 10)).map((e) => e.type);
    expect(seen).toEqual(["ticket_popped", "ticket_processed", "ticket_accepted"]);
    await first.rt.close(); // the "API" goes away; its events stay in Redis

    const second = startRuntime({ REDIS_PREFIX: first.config.REDIS_PREFIX });
    systems.push(second);
    const events = await listActivity(second.rt, 10);
    expect(events.map((e) => e.type)).toEqual(seen);
    expect(events[2]?.data).toMatchObject({ ticket_id: "A-1" });
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort().reverse());
  });

  it("stays capped", async () => {
    const s = startRuntime({ ACTIVITY_MAX_EVENTS: "100" });
    systems.push(s);
    await acceptTickets(
      s.rt,
      Array.from({ length: 400 }, (_, i) => ({ ticket_id: `cap-${i}`, subject: "Hello", body: "A question" })),
    );
    await s.rt.bus.drain();
    const len = await s.rt.redis.xlen(s.rt.keys.activity);
    // MAXLEN ~ trims by whole stream nodes: near the cap, never unbounded.
    expect(len).toBeLessThan(400);
    expect(len).toBeGreaterThanOrEqual(100);
  });
});
