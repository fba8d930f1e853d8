import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import { listActivity } from "../../layers/core/services/activity.js";
import { getIncident, listIncidents } from "../../layers/core/services/incidents.js";
import { dedupApply } from "../../layers/core/store/incidents.js";
import { processAll, testRuntimes } from "../support/pipeline.js";
import { startReceiver, type Received } from "../support/receiver.js";
import { eventually, startApi } from "../support/runtime.js";

// Incidents keep people informed (README "Flash floods"): the creation alert, one update per growth step
// crossed (25, 50, 100, …) at most once per INCIDENT_UPDATE_INTERVAL_SECONDS, one resolve alert — each under
// its own delivery id, exactly once, with two workers sharing the flood.

const { runtime, defer } = testRuntimes();

const FLOOD = { subject: "Checkout down", body: "Checkout returns 503 for everyone." };
const flood = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ ticket_id: `g-${from + i}`, ...FLOOD }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const deliveryIds = (received: Received[]) => received.map((r) => String(r.headers["x-smartsupport-delivery"]));
const bodyOf = (received: Received[], id: string) =>
  JSON.parse(received.find((r) => r.headers["x-smartsupport-delivery"] === id)!.body) as Record<string, any>;

async function twoWorkers(env: Record<string, string>) {
  const hook = await startReceiver();
  defer(() => hook.close());
  const a = runtime({ WEBHOOK_URL: hook.url, ...env }, "worker-a");
  const b = runtime({ WEBHOOK_URL: hook.url, ...env, REDIS_PREFIX: a.config.REDIS_PREFIX }, "worker-b");
  return { hook, a, b, both: [a, b] as LocalRuntime[] };
}
const drain = (rts: LocalRuntime[]) => Promise.all(rts.map((rt) => rt.bus.drain()));

describe("incident growth updates", () => {
  it("sends creation, one update per step the cadence allows, and one resolve — each delivery id once", { timeout: 180_000 }, async () => {
    const INTERVAL_S = 20; // well above the ~2 s (idle) to ~6 s (busy CI) two workers take to grow the incident from 11 to 55
    const { hook, a, both } = await twoWorkers({ INCIDENT_UPDATE_INTERVAL_SECONDS: String(INTERVAL_S) });

    // 11 look-alikes: the incident is created; its alert is its first notice. One worker takes them, in one
    // batch: the 11th goes to the flood lane, and a second worker could take it alone and process it before the
    // other ten are in the window — it would then alert on its own, as any ticket does before its flood is seen.
    await processAll([a], flood(11, 0));
    const [created] = await listIncidents(a, 10);
    expect(created).toMatchObject({ ticket_count: 11, last_update_step: 0, last_update_at: null });
    const id = created!.incident_id;
    await eventually(async () => hook.received.length >= 1);
    expect(deliveryIds(hook.received)).toEqual([`master_incident:${id}`]);

    // The interval has passed since the creation alert: growing past 25 sends the update for 25.
    await sleep(INTERVAL_S * 1000 + 200);
    const growthStarted = Date.now();
    await processAll(both, flood(19, 11)); // 30 tickets
    await drain(both);
    await eventually(async () => hook.received.length >= 2);
    expect(deliveryIds(hook.received)).toEqual([`master_incident:${id}`, `incident_update:${id}:25`]);
    expect(bodyOf(hook.received, `incident_update:${id}:25`)).toMatchObject({
      type: "incident_update",
      step: 25,
      previous_step: 0,
      incident: { incident_id: id, ticket_count: expect.any(Number), status: "open", summary: "Checkout down" },
    });

    // Growing past 50 right away, inside the interval: no update yet, the step stays due.
    await processAll(both, flood(25, 30)); // 55 tickets
    const insideInterval = Date.now() - growthStarted < INTERVAL_S * 1000;
    await drain(both);
    expect(insideInterval, `growing from 11 to 55 tickets took over ${INTERVAL_S} s here: raise INTERVAL_S`).toBe(true);
    expect(await getIncident(a, id)).toMatchObject({ ticket_count: 55, last_update_step: 25 });
    expect(deliveryIds(hook.received)).toEqual([`master_incident:${id}`, `incident_update:${id}:25`]);

    // The interval passes without growth: nothing is sent by itself (the due step waits for the next growth).
    await sleep(INTERVAL_S * 1000 + 200);
    await drain(both);
    expect(deliveryIds(hook.received)).toHaveLength(2);

    // A redelivered record links nothing new, so it announces nothing (and never under another id).
    const again = await dedupApply(a.redis, a.keys, "g-54", { action: "link", incident_id: id, members: ["g-53"] }, new Date(), {
      updateIntervalMs: INTERVAL_S * 1000,
    });
    expect(again).toMatchObject({ outcome: "linked", newlyLinked: [] });
    await drain(both);
    expect(deliveryIds(hook.received)).toHaveLength(2);

    // The next growth after the interval sends the update for 50.
    await processAll(both, flood(1, 55)); // 56 tickets
    await eventually(async () => hook.received.length >= 3);
    expect(bodyOf(hook.received, `incident_update:${id}:50`)).toMatchObject({
      type: "incident_update",
      step: 50,
      previous_step: 25,
      incident: { incident_id: id, ticket_count: 56 },
    });
    const grown = await getIncident(a, id);
    expect(grown).toMatchObject({ ticket_count: 56, last_update_step: 50 });
    expect(grown.last_update_at).not.toBeNull();

    // Resolve over HTTP, twice and concurrently: one resolve alert.
    const api = await startApi(a);
    defer(() => api.close());
    const post = () => fetch(`${api.base}/incidents/${encodeURIComponent(id)}/resolve`, { method: "POST" });
    const answers = await Promise.all([post(), post()]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect((await post()).status).toBe(200);
    await drain(both);
    await eventually(async () => hook.received.length >= 4);
    await drain(both);

    const ids = deliveryIds(hook.received);
    expect([...ids].sort()).toEqual(
      [`incident_resolved:${id}`, `incident_update:${id}:25`, `incident_update:${id}:50`, `master_incident:${id}`].sort(),
    );
    expect(bodyOf(hook.received, `incident_resolved:${id}`)).toMatchObject({
      type: "incident_resolved",
      incident: { incident_id: id, ticket_count: 56, status: "resolved", resolved_at: expect.any(String) },
    });

    const activity = await listActivity(a, 1000);
    const updates = activity.filter((e) => e.type === "incident_updated").map((e) => e.data);
    expect(updates.map((d) => d.step).sort()).toEqual([25, 50]);
    expect(updates.every((d) => d.incident_id === id)).toBe(true);
    expect(activity.filter((e) => e.type === "incident_resolved")).toHaveLength(1);
  });

  it("with a zero interval announces each step as it is crossed, in the configured format", { timeout: 120_000 }, async () => {
    const { hook, a, both } = await twoWorkers({ INCIDENT_UPDATE_INTERVAL_SECONDS: "0", WEBHOOK_FORMAT: "discord" });
    await processAll([a], flood(11, 0)); // one worker, one batch: as in the test above
    await processAll(both, flood(16, 11)); // 27 tickets: past 25
    const [incident] = await listIncidents(a, 10);
    const id = incident!.incident_id;
    await eventually(async () => hook.received.length >= 2);
    await drain(both);
    expect(deliveryIds(hook.received)).toEqual([`master_incident:${id}`, `incident_update:${id}:25`]);
    expect(bodyOf(hook.received, `incident_update:${id}:25`)).toMatchObject({
      content: `Incident ${id} passed 25 tickets`,
      embeds: [{ title: `Incident ${id} passed 25 tickets` }],
    });
  });
});
