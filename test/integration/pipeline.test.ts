import { afterEach, describe, expect, it } from "vitest";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket, listQueue, popNext, queueSize } from "../../layers/core/services/queue.js";
import { eventually, startRuntime, type TestSystem } from "../support/runtime.js";
import { calm, urgent } from "../support/tickets.js";
import { startWorker } from "../support/worker.js";

const systems: TestSystem[] = [];
const system = (env: Record<string, string> = {}, consumer?: string) => {
  const s = startRuntime(env, consumer);
  systems.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.close()));
});


describe("intake → worker → queue", () => {
  it("orders the queue by urgency, earlier first among equals", async () => {
    const { rt } = system();
    await acceptTickets(rt, [calm("c1"), urgent("u1"), calm("c2"), urgent("u2"), calm("c3")]);
    const worker = startWorker(rt);
    await eventually(async () => (await queueSize(rt)) === 5);
    await worker.stop();

    expect((await listQueue(rt, 100)).map((t) => t.ticket_id)).toEqual(["u1", "u2", "c1", "c2", "c3"]);
    const popped = [];
    for (let i = 0; i < 5; i++) popped.push((await popNext(rt)).ticket_id);
    expect(popped).toEqual(["u1", "u2", "c1", "c2", "c3"]);
    await expect(popNext(rt)).rejects.toMatchObject({ status: 404, message: "No tickets in queue" });
    expect((await getTicket(rt, "u1")).status).toBe("popped");
  });

  it("keeps FIFO among equal urgency across separate submits", async () => {
    const { rt } = system();
    for (let i = 0; i < 20; i++) await acceptTickets(rt, [calm(`t${i}`)]);
    const worker = startWorker(rt);
    await eventually(async () => (await queueSize(rt)) === 20);
    await worker.stop();
    expect((await listQueue(rt, 100)).map((t) => t.ticket_id)).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
  });

  it("lets two concurrent poppers over 1,000 tickets pop each exactly once", async () => {
    const a = system();
    const b = system({ REDIS_PREFIX: a.config.REDIS_PREFIX });
    const ids = Array.from({ length: 1000 }, (_, i) => `p${i}`);
    await acceptTickets(a.rt, ids.map((id, i) => (i % 3 ? calm(id) : urgent(id))));
    const worker = startWorker(a.rt);
    await eventually(async () => (await queueSize(a.rt)) === 1000, 30_000);
    await worker.stop();

    const drain = async (rt: typeof a.rt) => {
      const got: string[] = [];
      for (;;) {
        try {
          got.push((await popNext(rt)).ticket_id);
        } catch (e) {
          if ((e as { status?: number }).status === 404) return got;
          throw e;
        }
      }
    };
    const [fromA, fromB] = await Promise.all([drain(a.rt), drain(b.rt)]);
    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);
    const all = [...fromA, ...fromB];
    expect(all).toHaveLength(1000);
    expect(new Set(all)).toEqual(new Set(ids));
  });

  it("processes 100 concurrent identical submits once", async () => {
    const { rt } = system();
    const ticket = { ticket_id: "same-1", subject: "Refund", body: "Please refund invoice 42" };
    const answers = await Promise.all(Array.from({ length: 100 }, () => acceptTickets(rt, [ticket])));
    expect(new Set(answers.map(([a]) => a!.job_id)).size).toBe(1);
    expect(await rt.redis.xlen(rt.keys.intake)).toBe(1);

    const worker = startWorker(rt);
    await eventually(async () => (await getTicket(rt, "same-1")).status === "processed");
    await worker.stop();
    await rt.bus.drain();
    const counters = await rt.redis.hgetall(rt.keys.counters);
    expect(counters).toMatchObject({ tickets_accepted_total: "1", tickets_processed_total: "1" });
    expect(await queueSize(rt)).toBe(1);
  });

  it("skips a redelivered record whose ticket was already processed", async () => {
    const { rt } = system();
    await acceptTickets(rt, [urgent("dup")]);
    // The same ticket sent twice, as an at-least-once queue may deliver it.
    await rt.queue.send([{ ticket_id: "dup", job_id: "again", lane: "main" }]);
    const worker = startWorker(rt);
    await eventually(async () => (await rt.redis.xlen(rt.keys.intake)) === 0);
    await worker.stop();
    await rt.bus.drain();
    expect(await queueSize(rt)).toBe(1);
    expect((await rt.redis.hgetall(rt.keys.counters)).tickets_processed_total).toBe("1");
  });

  it("hands the records of a worker that died before acking to another, and processes them once", async () => {
    const a = system({ QUEUE_VISIBILITY_TIMEOUT_SECONDS: "0.5" }, "worker-a");
    await acceptTickets(a.rt, Array.from({ length: 10 }, (_, i) => calm(`k${i}`)));
    // Worker A takes the whole batch and dies: nothing acked, nothing processed.
    const taken = await a.rt.queue.receive(32, 100);
    expect(taken).toHaveLength(10);

    const b = system({ REDIS_PREFIX: a.config.REDIS_PREFIX, QUEUE_VISIBILITY_TIMEOUT_SECONDS: "0.5" }, "worker-b");
    expect(await b.rt.queue.receive(32, 100)).toHaveLength(0); // still invisible
    const worker = startWorker(b.rt);
    await eventually(async () => (await queueSize(b.rt)) === 10);
    await eventually(async () => (await b.rt.redis.xlen(b.rt.keys.intake)) === 0);
    await worker.stop();
    expect((await b.rt.redis.hgetall(b.rt.keys.counters)).tickets_processed_total).toBe("10");
  });

  it("dead-letters a record after its fifth failed delivery", async () => {
    const { rt } = system({ QUEUE_VISIBILITY_TIMEOUT_SECONDS: "0.05", QUEUE_MAX_RECEIVES: "5" });
    await rt.redis.xadd(rt.keys.intake, 1000, { body: "not json" });
    const counts: string[] = [];
    await eventually(async () => {
      for (const r of await rt.queue.receive(32, 10)) counts.push(r.attributes.ApproximateReceiveCount);
      return (await rt.redis.xlen(rt.keys.intakeDlq)) === 1;
    });
    expect(counts).toEqual(["1", "2", "3", "4", "5"]);
    const [dead] = await rt.redis.xrevrange(rt.keys.intakeDlq, 1);
    expect(dead?.fields).toMatchObject({ body: "not json", deliveries: "6" });
    expect(await rt.redis.xlen(rt.keys.intake)).toBe(0);
  });

  it("reports a malformed record as a failure and still processes the rest of its batch", async () => {
    const { rt } = system();
    await acceptTickets(rt, [calm("ok-1")]);
    await rt.redis.xadd(rt.keys.intake, 1000, { body: "{\"nope\":1}" });
    const records = await rt.queue.receive(32, 100);
    const { processRecords } = await import("../../layers/core/services/processor.js");
    const res = await processRecords(rt, records);
    const bad = records.find((r) => r.body.includes("nope"))!;
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect((await getTicket(rt, "ok-1")).status).toBe("processed");
  });
});
