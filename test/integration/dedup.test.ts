import { describe, expect, it } from "vitest";
import { dot } from "../../layers/core/domain/vectors.js";
import { loadConfig } from "../../layers/core/config.js";
import { loadSimilarity } from "../../layers/core/ml/similarity.js";
import { Deduplicator } from "../../layers/core/services/dedup/deduplicator.js";
import { listActivity } from "../../layers/core/services/activity.js";
import { getIncident, listIncidents, resolve } from "../../layers/core/services/incidents.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { dedupApply, incidentsVersion } from "../../layers/core/store/incidents.js";
import { breakerReport } from "../../layers/core/store/lua/breaker.js";
import type { LuaScript, RedisArg } from "../../layers/core/store/redis-port.js";
import { eventually } from "../support/runtime.js";
import { startReceiver } from "../support/receiver.js";
import { processAll, testRuntimes } from "../support/pipeline.js";
import { startWorker } from "../support/worker.js";

const { runtime, defer } = testRuntimes();

const FLOOD = { subject: "Checkout down", body: "Checkout returns 503 for everyone." };
const flood = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ ticket_id: `${prefix}-${from + i}`, ...FLOOD }));
// Near-identical: punctuation and a trailing plea vary (pairwise cosine ≥ 0.93 with MiniLM).
const nearFlood = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ticket_id: `near-${i}`,
    subject: "Checkout down",
    body: `Checkout returns 503 for everyone.${i % 2 ? "" : " Please help"}${i % 3 ? "!" : "."}`,
  }));

/** A dedup input as the worker hands it over: scored by the model, with this embedding. */
const modelScored = (ticket_id: string, embedding: Float32Array) => ({
  ticket_id,
  subject: "s",
  text: `text of ${ticket_id}`,
  classification: { category: "Technical" as const, probabilities: { Billing: 0, Technical: 1, Legal: 0 }, urgency_score: 0.1, model: "transformer" as const, embedding },
});
/** A unit vector at `deg` degrees on a circle in the first two dimensions: cosine > 0.9 within ~25.8°. */
const onCircle = (deg: number) => {
  const v = new Float32Array(384);
  v[0] = Math.cos((deg * Math.PI) / 180);
  v[1] = Math.sin((deg * Math.PI) / 180);
  return v;
};
/** A model-scored dedup input at `deg` degrees on that circle. */
const onCircleItem = (ticket_id: string, deg: number) => modelScored(ticket_id, onCircle(deg));


describe("flash-flood suppression", () => {
  it("10 identical tickets make no incident; the 11th makes one with all 11 linked", async () => {
    const rt = runtime();
    await processAll(rt, flood("f", 10));
    expect(await listIncidents(rt, 50)).toEqual([]);
    expect((await getTicket(rt, "f-0")).incident_id).toBeNull();

    await processAll(rt, flood("f", 1, 10));
    const [incident] = await listIncidents(rt, 50);
    expect(incident).toMatchObject({ ticket_count: 11, status: "open", root_ticket_id: "f-10", summary: "Checkout down" });
    expect(new Set(incident!.ticket_ids)).toEqual(new Set(flood("f", 11).map((t) => t.ticket_id)));
    for (const t of flood("f", 11)) expect((await getTicket(rt, t.ticket_id)).incident_id).toBe(incident!.incident_id);
    const events = (await listActivity(rt, 200)).map((e) => e.type);
    expect(events.filter((t) => t === "master_incident_created")).toHaveLength(1);
    expect(events.filter((t) => t === "ticket_linked_to_master_incident")).toHaveLength(11);
  });

  it.each([1, 3, 6])("keeps the boundary for DEDUP_MIN_COUNT=%i: that many make none, one more makes one", async (k) => {
    const rt = runtime({ DEDUP_MIN_COUNT: String(k) });
    await processAll(rt, flood("k", k));
    expect(await listIncidents(rt, 50)).toHaveLength(0);
    await processAll(rt, flood("k", 1, k));
    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.ticket_count).toBe(k + 1);
  });

  it("links later look-alikes to the open incident", async () => {
    const rt = runtime();
    await processAll(rt, flood("a", 11));
    await processAll(rt, flood("a", 3, 11));
    const [incident] = await listIncidents(rt, 50);
    expect(incident!.ticket_count).toBe(14);
    expect(await listIncidents(rt, 50)).toHaveLength(1);
  });

  it("makes exactly one incident of 200 near-identical tickets over 2 concurrent workers, with one alert", async () => {
    const hook = await startReceiver();
    defer(() => hook.close());
    const a = runtime({ WEBHOOK_URL: hook.url }, "worker-a");
    const b = runtime({ WEBHOOK_URL: hook.url, REDIS_PREFIX: a.config.REDIS_PREFIX }, "worker-b");
    const tickets = nearFlood(200);
    await acceptTickets(a, tickets);
    const workers = [startWorker(a), startWorker(b)];
    await eventually(async () => Number((await a.redis.hgetall(a.keys.counters)).tickets_processed_total) === 200, 60_000);
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all([a.bus.drain(), b.bus.drain()]);

    const incidents = await listIncidents(a, 50);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.ticket_count).toBe(200);
    for (const t of tickets) expect((await getTicket(a, t.ticket_id)).incident_id).toBe(incidents[0]!.incident_id);
    const kinds = hook.received.map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(kinds.filter((k) => k === "master_incident")).toHaveLength(1);
    expect(kinds.filter((k) => k === "high_urgency")).toHaveLength(0);
  });

  it("a create refused as stale (another incident was made meanwhile) is decided again on fresh incidents, not lost", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "3" });
    const similarity = () => loadSimilarity(loadConfig({}).MODELS_DIR, 1);
    // Lexical space (no embedding): the same words make the same signature.
    const batch = flood("y", 4).map((t) => ({
      ticket_id: t.ticket_id,
      subject: t.subject,
      text: `${t.subject} ${t.body}`,
      classification: { category: "Technical" as const, probabilities: { Billing: 0, Technical: 1, Legal: 0 }, urgency_score: 0.1, model: "baseline" as const },
    }));
    const other = [{ ticket_id: "z-0", subject: "Login down", body: "SSO fails" }, { ticket_id: "z-1", subject: "Login down", body: "SSO fails" }];
    await acceptTickets(rt, [...flood("y", 4), ...other]);
    // Another worker creates an unrelated incident between this worker's decision and its create reaching Redis.
    const replies: string[] = [];
    const run = async <T,>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> => {
      if (script.name === "dedup-apply" && args[0] === "create" && replies.length === 0) {
        await dedupApply(rt.redis, rt.keys, "z-0", { action: "create", incident_id: "inc-z", summary: "Login down", category: "Technical", space: "lexical", members: ["z-0", "z-1"] }, new Date());
      }
      const reply = await rt.redis.run<T>(script, keys, args);
      if (script.name === "dedup-apply") replies.push((reply as string[])[0]!);
      return reply;
    };
    const interleaved = new Proxy(rt.redis, { get: (target, p, receiver) => (p === "run" ? run : Reflect.get(target, p, receiver)) });
    const result = await new Deduplicator({ ...rt, redis: interleaved }, similarity).process(batch);

    expect(replies.slice(0, 2)).toEqual(["stale", "created"]);
    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(2);
    const flooded = incidents.find((i) => i.incident_id !== "inc-z")!;
    expect(new Set(flooded.ticket_ids)).toEqual(new Set(flood("y", 4).map((t) => t.ticket_id)));
    for (const t of flood("y", 4)) expect(result.incidentOf.get(t.ticket_id)).toBe(flooded.incident_id);
  });

  it("a ticket whose look-alikes resemble an open incident joins it rather than founding a second one for the flood", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "3", DEDUP_SIM_THRESHOLD: "0.9" });
    const dedup = new Deduplicator(rt, () => loadSimilarity(loadConfig({}).MODELS_DIR, 1));
    // Not transitive, like a templated flood: t is near n (0.94) and n near u (0.94), t is not near u (0.78).
    const unit = (a: number, b: number) => {
      const v = new Float32Array(384);
      v[0] = a;
      v[1] = b;
      return v.map((x) => x / Math.hypot(a, b));
    };
    const [u, n, t] = [unit(1, 0), unit(1, 0.35), unit(1, 0.8)];
    const item = modelScored;
    const ids = ["u-0", "u-1", "u-2", "u-3", "t", "n-0", "n-1", "n-2", "n-3"];
    await acceptTickets(rt, ids.map((ticket_id) => ({ ticket_id, subject: "s", body: "b" })));
    await dedup.process(["u-0", "u-1", "u-2", "u-3"].map((id) => item(id, u)));
    const [first] = await listIncidents(rt, 50);
    expect(first).toBeDefined();
    // t decides first in its batch, while its look-alikes are not linked yet.
    const result = await dedup.process([item("t", t), ...["n-0", "n-1", "n-2", "n-3"].map((id) => item(id, n))]);
    expect(await listIncidents(rt, 50)).toHaveLength(1);
    expect(result.incidentOf.get("t")).toBe(first!.incident_id);
  });

  it("a would-be founder first catches up with links another worker made meanwhile, and joins their incident", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "3", DEDUP_SIM_THRESHOLD: "0.9" });
    const similarity = () => loadSimilarity(loadConfig({}).MODELS_DIR, 1);
    // On a circle (cosine > 0.9 within ~25.8°): the incident's tickets u at 0°, x at 20° (joins it), the
    // look-alikes l at 40° (near x, not u), t at 60° (near l only). Nothing ties t to the incident but x's link.
    const us = ["u-0", "u-1", "u-2", "u-3"];
    const ls = ["l-0", "l-1", "l-2"];
    await acceptTickets(rt, [...us, "x", "t", ...ls].map((ticket_id) => ({ ticket_id, subject: "s", body: "b" })));

    // Worker A: makes the incident, then decides x (its look-alikes read now) and stops right before linking it.
    let paused!: () => void;
    const atLink = new Promise<void>((r) => (paused = r));
    let release!: () => void;
    const go = new Promise<void>((r) => (release = r));
    const runA = async <T,>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> => {
      if (script.name === "dedup-apply" && args[0] === "link") {
        paused();
        await go;
      }
      return rt.redis.run<T>(script, keys, args);
    };
    const a = new Deduplicator({ ...rt, redis: new Proxy(rt.redis, { get: (o, p, r) => (p === "run" ? runA : Reflect.get(o, p, r)) }) }, similarity);
    await a.process(us.map((id) => onCircleItem(id, 0)));
    const [first] = await listIncidents(rt, 50);
    expect(first).toBeDefined();
    const linkingX = a.process([onCircleItem("x", 20)]);
    await atLink;

    // Worker B: logs and syncs its batch, then — before it decides — A's link of x lands.
    let once = false;
    const b = new Deduplicator(rt, async () => {
      const search = await similarity();
      return {
        pairs: async (queries, window, threshold) => {
          if (!once) {
            once = true;
            release();
            await linkingX;
          }
          return search.pairs(queries, window, threshold);
        },
      };
    });
    const result = await b.process([onCircleItem("t", 60), ...ls.map((id) => onCircleItem(id, 40))]);

    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(1);
    expect(new Set(incidents[0]!.ticket_ids)).toEqual(new Set([...us, "x", "t", ...ls]));
    expect(result.incidentOf.get("t")).toBe(first!.incident_id);
  });

  it("a would-be founder follows look-alikes up to three hops to the open incident of its flood", async () => {
    const rt = runtime({ DEDUP_MIN_COUNT: "3", DEDUP_SIM_THRESHOLD: "0.9" });
    const dedup = new Deduplicator(rt, () => loadSimilarity(loadConfig({}).MODELS_DIR, 1));
    // On a circle (cosine > 0.9 within ~25.8°), a chain: the incident's u at 0°, x at 20° (linked to it), y at
    // 40°, the look-alikes l at 60°, t at 80°. t reaches a linked ticket only through l, then y, then x.
    const us = ["u-0", "u-1", "u-2", "u-3"];
    const ls = ["l-0", "l-1", "l-2"];
    await acceptTickets(rt, [...us, "x", "y", "t", ...ls].map((ticket_id) => ({ ticket_id, subject: "s", body: "b" })));
    await dedup.process(us.map((id) => onCircleItem(id, 0)));
    await dedup.process([onCircleItem("x", 20)]);
    const [first] = await listIncidents(rt, 50);
    expect(first!.ticket_ids).toContain("x");
    // t decides first in its batch, while l and y are not linked yet.
    const result = await dedup.process([onCircleItem("t", 80), ...ls.map((id) => onCircleItem(id, 60)), onCircleItem("y", 40)]);

    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(1);
    expect(result.incidentOf.get("t")).toBe(first!.incident_id);
    expect(new Set(incidents[0]!.ticket_ids)).toEqual(new Set([...us, "x", "t", ...ls, "y"]));
  });

  it("a create decided on an old incidents version writes nothing and says so", async () => {
    const rt = runtime();
    await acceptTickets(rt, [...flood("s", 2), ...flood("t", 2)]);
    const seen = await incidentsVersion(rt);
    const create = (id: string, members: string[], seenVersion?: string | null) =>
      dedupApply(rt.redis, rt.keys, members[0]!, { action: "create", incident_id: id, summary: "Checkout down", category: "Technical", space: "lexical", members, seenVersion }, new Date());
    expect((await create("inc-1", ["s-0", "s-1"], seen)).outcome).toBe("created");
    expect(await create("inc-2", ["t-0", "t-1"], seen)).toEqual({ outcome: "stale" });
    expect((await listIncidents(rt, 50)).map((i) => i.incident_id)).toEqual(["inc-1"]);
    expect((await getTicket(rt, "t-0")).incident_id ?? null).toBeNull();
    // At the version now current it goes ahead.
    expect((await create("inc-2", ["t-0", "t-1"], await incidentsVersion(rt))).outcome).toBe("created");
    expect((await listIncidents(rt, 50)).map((i) => i.incident_id).sort()).toEqual(["inc-1", "inc-2"]);
  });

  it("with the int8 encoder (ENCODER_PRECISION=int8), 120 near-identical tickets still make one incident", async () => {
    const rt = runtime({ ENCODER_PRECISION: "int8" });
    const tickets = nearFlood(120);
    await processAll(rt, tickets);
    const incidents = await listIncidents(rt, 50);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.ticket_count).toBe(120);
    expect((await getTicket(rt, "near-0")).model).toBe("transformer");
  });

  it.each(["fp32", "int8"])("never merges distinct problems (ENCODER_PRECISION=%s)", async (precision) => {
    const rt = runtime({ DEDUP_MIN_COUNT: "1", ENCODER_PRECISION: precision });
    const distinct = [
      ["Refund", "I was charged twice for my March invoice, please refund one charge."],
      ["SSO broken", "Our Okta SAML login fails with an invalid audience error."],
      ["GDPR request", "Please delete all personal data you hold about me under article 17."],
      ["Export", "How do I export my reports to CSV?"],
      ["API 429", "Your API returns 429 rate limit errors even at low volume."],
      ["Contract", "We want to terminate our contract at the end of the term; what notice is needed?"],
      ["Mobile crash", "The iOS app crashes when I open the settings screen."],
      ["VAT number", "Please add our VAT number to future invoices."],
    ].map(([subject, body], i) => ({ ticket_id: `d-${i}`, subject: subject!, body: body! }));
    await processAll(rt, distinct);
    expect(await listIncidents(rt, 50)).toEqual([]);
  });

  it("does not count tickets older than the window", async () => {
    const rt = runtime({ DEDUP_WINDOW_SECONDS: "2" });
    await processAll(rt, flood("old", 10));
    await new Promise((r) => setTimeout(r, 2_300));
    // The 11th, once the first ten have left the window: alone, so no incident.
    await processAll(rt, flood("old", 1, 10));
    expect(await listIncidents(rt, 50)).toEqual([]);
    // A fresh flood now forms its own incident, without the expired ten.
    await processAll(rt, flood("old", 11, 11));
    const [incident] = await listIncidents(rt, 50);
    expect(incident!.ticket_ids.filter((id) => Number(id.split("-")[1]) < 10)).toEqual([]);
    expect(incident!.ticket_count).toBeGreaterThanOrEqual(11);
  });

  it("takes no new links into a resolved incident", async () => {
    const rt = runtime();
    await processAll(rt, flood("r", 11));
    const [incident] = await listIncidents(rt, 50);
    await resolve(rt, incident!.incident_id);
    await processAll(rt, flood("r", 1, 11));
    const after = await getIncident(rt, incident!.incident_id);
    expect(after).toMatchObject({ status: "resolved", ticket_count: 11 });
    expect((await getTicket(rt, "r-11")).incident_id).not.toBe(incident!.incident_id);
    expect((await listActivity(rt, 500)).some((e) => e.type === "incident_resolved")).toBe(true);
  });

  it("groups an identical flood lexically while the breaker is open", async () => {
    const rt = runtime();
    await breakerReport(rt.redis, rt.keys, { epoch: 0, permission: "call", outcome: "failure", maxProbes: 3 });
    await processAll(rt, flood("lex", 11));
    expect((await getTicket(rt, "lex-0")).model).toBe("baseline");
    const [incident] = await listIncidents(rt, 50);
    expect(incident?.ticket_count).toBe(11);
  });
});

describe("window search", () => {
  it("counts n(t) exactly as brute force does, on a random set with near neighbours", async () => {
    const rt = runtime({ DEDUP_SIM_THRESHOLD: "0.9" });
    const config = loadConfig({});
    const dedup = new Deduplicator(rt, () => loadSimilarity(config.MODELS_DIR, 1));
    // Clusters of noisy copies of random directions, so similarities straddle the threshold.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const unit = (v: Float32Array) => {
      const n = Math.sqrt(dot(v, v));
      return v.map((x) => x / n);
    };
    const centres = Array.from({ length: 8 }, () => unit(Float32Array.from({ length: 384 }, rand)));
    const vectors = Array.from({ length: 300 }, (_, i) =>
      unit(centres[i % 8]!.map((x) => x + 0.008 * rand() * (1 + (i % 5)))),
    );
    const tickets = vectors.map((embedding, i) => ({
      ticket_id: `v-${i}`,
      subject: "s",
      text: "s",
      classification: { category: "Technical" as const, probabilities: { Billing: 0, Technical: 1, Legal: 0 }, urgency_score: 0.1, model: "transformer" as const, embedding },
    }));
    // Half the set is already in the window (an earlier batch), half arrives now.
    await dedup.process(tickets.slice(0, 150).map((t) => ({ ...t, classification: { ...t.classification } })));
    await dedup.sync();
    const found = await dedup.neighbours(
      tickets.slice(150).map((t) => ({ ticket_id: t.ticket_id, embedding: t.classification.embedding })),
    );
    let total = 0;
    for (let i = 150; i < 300; i++) {
      // The window holds the first 150 only: this batch was searched without being logged.
      const brute = vectors.slice(0, 150).filter((u) => dot(u, vectors[i]!) > 0.9).length;
      expect(found.get(`v-${i}`)!.length).toBe(brute);
      total += brute;
    }
    expect(total).toBeGreaterThan(100);
    expect(total).toBeLessThan(150 * 150);
  });
});
