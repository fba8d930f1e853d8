import type { Keys } from "./keys.js";
import { loadLua } from "./lua/load.js";
import { pruneConsumers } from "./prune-consumers.js";
import { pairsToObject, type RedisPort } from "./redis-port.js";

// Retrain jobs: entries {job_id, reason, requested_at} of the keys.retrainJobs stream, appended by
// POST /models/retrain (retrain-request) and by the label script every LEARNING_RETRAIN_EVERY corrections.
// Workers read them through one consumer group (retrain-claim): one retrain at a time, covering every job
// waiting; a claim is renewed while the retrain runs (retrain-renew) and acknowledged once its version is
// stored (retrain-ack); a worker that died leaves its jobs to be claimed again after the timeout.

const requestScript = loadLua("retrain-request");
const claimScript = loadLua("retrain-claim");
const renewScript = loadLua("retrain-renew");
const ackScript = loadLua("retrain-ack");

type Store = { redis: RedisPort; keys: Keys };

export const RETRAIN_GROUP = "retrainers";
export type RetrainReason = "manual" | "corrections";

export interface RetrainJob {
  /** The stream entry id: what renew and ack name. */
  entryId: string;
  job_id: string;
  reason: string;
  requested_at: string;
  /** How many times it has been claimed (more than once: a worker died running it). */
  deliveries: number;
}

/** Queues a job and appends retrain_requested to the outbox, in one step. */
export async function requestRetrainJob(s: Store, job: { job_id: string; reason: RetrainReason; requested_at: string }): Promise<string> {
  return s.redis.run<string>(requestScript, [s.keys.retrainJobs, s.keys.outbox], [job.job_id, job.reason, job.requested_at]);
}

/** Every job waiting (and any whose worker died), unless another worker is running a retrain. */
export async function claimRetrainJobs(
  s: Store,
  opts: { consumer: string; timeoutMs: number; maxDeliveries: number },
): Promise<RetrainJob[]> {
  const rows = await s.redis.run<[string, string[], number][]>(claimScript, [s.keys.retrainJobs, s.keys.retrainJobsDlq], [
    RETRAIN_GROUP,
    opts.consumer,
    Math.round(opts.timeoutMs),
    opts.maxDeliveries,
  ]);
  return rows.map(([entryId, flat, deliveries]) => {
    const f = pairsToObject(flat);
    return { entryId, job_id: f.job_id ?? entryId, reason: f.reason ?? "", requested_at: f.requested_at ?? "", deliveries: Number(deliveries) };
  });
}

/** Renews the consumer's claim on its jobs; how many it still holds. */
export function renewRetrainJobs(s: Store, consumer: string, jobs: RetrainJob[]): Promise<number> {
  if (jobs.length === 0) return Promise.resolve(0);
  return s.redis.run<number>(renewScript, [s.keys.retrainJobs], [RETRAIN_GROUP, consumer, ...jobs.map((j) => j.entryId)]);
}

export function ackRetrainJobs(s: Store, jobs: RetrainJob[]): Promise<number> {
  if (jobs.length === 0) return Promise.resolve(0);
  return s.redis.run<number>(ackScript, [s.keys.retrainJobs], [RETRAIN_GROUP, ...jobs.map((j) => j.entryId)]);
}

/** Removes this consumer (leaving) and any that went silent holding nothing, from the jobs' group. */
export function pruneRetrainConsumers(s: Store, leaving: string, idleLimitMs: number): Promise<number> {
  return pruneConsumers(s.redis, s.keys.retrainJobs, RETRAIN_GROUP, leaving, idleLimitMs);
}
