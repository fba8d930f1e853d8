import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { SQSRecord } from "aws-lambda";
import { ensureShippedVersion, leaveRetrainJobs, runRetrainJobs } from "../../layers/core/services/learning.js";
import { classifyRecords, finishRecords } from "../../layers/core/services/processor.js";
import { sweepExpiredOffers } from "../../layers/core/services/routing.js";
import { StoreUnavailableError } from "../../layers/core/store/redis-port.js";
import type { LocalRuntime } from "./runtime.js";

/**
 * The local stand-in for the SQS → Lambda event source: receive up to a batch, run the classifier's pipeline
 * on it (the same two halves the classifier handler runs), ack what succeeded. What failed stays pending and
 * comes back after the visibility timeout; a worker that dies mid-batch leaves all of its records to be
 * reclaimed by another.
 *
 * Up to WORKER_BATCHES_IN_FLIGHT batches are under way at once, so the encoder does not wait on Redis: while
 * one batch is deduplicated, stored, routed and acked, the next is loaded and classified (the model router
 * runs one forward pass at a time). Batches finish one at a time, in the order they were received, and a
 * record is acked only once its batch has finished: stored and routed.
 */
export async function runWorker(rt: LocalRuntime, signal: AbortSignal): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  // Settles when the last batch received has finished (or failed): the next one finishes after it.
  let finished: Promise<void> = Promise.resolve();
  let failed = false;
  let lastSweep = 0;
  // Retrain jobs (README "Learning from corrections"): about once a second, while this worker runs none, it
  // claims any waiting and runs the retrain beside its batches — the fit in a worker thread, the corrections'
  // embeddings through the encoder's lane after the tickets' — so batches keep flowing meanwhile.
  const learning = { ...rt, embedder: rt.classifier };
  const retrainConsumer = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  let shippedRegistered = false;
  let retraining: Promise<void> | undefined;
  let lastRetrainCheck = 0;
  const checkRetrain = () => {
    lastRetrainCheck = Date.now();
    retraining = (async () => {
      // v1 (the shipped heads, with their held-out figures) is listed by GET /models once some worker ran this.
      if (!shippedRegistered) {
        await ensureShippedVersion(rt);
        shippedRegistered = true;
      }
      await runRetrainJobs(learning, { consumer: retrainConsumer, signal });
    })()
      .catch((err: unknown) => {
        if (signal.aborted) return;
        const level = err instanceof StoreUnavailableError ? "warn" : "error";
        rt.logger[level]("retrain failed; its jobs are claimed again after LEARNING_JOB_TIMEOUT_SECONDS", { error: err as Error });
      })
      .finally(() => (retraining = undefined));
  };

  const onFailure = (err: unknown) => {
    // Redis away or the batch failed as a whole: nothing of it was acked, everything comes back. Pause, retry.
    const level = err instanceof StoreUnavailableError ? "warn" : "error";
    rt.logger[level]("worker batch failed", { error: err as Error });
  };

  const start = (records: SQSRecord[]) => {
    const classified = classifyRecords(rt, records);
    const previous = finished;
    const run = async () => {
      // After the batch before has finished, even when this one failed early: finishes never overlap.
      const batch = await classified.finally(() => previous);
      const { batchItemFailures } = await finishRecords(rt, batch);
      const failedIds = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      await rt.queue.ack(records.filter((r) => !failedIds.has(r.messageId)));
      if (failedIds.size) rt.logger.warn("records failed; they will be retried", { failed: [...failedIds] });
    };
    const done = run().catch((err: unknown) => {
      failed = true;
      onFailure(err);
    });
    finished = done;
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  while (!signal.aborted) {
    if (inFlight.size >= rt.config.WORKER_BATCHES_IN_FLIGHT) {
      await Promise.race(inFlight);
      continue;
    }
    if (failed) {
      failed = false;
      await sleep(1_000, undefined, { signal }).catch(() => {});
      continue;
    }
    try {
      // Offers past their deadline (ROUTING_OFFERS) go to the next agent: every worker sweeps about once a
      // second; the deadlines live in Redis, so a restart or a dead worker loses none.
      if (rt.config.ROUTING_OFFERS && Date.now() - lastSweep >= 1_000) {
        lastSweep = Date.now();
        await sweepExpiredOffers(rt);
      }
      if (!retraining && Date.now() - lastRetrainCheck >= 1_000) checkRetrain();
      const records = await rt.queue.receive(rt.config.WORKER_DEEP_BATCH_SIZE, 1_000);
      if (records.length) start(records);
    } catch (err) {
      onFailure(err);
      await sleep(1_000, undefined, { signal }).catch(() => {});
    }
  }
  // Stopping: what is under way finishes (or fails and comes back); nothing new is taken. A retrain under way
  // stops (its jobs are claimed again after the timeout).
  await Promise.allSettled([...inFlight, retraining]);
  await leaveRetrainJobs(rt, retrainConsumer).catch(() => {});
}
