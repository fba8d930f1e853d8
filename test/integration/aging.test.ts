import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { popNext, queueSize } from "../../layers/core/services/queue.js";
import { testRuntimes } from "../support/pipeline.js";
import { eventually } from "../support/runtime.js";
import { calm, urgent } from "../support/tickets.js";
import { startWorker } from "../support/worker.js";

const { runtime } = testRuntimes();

/** A calm ticket (S ≈ 0.01), then 1.5 s later an urgent one (S ≈ 0.97): which does a pop serve first? */
async function firstServed(agingPerHour: number): Promise<string> {
  const rt = runtime({ QUEUE_AGING_PER_HOUR: String(agingPerHour) });
  await acceptTickets(rt, [calm("old-calm")]);
  await sleep(1_500);
  await acceptTickets(rt, [urgent("fresh-urgent")]);
  const worker = startWorker(rt);
  await eventually(async () => (await queueSize(rt)) === 2);
  await worker.stop();
  return (await popNext(rt)).ticket_id;
}

describe("queue aging (QUEUE_AGING_PER_HOUR)", () => {
  it("serves an old calm ticket before a fresh urgent one once it has waited long enough, through the real pipeline", async () => {
    // 3,600 S-units per hour = 1 per second: 1.5 s of waiting outweighs 0.96 of urgency.
    expect(await firstServed(3600)).toBe("old-calm");
  });

  it("keeps the seed's order without aging: the urgent ticket first", async () => {
    expect(await firstServed(0)).toBe("fresh-urgent");
  });
});
