import type { HeadsFile } from "../ml/heads.js";
import type { Metrics, PromotionDecision } from "../ml/learning/guard.js";
import { runInLearningThread } from "../ml/learning/learning-thread.js";
import type { LabelledExample, RetrainReport } from "../ml/learning/retrain.js";
import type { Runtime } from "../runtime.js";
import { asLabelledExample, listCorrections, setCorrectionEmbeddings } from "../store/corrections.js";
import {
  activeHeadsVersion,
  addHeadsVersion,
  headsWeights,
  registerShippedVersion,
  shippedRegistered,
  SHIPPED_VERSION,
  type ChosenC,
  type CorrectionsFigures,
  type HeldoutFigures,
  type VersionMetrics,
} from "../store/head-versions.js";
import { ackRetrainJobs, claimRetrainJobs, pruneRetrainConsumers, renewRetrainJobs, type RetrainJob } from "../store/retrain-jobs.js";

// Learning from corrections (README), the worker's side: retrain jobs run by a worker, never in the API path
// (services/models.ts is the API's side); the candidate is stored as a version, promoted only past the guard,
// and every process follows the active version (ml/heads-source.ts).

/** Embeds texts with the process's encoder (the model router's `embed`: its lane, not the breaker). */
export interface Embedder {
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** What a retrain needs: the stores, and an encoder for corrections recorded without an embedding. */
export interface LearningRuntime extends Runtime {
  embedder: Embedder;
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);
const heldoutFigures = (m: Metrics): HeldoutFigures => ({
  category_accuracy: m.category.accuracy,
  category_macro_f1: m.category.macroF1,
  urgency_accuracy: m.urgency.accuracy,
  urgency_auc: orNull(m.urgency.auc),
});
const correctionsFigures = (d: PromotionDecision): CorrectionsFigures | undefined => {
  const v = d.corrections;
  if (v.fields === 0) return undefined;
  return {
    fields: v.fields,
    accuracy: v.candidate.accuracy,
    log_loss: v.candidate.logLoss,
    current_accuracy: v.current.accuracy,
    current_log_loss: v.current.logLoss,
    fixed: v.fixed,
    broken: v.broken,
    p_value: v.pValue,
  };
};
const chosenC = (r: RetrainReport): ChosenC => ({
  english: { category: r.heads.english.category.C, urgency: r.heads.english.urgency.C },
  other: { category: r.heads.other.category.C, urgency: r.heads.other.urgency.C },
});

/**
 * Registers the shipped heads as v1, with their figures on the shipped held-out set, unless some process has
 * (then it costs one HGET). True if this call registered it.
 */
export async function ensureShippedVersion(rt: Runtime): Promise<boolean> {
  if (await shippedRegistered(rt)) return false;
  // In the learning thread, which keeps the training set for the retrains to come.
  const shipped = await runInLearningThread({ kind: "shipped", modelsDir: rt.config.MODELS_DIR });
  const registered = await registerShippedVersion(rt, { heads: JSON.stringify(shipped.heads), metrics: { heldout: heldoutFigures(shipped.metrics) }, now: new Date() });
  if (registered) rt.logger.info("shipped heads registered as v1", { version: SHIPPED_VERSION });
  return registered;
}

/** The active version's id and heads (null for v1: the shipped heads.json, which the learning thread has). */
async function activeHeads(rt: Runtime): Promise<{ version: string; heads: HeadsFile | null }> {
  const version = (await activeHeadsVersion(rt)) ?? SHIPPED_VERSION;
  if (version === SHIPPED_VERSION) return { version, heads: null };
  const json = await headsWeights(rt, version);
  if (json === null) throw new Error(`heads version ${version} is active but its weights are not stored`);
  return { version, heads: JSON.parse(json) as HeadsFile };
}

/** Every correction as a labelled example; those recorded without an embedding are embedded and stored first. */
async function correctionExamples(rt: LearningRuntime): Promise<LabelledExample[]> {
  // A correction that corrects neither field teaches nothing (retrainHeads refuses one).
  const corrections = (await listCorrections(rt)).filter((c) => c.category !== undefined || c.urgent !== undefined);
  const missing = corrections.filter((c) => !c.embedding);
  if (missing.length) {
    const vectors = await rt.embedder.embed(missing.map((c) => c.text));
    missing.forEach((c, i) => (c.embedding = vectors[i]!));
    await setCorrectionEmbeddings(rt, missing.map((c, i) => ({ ticket_id: c.ticket_id, embedding: vectors[i]! })));
  }
  return corrections.flatMap((c) => asLabelledExample(c) ?? []);
}

export interface RetrainOutcome {
  version: string;
  promoted: boolean;
  reasons: string[];
  /** The version the candidate was fitted from and compared with. */
  basedOn: string;
  corrections: RetrainReport["corrections"];
  /** The jobs this retrain covered. */
  jobs: string[];
}

/**
 * One retrain, from the active heads: fit and judge a candidate (in a worker thread), store it as the next
 * version — activated if the guard promoted it. The fit reads every correction there is, whichever job asked.
 */
export async function retrainNow(rt: LearningRuntime, signal?: AbortSignal): Promise<Omit<RetrainOutcome, "jobs">> {
  await ensureShippedVersion(rt);
  const [active, corrections] = await Promise.all([activeHeads(rt), correctionExamples(rt)]);
  const started = performance.now();
  // The thread checks the active heads (Heads.fromJson) before fitting from them.
  const fit = await runInLearningThread({ kind: "fit", modelsDir: rt.config.MODELS_DIR, current: active.heads, corrections }, signal);
  const metrics: VersionMetrics = { heldout: heldoutFigures(fit.decision.candidate) };
  const judged = correctionsFigures(fit.decision);
  if (judged) metrics.corrections = judged;
  const added = await addHeadsVersion(rt, {
    heads: JSON.stringify(fit.candidate),
    metrics,
    promote: fit.decision.promote,
    reasons: fit.decision.reasons,
    corrections: fit.report.corrections.trained,
    c: chosenC(fit.report),
    basedOn: active.version,
    now: new Date(),
  });
  rt.bus.appended?.();
  rt.logger.info("heads retrained", {
    version: added.version,
    promoted: added.promoted,
    based_on: active.version,
    corrections: fit.report.corrections,
    reasons: added.reasons,
    fit_ms: Math.round(performance.now() - started),
  });
  return { version: added.version, promoted: added.promoted, reasons: added.reasons, basedOn: active.version, corrections: fit.report.corrections };
}

/** A consumer silent this long, holding no job, belonged to a process that stopped: removed from the group. */
const PRUNE_AFTER_MS = 3_600_000;
let lastPrune = 0;

/**
 * Claims the retrain jobs waiting (all of them: one retrain covers them) and runs the retrain, renewing the
 * claim while it runs; acknowledges them once the version is stored. Undefined when there was nothing to
 * claim (or another worker is retraining). A failed or aborted retrain acknowledges nothing: its jobs are
 * claimed again after LEARNING_JOB_TIMEOUT_SECONDS, and dead-lettered after LEARNING_JOB_MAX_ATTEMPTS.
 */
export async function runRetrainJobs(rt: LearningRuntime, opts: { consumer: string; signal?: AbortSignal }): Promise<RetrainOutcome | undefined> {
  const timeoutMs = rt.config.LEARNING_JOB_TIMEOUT_SECONDS * 1000;
  if (Date.now() - lastPrune > PRUNE_AFTER_MS) {
    lastPrune = Date.now();
    await pruneRetrainConsumers(rt, "", PRUNE_AFTER_MS);
  }
  const jobs = await claimRetrainJobs(rt, { consumer: opts.consumer, timeoutMs, maxDeliveries: rt.config.LEARNING_JOB_MAX_ATTEMPTS });
  if (jobs.length === 0) return undefined;
  rt.logger.info("retrain jobs claimed", { jobs: jobs.map((j) => j.job_id), reasons: [...new Set(jobs.map((j) => j.reason))] });
  const renewal = setInterval(() => void renew(rt, opts.consumer, jobs), timeoutMs / 3);
  try {
    const outcome = await retrainNow(rt, opts.signal);
    await ackRetrainJobs(rt, jobs);
    return { ...outcome, jobs: jobs.map((j) => j.job_id) };
  } finally {
    clearInterval(renewal);
  }
}

async function renew(rt: Runtime, consumer: string, jobs: RetrainJob[]) {
  try {
    const held = await renewRetrainJobs(rt, consumer, jobs);
    if (held < jobs.length) rt.logger.warn("another worker took over retrain jobs this one was slow to renew", { held, claimed: jobs.length });
  } catch (err) {
    rt.logger.warn("could not renew the retrain jobs' claim; the next renewal tries again", { error: err as Error });
  }
}

/** Stops this consumer's membership of the jobs' group (a stopping worker), if it holds nothing. */
export const leaveRetrainJobs = (rt: Runtime, consumer: string) => pruneRetrainConsumers(rt, consumer, PRUNE_AFTER_MS);
