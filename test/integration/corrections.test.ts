import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import { EMBEDDING_DIM } from "../../layers/core/ml/dimensions.js";
import { listActivity } from "../../layers/core/services/activity.js";
import { correctionVectorsOf } from "../../layers/core/services/correction-vectors.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { labelTicket } from "../../layers/core/services/corrections.js";
import {
  asLabelledExample,
  getCorrection,
  listCorrections,
  recordCorrection,
  setCorrectionEmbeddings,
  type StoredCorrection,
} from "../../layers/core/store/corrections.js";
import { loadLua } from "../../layers/core/store/lua/load.js";
import { getTicketRecord, storeProcessed } from "../../layers/core/store/tickets.js";
import { testRuntimes } from "../support/pipeline.js";
import { REDIS_URL } from "../support/runtime.js";

// The corrections store and its scripts on real Redis; tickets are stored as the classifier stores them
// (store-processed), without running the model.
const { runtime, defer } = testRuntimes();
const quiet = (env: Record<string, string> = {}) => ({ DEDUP_MIN_COUNT: "100000", ...env });

async function processed(rt: LocalRuntime, ids: string[], extra: Record<string, string> = {}) {
  await acceptTickets(rt, ids.map((ticket_id) => ({ ticket_id, subject: `Invoice ${ticket_id}`, body: "I was charged twice this month." })));
  for (const id of ids) {
    await storeProcessed(rt.redis, rt.keys, id, 1, {
      category: "Technical",
      urgency_score: "0.25",
      model: "transformer",
      processed_at: new Date().toISOString(),
      ...extra,
    });
  }
}

const label = (rt: LocalRuntime, id: string, body: { category?: "Billing" | "Technical" | "Legal"; urgent?: boolean }) => labelTicket(rt, id, body);
const ids = (cs: StoredCorrection[]) => cs.map((c) => c.ticket_id);
const unit = (seed: number) => {
  const v = new Float32Array(EMBEDDING_DIM);
  v[seed % EMBEDDING_DIM] = 1;
  return v;
};

function admin(): Redis {
  const r = new Redis(REDIS_URL);
  defer(async () => void (await r.quit()));
  return r;
}
/**
 * Every key under the runtime's prefix with its content, to prove a refused call wrote nothing. The outbox is
 * read by its consumers meanwhile (group state, acknowledged entries leave): of it, what was last appended.
 */
async function snapshot(redis: Redis, rt: LocalRuntime): Promise<Record<string, string>> {
  await rt.bus.drain();
  const keys = (await redis.keys(`${rt.config.REDIS_PREFIX}*`)).sort();
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (k === rt.keys.outbox) {
      const info = (await redis.xinfo("STREAM", k)) as unknown[];
      out[k] = String(info[info.indexOf("last-generated-id") + 1]);
    } else {
      out[k] = JSON.stringify(await redis.dump(k));
    }
  }
  return out;
}
/** Activity events of a type, oldest first, once every runtime's bus has delivered what it appended. */
async function activityOf(rts: LocalRuntime[], type: string) {
  await Promise.all(rts.map((rt) => rt.bus.drain()));
  return (await listActivity(rts[0]!, 1000)).filter((e) => e.type === type).reverse().map((e) => e.data);
}

describe("corrections store", () => {
  it("keeps the model's answer beside the correction, the cleaned text, and no embedding until one is filled in", async () => {
    const rt = runtime(quiet());
    await processed(rt, ["T-1"], { heads_version: "v7" });
    const out = await label(rt, "T-1", { category: "Billing", urgent: true });
    // The ticket with its correction; its own fields keep the model's answer.
    expect(out).toMatchObject({
      ticket_id: "T-1",
      category: "Technical",
      urgency_score: 0.25,
      model: "transformer",
      correction: { category: "Billing", urgent: true, corrected_at: expect.any(String) },
    });
    const c = await getCorrection(rt, "T-1");
    expect(c).toMatchObject({
      ticket_id: "T-1",
      category: "Billing",
      urgent: true,
      model: { category: "Technical", urgency_score: 0.25, model: "transformer", heads_version: "v7" },
      text: "Invoice T-1 I was charged twice this month.",
      embedding: null,
    });
    expect(asLabelledExample(c!)).toBeNull();
    expect(await getCorrection(rt, "nobody")).toBeNull();
    // The ticket itself is unchanged: its fields are the model's answer.
    expect(await getTicketRecord(rt, "T-1")).toMatchObject({ category: "Technical", urgency_score: "0.25" });
  });

  it("keeps at most LEARNING_MAX_EXAMPLES, dropping the oldest; a second correction of a ticket replaces the first in one slot", async () => {
    const rt = runtime(quiet({ LEARNING_MAX_EXAMPLES: "3", LEARNING_RETRAIN_EVERY: "0" }));
    await processed(rt, ["a", "b", "c", "d", "e"]);
    for (const id of ["a", "b", "c"]) await label(rt, id, { urgent: true });
    await label(rt, "a", { category: "Legal" }); // replaces a's first: still three, a now the newest
    expect(ids(await listCorrections(rt))).toEqual(["b", "c", "a"]);
    expect((await getCorrection(rt, "a"))!).toMatchObject({ category: "Legal" });
    expect((await getCorrection(rt, "a"))!.urgent).toBeUndefined();

    await label(rt, "d", { urgent: false });
    await label(rt, "e", { urgent: false });
    expect(ids(await listCorrections(rt))).toEqual(["a", "d", "e"]);
    expect(await getCorrection(rt, "b")).toBeNull();
    expect(await getCorrection(rt, "c")).toBeNull();
  });

  it("fills only empty embeddings, keeps them across a replacement of the same text, and lists them decoded", async () => {
    const rt = runtime(quiet({ LEARNING_MAX_EXAMPLES: "2" }));
    await processed(rt, ["x", "y", "z"]);
    await label(rt, "x", { urgent: true });
    await label(rt, "y", { urgent: true });
    expect(await setCorrectionEmbeddings(rt, [{ ticket_id: "x", embedding: unit(1) }, { ticket_id: "unknown", embedding: unit(2) }])).toBe(1);
    // A second fill changes nothing: x keeps the first.
    expect(await setCorrectionEmbeddings(rt, [{ ticket_id: "x", embedding: unit(3) }])).toBe(0);
    await label(rt, "x", { category: "Billing" });
    const list = await listCorrections(rt);
    expect(ids(list)).toEqual(["y", "x"]);
    expect(list[0]!.embedding).toBeNull();
    expect([...list[1]!.embedding!]).toEqual([...unit(1)]);
    expect(asLabelledExample(list[1]!)).toEqual({ id: "x", text: list[1]!.text, embedding: list[1]!.embedding, category: "Billing" });
    await expect(setCorrectionEmbeddings(rt, [{ ticket_id: "y", embedding: new Float32Array(3) }])).rejects.toThrow(/expected 384/);
    // A dropped correction takes its embedding with it.
    await label(rt, "z", { urgent: false });
    await label(rt, "y", { urgent: false });
    expect(ids(await listCorrections(rt))).toEqual(["z", "y"]);
    await label(rt, "x", { urgent: false });
    expect((await getCorrection(rt, "x"))!.embedding).toBeNull();
  });

  it("refuses what cannot be corrected: unknown, not processed yet, or another ticket under the same id", async () => {
    const rt = runtime(quiet());
    await acceptTickets(rt, [{ ticket_id: "waiting", subject: "s", body: "b" }]);
    await expect(label(rt, "nobody", { urgent: true })).rejects.toMatchObject({ status: 404 });
    await expect(label(rt, "waiting", { urgent: true })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/not processed yet/) });
    await processed(rt, ["T"]);
    const base = { ticket_id: "T", text: "t", corrected_at: new Date(), maxExamples: 10, retrainEvery: 0, retrainJobId: "j", urgent: true };
    expect(await recordCorrection(rt.redis, rt.keys, { ...base, job_id: "job_of_another_ticket" })).toEqual({ outcome: "changed" });
    expect(await listCorrections(rt)).toEqual([]);
  });

  it("writes nothing on bad input or a key of the wrong type", async () => {
    const rt = runtime(quiet({ LEARNING_RETRAIN_EVERY: "1" }));
    await processed(rt, ["T"]);
    const redis = admin();
    const job_id = (await getTicketRecord(rt, "T")).job_id!;
    const base = { ticket_id: "T", job_id, text: "t", corrected_at: new Date(), maxExamples: 10, retrainEvery: 1, retrainJobId: "j" };
    const before = await snapshot(redis, rt);
    await expect(recordCorrection(rt.redis, rt.keys, base)).rejects.toThrow(/category, urgent or both/);
    await expect(recordCorrection(rt.redis, rt.keys, { ...base, category: "Sales" })).rejects.toThrow(/Billing, Technical or Legal/);
    await expect(recordCorrection(rt.redis, rt.keys, { ...base, urgent: true, maxExamples: 0 })).rejects.toThrow(/max corrections/);
    await expect(recordCorrection(rt.redis, rt.keys, { ...base, urgent: true, retrainEvery: -1 })).rejects.toThrow(/retrain every/);
    const fill = loadLua("correction-embeddings");
    const fillKeys = [rt.keys.corrections, rt.keys.correctionEmbeddings, rt.keys.correctionChanges, rt.keys.correctionState];
    expect(await rt.redis.run(fill, fillKeys, ["T", ""])).toEqual(["invalid", "an embedding must not be empty"]);
    expect(await rt.redis.run(fill, fillKeys, ["T"])).toEqual(["invalid", "ticket ids and embeddings must come in pairs"]);
    expect(await snapshot(redis, rt)).toEqual(before);

    await redis.set(rt.keys.retrainJobs, "not a stream");
    const withBadKey = await snapshot(redis, rt);
    await expect(recordCorrection(rt.redis, rt.keys, { ...base, urgent: true })).rejects.toThrow(/WRONGTYPE/);
    expect(await snapshot(redis, rt)).toEqual(withBadKey);
  });

  it("queues exactly one retrain job per LEARNING_RETRAIN_EVERY corrections, from concurrent labels on several runtimes", async () => {
    const env = quiet({ LEARNING_RETRAIN_EVERY: "5", LEARNING_MAX_EXAMPLES: "1000" });
    const a = runtime(env, "a");
    const b = runtime({ ...env, REDIS_PREFIX: a.config.REDIS_PREFIX }, "b");
    const c = runtime({ ...env, REDIS_PREFIX: a.config.REDIS_PREFIX }, "c");
    const tickets = Array.from({ length: 17 }, (_, i) => `t${i}`);
    await processed(a, tickets);
    // 23 corrections: every ticket once, six of them twice (a replacement counts as a new correction).
    const calls = [...tickets, ...tickets.slice(0, 6)].map((id, i) => label([a, b, c][i % 3]!, id, { urgent: i % 2 === 0 }));
    await Promise.all(calls);
    const redis = admin();
    const jobs = await redis.xrange(a.keys.retrainJobs, "-", "+");
    expect(jobs).toHaveLength(4);
    for (const [, fields] of jobs) {
      expect(fields).toEqual(["job_id", expect.stringMatching(/^retrain_/), "reason", "corrections", "requested_at", expect.any(String)]);
    }
    expect(new Set(jobs.map(([, f]) => f[1])).size).toBe(4);
    expect(await redis.hget(a.keys.correctionState, "since_retrain")).toBe("3");
    expect(await activityOf([a, b, c], "ticket_relabelled")).toHaveLength(23);
    const requested = await activityOf([a, b, c], "retrain_requested");
    expect(requested.map((d) => d.job_id).sort()).toEqual(jobs.map(([, f]) => f[1]).sort());
    expect(requested[0]).toEqual({ job_id: expect.any(String), reason: "corrections", requested_at: expect.any(String) });
    expect(ids(await listCorrections(a))).toHaveLength(17);
  });

  it("announces each correction with the model's answer it replaces", async () => {
    const rt = runtime(quiet());
    await processed(rt, ["T"]);
    await label(rt, "T", { urgent: true });
    await label(rt, "T", { category: "Legal" });
    // Delivered concurrently, so in either order: told apart by `replaced`.
    const relabelled = (await activityOf([rt], "ticket_relabelled")).sort((x, y) => Number(x.replaced) - Number(y.replaced));
    expect(relabelled).toEqual([
      { ticket_id: "T", correction: { urgent: true, corrected_at: expect.any(String) }, model: { category: "Technical", urgency_score: 0.25, model: "transformer" }, replaced: false },
      { ticket_id: "T", correction: { category: "Legal", corrected_at: expect.any(String) }, model: { category: "Technical", urgency_score: 0.25, model: "transformer" }, replaced: true },
    ]);
  });

  it("a process's copy of the embeddings follows fills, replacements and drops", async () => {
    const rt = runtime(quiet({ LEARNING_MAX_EXAMPLES: "3" }));
    const other = runtime({ ...quiet({ LEARNING_MAX_EXAMPLES: "3" }), REDIS_PREFIX: rt.config.REDIS_PREFIX });
    const copy = correctionVectorsOf(rt);
    const held = async () => {
      await copy.sync(rt);
      return [...copy.entries()].map((e) => [e.id, e.vector.indexOf(1)] as const).sort();
    };
    await processed(rt, ["p", "q", "r", "s"]);
    await label(other, "p", { urgent: true });
    await label(other, "q", { urgent: true });
    expect(await held()).toEqual([]);
    await setCorrectionEmbeddings(other, [{ ticket_id: "p", embedding: unit(1) }, { ticket_id: "q", embedding: unit(2) }]);
    expect(await held()).toEqual([["p", 1], ["q", 2]]);
    await label(other, "r", { urgent: true });
    await setCorrectionEmbeddings(other, [{ ticket_id: "r", embedding: unit(3) }]);
    await label(other, "p", { urgent: false }); // replaced, same text: keeps its embedding, becomes the newest
    await label(other, "s", { urgent: true }); // drops q, the oldest now
    expect(await held()).toEqual([["p", 1], ["r", 3]]);
    // The copy holds what the store lists.
    const listed = (await listCorrections(rt)).filter((c) => c.embedding).map((c) => [c.ticket_id, c.embedding!.indexOf(1)] as const).sort();
    expect(await held()).toEqual(listed);
    expect(correctionVectorsOf(rt)).toBe(copy);
    expect(correctionVectorsOf(other)).not.toBe(copy);
  });
});
