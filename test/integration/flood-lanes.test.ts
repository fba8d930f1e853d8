import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../functions/local/runtime.js";
import type { Lane } from "../../layers/core/ports/queue-port.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { testRuntimes } from "../support/pipeline.js";
import { eventually } from "../support/runtime.js";
import { startWorker } from "../support/worker.js";

const { runtime } = testRuntimes();

/** Sends n messages to a lane directly (the queue's own send, as intake does in AWS). */
async function fill(rt: LocalRuntime, lane: Lane, n: number, tag = lane) {
  await rt.queue.send(Array.from({ length: n }, (_, i) => ({ ticket_id: `${tag}-${i}`, job_id: `job-${tag}-${i}`, lane })));
}

/** Receives and acks batch after batch until both lanes are empty: the lanes each batch came from. */
async function drainBatches(rt: LocalRuntime, batchSize: number): Promise<Lane[][]> {
  const batches: Lane[][] = [];
  for (;;) {
    const records = await rt.queue.receive(batchSize, 10);
    if (records.length === 0) return batches;
    batches.push(records.map((r) => rt.queue.laneOf(r)));
    await rt.queue.ack(records);
  }
}

const flood = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ ticket_id: `${tag}-${i}`, subject: "Checkout down", body: `Checkout returns 503 for order #${1000 + i}, customer ${tag}` }));

describe("flood lanes", () => {
  it("gives the flood lane at most FLOOD_LANE_SHARE of a batch while the main lane has work, all of it after", async () => {
    const rt = runtime({ FLOOD_LANE_SHARE: "0.25" });
    await fill(rt, "flood", 400);
    await fill(rt, "main", 100);
    const batches = await drainBatches(rt, 32);
    const floodIn = (b: Lane[]) => b.filter((l) => l === "flood").length;
    const lastMain = batches.map((b) => b.includes("main")).lastIndexOf(true);
    // While main had work: 8 of 32 (0.25) for the flood lane, so 100 main records are through in 5 batches.
    for (const b of batches.slice(0, lastMain)) expect(floodIn(b)).toBe(8);
    expect(lastMain).toBeLessThanOrEqual(4);
    // Then the flood lane runs at full speed.
    for (const b of batches.slice(lastMain + 1, -1)) expect(b).toEqual(Array(32).fill("flood"));
    expect(batches.flat().filter((l) => l === "main")).toHaveLength(100);
    expect(batches.flat().filter((l) => l === "flood")).toHaveLength(400);
  });

  it("takes deep batches from a deep main lane (the flood lane its share of them), but flood-only batches no bigger than WORKER_BATCH_SIZE", async () => {
    const rt = runtime({ FLOOD_LANE_SHARE: "0.25", WORKER_BATCH_SIZE: "16" });
    await fill(rt, "flood", 200);
    await fill(rt, "main", 300);
    const batches = await drainBatches(rt, 64);
    const floodIn = (b: Lane[]) => b.filter((l) => l === "flood").length;
    const lastMain = batches.map((b) => b.includes("main")).lastIndexOf(true);
    // While main had work: batches of 64, 16 of them (0.25) from the flood lane.
    for (const b of batches.slice(0, lastMain)) {
      expect(b).toHaveLength(64);
      expect(floodIn(b)).toBe(16);
    }
    // Main dry: the flood lane alone, in batches of at most 16.
    const after = batches.slice(lastMain + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const b of after) {
      expect(b.every((l) => l === "flood")).toBe(true);
      expect(b.length).toBeLessThanOrEqual(16);
    }
    expect(batches.flat().filter((l) => l === "flood")).toHaveLength(200);
    expect(batches.flat().filter((l) => l === "main")).toHaveLength(300);
  });

  it("keeps the share with batches of one: one flood record in every four receives while main has work", async () => {
    const rt = runtime({ FLOOD_LANE_SHARE: "0.25" });
    await fill(rt, "flood", 20);
    await fill(rt, "main", 12);
    const lanes = (await drainBatches(rt, 1)).map((b) => b[0]);
    const mainDoneAt = lanes.lastIndexOf("main");
    expect(lanes.slice(0, mainDoneAt + 1).filter((l) => l === "flood")).toHaveLength(Math.floor((mainDoneAt + 1) / 4));
    expect(lanes.slice(mainDoneAt + 1).every((l) => l === "flood")).toBe(true);
  });

  it("hands both lanes' records of a dead consumer to another after the visibility timeout", async () => {
    const env = { QUEUE_VISIBILITY_TIMEOUT_SECONDS: "0.2" };
    const dead = runtime(env, "dead");
    const alive = runtime({ ...env, REDIS_PREFIX: dead.config.REDIS_PREFIX }, "alive");
    await fill(dead, "flood", 10);
    await fill(dead, "main", 10);
    // The dead consumer takes records from both lanes and never acks them.
    const taken = await dead.queue.receive(32, 10);
    expect(new Set(taken.map((r) => dead.queue.laneOf(r)))).toEqual(new Set(["main", "flood"]));
    await new Promise((r) => setTimeout(r, 300));
    const again = await alive.queue.receive(32, 10);
    expect(again.map((r) => r.messageId).sort()).toEqual(taken.map((r) => r.messageId).sort());
    expect(again.every((r) => r.attributes.ApproximateReceiveCount === "2")).toBe(true);
    await alive.queue.ack(again);
    expect(await alive.redis.xlen(alive.keys.intake)).toBe(0);
    expect(await alive.redis.xlen(alive.keys.intakeFlood)).toBe(0);
  });

  it("processes a distinct ticket sent after a 300-ticket flood within the first batch; without lanes, after the flood", async () => {
    const behind = async (env: Record<string, string>) => {
      const rt = runtime(env);
      const floodTickets = flood(300, "outage");
      // Accepted before any worker runs: the flood is all queued ahead of the distinct ticket.
      await acceptTickets(rt, floodTickets.slice(0, 150));
      await acceptTickets(rt, floodTickets.slice(150));
      await acceptTickets(rt, [{ ticket_id: "vat", subject: "Invoice shows wrong VAT number", body: "Our VAT ID is missing on invoice INV-7731." }]);
      const worker = startWorker(rt);
      await eventually(async () => Number(await rt.redis.hget(rt.keys.counters, "tickets_processed_total")) === 301, 120_000);
      await worker.stop();
      const distinct = await getTicket(rt, "vat");
      const processedAt = (t: { processed_at?: string | null }) => Date.parse(t.processed_at ?? "");
      const before = [];
      for (const t of floodTickets) {
        const ticket = await getTicket(rt, t.ticket_id);
        if (processedAt(ticket) < processedAt(distinct)) before.push(t.ticket_id);
      }
      return { before: before.length, floodLane: Number(await rt.redis.hget(rt.keys.counters, "tickets_flood_lane_total")) };
    };
    const lanes = await behind({ WORKER_BATCH_SIZE: "32" });
    // Up to a dozen or so flood tickets went to the main lane before the flood was recognised, and the
    // worker's first batch is shared; nothing more can be ahead of it (two batches allow for a batch in flight).
    expect(lanes.floodLane).toBeGreaterThan(270);
    expect(lanes.before).toBeLessThanOrEqual(64);
    const oneLane = await behind({ WORKER_BATCH_SIZE: "32", FLOOD_LANE_THRESHOLD: "0" });
    expect(oneLane.floodLane).toBe(0);
    expect(oneLane.before).toBeGreaterThan(250);
  });
});
