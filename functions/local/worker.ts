import { setTimeout as sleep } from "node:timers/promises";
import type { SQSRecord } from "aws-lambda";
import { sweepExpiredOffers } from "../../layers/core/services/routing.js";
import { StoreUnavailableError } from "../../layers/core/store/redis-port.js";
import { classifierHandler } from "../classifier/handler.js";
import type { LocalRuntime } from "./runtime.js";

/**
 * The local stand-in for the SQS → Lambda event source: receive up to a batch, hand it to the same
 * classifier handler, ack what succeeded. What failed stays pending and comes back after the visibility
 * timeout; a worker that dies mid-batch leaves all of its records to be reclaimed by another.
 */
export async function runWorker(rt: LocalRuntime, signal: AbortSignal): Promise<void> {
  const handle = classifierHandler(rt);
  let lastSweep = 0;
  while (!signal.aborted) {
    try {
      // Offers past their deadline (ROUTING_OFFERS) go to the next agent: every worker sweeps about once a
      // second; the deadlines live in Redis, so a restart or a dead worker loses none.
      if (rt.config.ROUTING_OFFERS && Date.now() - lastSweep >= 1_000) {
        lastSweep = Date.now();
        await sweepExpiredOffers(rt);
      }
      const records = await rt.queue.receive(rt.config.WORKER_BATCH_SIZE, 1_000);
      if (records.length === 0) continue;
      const { batchItemFailures } = await handle({ Records: records });
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      const done: SQSRecord[] = records.filter((r) => !failed.has(r.messageId));
      await rt.queue.ack(done);
      if (failed.size) rt.logger.warn("records failed; they will be retried", { failed: [...failed] });
    } catch (err) {
      // Redis away or the batch failed as a whole: nothing was acked, everything comes back. Pause, retry.
      const level = err instanceof StoreUnavailableError ? "warn" : "error";
      rt.logger[level]("worker batch failed", { error: err as Error });
      await sleep(1_000, undefined, { signal }).catch(() => {});
    }
  }
}
