// Issue 13: one flood, one incident — a templated flood does not split, and a flood across a breaker change
// is counted in both spaces as one. Real Redis, the real model, the real worker pipeline.
import { describe, expect, it } from "vitest";
import type { Classification } from "../../layers/core/domain/classification.js";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import { listActivity } from "../../layers/core/services/activity.js";
import { listIncidents } from "../../layers/core/services/incidents.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { breakerReport } from "../../layers/core/store/lua/breaker.js";
import { startReceiver } from "../support/receiver.js";
import { processAll, testRuntimes } from "../support/pipeline.js";

const { runtime, defer } = testRuntimes();
async function receiver() {
  const hook = await startReceiver();
  defer(() => hook.close());
  return hook;
}
const kinds = (hook: Awaited<ReturnType<typeof startReceiver>>) => hook.received.map((r) => (JSON.parse(r.body) as { type: string }).type);

type T = { ticket_id: string; subject: string; body: string };


/** Opens the breaker (one failed call, by the seed's window rule): the model router answers with the baseline. */
const openBreaker = (rt: LocalRuntime) => breakerReport(rt.redis, rt.keys, { epoch: 0, permission: "call", outcome: "failure", maxProbes: 3 });

// Deterministic varied instances of one template: 6-digit order ids, customers' names.
const FIRST = ["Alice", "Bob", "Chen", "Dara", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo", "Nora", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Wei", "Yusuf", "Zoe", "Aarav", "Björn", "Camille", "Dmitri", "Esperanza", "Farah", "Gustavo"];
const LAST = ["Smith", "Okafor", "Müller", "Nakamura", "García", "Kowalski", "Haddad", "Johansson", "Rossi", "Singh", "Dubois", "Novak", "Yilmaz", "Silva", "O'Brien", "Nguyen", "Abernathy", "Vasquez-Holloway", "Fitzgerald", "Papadopoulos"];
function templated(n: number): T[] {
  let seed = 13;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => {
    const order = String(100_000 + Math.floor(rand() * 900_000));
    const name = `${FIRST[Math.floor(rand() * FIRST.length)]} ${LAST[Math.floor(rand() * LAST.length)]}`;
    return { ticket_id: `tf-${i}`, subject: `Order #${order}`, body: `Checkout returns 503 for order #${order}, customer ${name}` };
  });
}

// Urgent enough that a ticket alone fires the high-urgency webhook (asserted below, so the test means something).
const URGENT = { subject: "URGENT: production down", body: "Checkout is down in production, every payment fails with 503. Critical outage, please fix asap!" };
const urgent = (prefix: string, n: number, from = 0): T[] => Array.from({ length: n }, (_, i) => ({ ticket_id: `${prefix}-${from + i}`, ...URGENT }));

describe("one flood, one incident", () => {
  // 128: deep batches (WORKER_DEEP_BATCH_SIZE), two big batches deciding at once — where a ticket's look-alikes
  // are mostly unlinked and a second founder appeared before the deduplicator looked one hop further.
  it.each(["32", "128"])("a templated flood of 2,000 tickets over 2 workers (batches of up to %s) makes one incident and one master alert", async (deep) => {
    const hook = await receiver();
    const a = runtime({ WEBHOOK_URL: hook.url, ENCODER_THREADS: "1", WORKER_DEEP_BATCH_SIZE: deep }, "worker-a");
    const b = runtime({ WEBHOOK_URL: hook.url, ENCODER_THREADS: "1", WORKER_DEEP_BATCH_SIZE: deep, REDIS_PREFIX: a.config.REDIS_PREFIX }, "worker-b");
    const tickets = templated(2_000);
    expect(new Set(tickets.map((t) => t.body)).size).toBeGreaterThan(1_990);
    const t0 = performance.now();
    await processAll([a, b], tickets, 280_000);
    const seconds = (performance.now() - t0) / 1000;

    const incidents = await listIncidents(a, 50);
    const linked = (await Promise.all(tickets.map((t) => getTicket(a, t.ticket_id)))).filter((t) => t.incident_id);
    console.log(`templated flood: ${incidents.length} incident(s), ${incidents[0]?.ticket_count} tickets in it, ${linked.length} linked, ${seconds.toFixed(1)} s`);
    expect((await getTicket(a, "tf-0")).model).toBe("transformer");
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.ticket_count).toBeGreaterThan(1_900);
    const k = kinds(hook);
    expect(k.filter((x) => x === "master_incident")).toHaveLength(1);
    expect((await listActivity(a, 5_000)).filter((e) => e.type === "master_incident_created")).toHaveLength(1);
  }, 300_000);

  it("12 identical tickets across a breaker change (4 scored by the model, 8 by the baseline) make one incident of 12, one alert", async () => {
    const hook = await receiver();
    const rt = runtime({ WEBHOOK_URL: hook.url });
    await processAll([rt], urgent("bc", 4));
    expect((await getTicket(rt, "bc-0")).model).toBe("transformer");
    await openBreaker(rt);
    await processAll([rt], urgent("bc", 8, 4));
    expect((await getTicket(rt, "bc-4")).model).toBe("baseline");

    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(1);
    expect(new Set(incidents[0]!.ticket_ids)).toEqual(new Set(urgent("bc", 12).map((t) => t.ticket_id)));
    const k = kinds(hook);
    expect(k.filter((x) => x === "master_incident")).toHaveLength(1);
    // The first four alerted alone before there was a flood to speak of (the rule: 10 look-alikes); none after.
    expect(k.filter((x) => x === "high_urgency")).toHaveLength(4);
  });

  it("a ticket arriving with the breaker open joins the model-made incident, with no alert of its own", async () => {
    const hook = await receiver();
    const rt = runtime({ WEBHOOK_URL: hook.url });
    await processAll([rt], urgent("mo", 11));
    const [incident] = await listIncidents(rt, 50);
    expect(incident?.ticket_count).toBe(11);
    expect((await getTicket(rt, "mo-0")).model).toBe("transformer");
    const before = kinds(hook).filter((x) => x === "high_urgency").length;

    await openBreaker(rt);
    await processAll([rt], urgent("mo", 1, 11));
    const late = await getTicket(rt, "mo-11");
    expect(late.model).toBe("baseline");
    expect(late.urgency_score).toBeGreaterThan(0.8); // alone, it would alert
    expect(late.incident_id).toBe(incident!.incident_id);
    expect(await listIncidents(rt, 50)).toHaveLength(1);
    const k = kinds(hook);
    expect(k.filter((x) => x === "high_urgency")).toHaveLength(before);
    expect(k.filter((x) => x === "master_incident")).toHaveLength(1);
  });

  it("a ticket whose look-alikes are in an open incident joins it, though far from the incident's root and below the count", async () => {
    // Embeddings on a circle: cos(θ) between two tickets θ apart, so 0.9 is about 25.8°.
    const rt = runtime();
    const at = (deg: number) => {
      const v = new Float32Array(384);
      v[0] = Math.cos((deg * Math.PI) / 180);
      v[1] = Math.sin((deg * Math.PI) / 180);
      return v;
    };
    const input = (id: string, deg: number) => ({
      ticket_id: id,
      subject: "s",
      text: `ticket ${id}`,
      classification: {
        category: "Technical",
        probabilities: { Billing: 0, Technical: 1, Legal: 0 },
        urgency_score: 0.9,
        model: "transformer",
        embedding: at(deg),
      } as Classification,
    });
    const ids = [...Array.from({ length: 11 }, (_, i) => `root-${i}`), "mid-0", "mid-1", "mid-2", "far-0"];
    await acceptTickets(rt, ids.map((ticket_id) => ({ ticket_id, subject: "s", body: "b" })));
    // 11 at 0° make the incident; 3 at 20° join it (cos 20° ≈ 0.94 to every member).
    await rt.dedup.process(ids.slice(0, 11).map((id) => input(id, 0)));
    await rt.dedup.process(["mid-0", "mid-1", "mid-2"].map((id) => input(id, 20)));
    const [incident] = await listIncidents(rt, 50);
    expect(incident?.ticket_count).toBe(14);
    // At 40°: cos 40° ≈ 0.77 to the root, cos 20° to the three at 20° — 3 look-alikes, all in the incident.
    const { incidentOf } = await rt.dedup.process([input("far-0", 40)]);
    expect(incidentOf.get("far-0")).toBe(incident!.incident_id);
    expect(await listIncidents(rt, 50)).toHaveLength(1);
  });
});
