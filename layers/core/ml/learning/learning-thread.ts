// The learning work that takes CPU — reading the training set (5 MB of JSON, ~0.2 s), scoring the shipped
// held-out set (~0.1 s), fitting and judging a candidate (seconds to minutes) — runs in one worker thread per
// process, never on the thread that classifies tickets and renews the retrain job's claim: a local worker keeps
// its batches flowing (and the breaker does not time a pass the event loop sat on), the Retrainer Lambda keeps
// renewing its claim. The thread ends once it has no task left: what it loaded (the training set, its features)
// is not held by a worker between retrains, which are rare (a worker's peak RSS stays that of classifying).
import { existsSync } from "node:fs";
// A namespace import: the image bundles' banner already declares `createRequire` at the top level.
import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { Heads, type HeadsFile } from "../heads.js";
import { decidePromotion, evaluate, isHeldOutCorrection, type Metrics, type PromotionDecision } from "./guard.js";
import { retrainHeads, type LabelledExample, type RetrainReport } from "./retrain.js";
import { loadTrainingSet, TRAINING_SET_FILE, type TrainingSet } from "./training-set.js";

export type LearningTask =
  /** The shipped heads (MODELS_DIR/heads.json) and their figures on the shipped held-out set: v1. */
  | { kind: "shipped"; modelsDir: string }
  /**
   * A candidate fitted from `current` (null: the shipped heads) on the training set plus every correction, and
   * the guard's decision: retrainHeads trains on the corrections not held out, the guard judges on the rest.
   */
  | { kind: "fit"; modelsDir: string; current: HeadsFile | null; corrections: LabelledExample[] };

export interface ShippedResult {
  heads: HeadsFile;
  metrics: Metrics;
}

export interface CandidateResult {
  candidate: HeadsFile;
  report: RetrainReport;
  decision: PromotionDecision;
}

type ResultOf<T extends LearningTask> = T extends { kind: "shipped" } ? ShippedResult : CandidateResult;

// Per thread: what every task of a MODELS_DIR reads.
const trainingSets = new Map<string, Promise<TrainingSet>>();
const shippedHeads = new Map<string, Promise<Heads>>();
function once<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    // A failed load is tried again by the next task rather than remembered.
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** Runs a task on the calling thread (what the learning thread does with each message). */
export async function runLearningTask<T extends LearningTask>(task: T): Promise<ResultOf<T>> {
  const dir = task.modelsDir;
  const [set, shipped] = await Promise.all([
    once(trainingSets, dir, () => loadTrainingSet(join(dir, TRAINING_SET_FILE))),
    once(shippedHeads, dir, () => Heads.load(join(dir, "heads.json"))),
  ]);
  if (task.kind === "shipped") return { heads: shipped.file, metrics: evaluate(shipped, set.heldout) } as ResultOf<T>;
  const fit = task as Extract<LearningTask, { kind: "fit" }>;
  const current = fit.current ? Heads.fromJson(fit.current) : shipped;
  const { candidate, report } = retrainHeads(current.file, set.train, fit.corrections, { c: set.c });
  const decision = decidePromotion({
    current,
    candidate: Heads.fromJson(candidate),
    heldout: set.heldout,
    heldoutCorrections: fit.corrections.filter((c) => isHeldOutCorrection(c.id)),
  });
  return { candidate, report, decision } as ResultOf<T>;
}

/**
 * Starts the thread: beside a bundle, the bundled `learning-thread-entry.mjs` (infra/image-task.ts builds it next
 * to the image's handlers); from source, `learning-thread-entry.ts` imported through tsx's API, as `npm start` and
 * the tests run everything else (Node 20 does not apply a loader given in a worker's execArgv to its entry).
 * Undefined when neither is there: tasks then run on the calling thread.
 */
function threadStarter(): (() => Worker) | undefined {
  const bundled = new URL("./learning-thread-entry.mjs", import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return () => new Worker(bundled);
  const source = new URL("./learning-thread-entry.ts", import.meta.url);
  if (!existsSync(fileURLToPath(source))) return undefined;
  let api: string;
  try {
    // The ESM build of tsx's API, where tsx's own exports map puts it.
    const require = nodeModule.createRequire(import.meta.url);
    const manifest = require.resolve("tsx/package.json");
    const exported = (require(manifest) as { exports: Record<string, { import?: { default?: string } }> }).exports["./esm/api"]?.import?.default;
    if (!exported) return undefined;
    api = pathToFileURL(join(dirname(manifest), exported)).href;
  } catch {
    return undefined;
  }
  const code = `const { workerData } = require("node:worker_threads");
import(workerData.api).then(({ tsImport }) => tsImport(workerData.entry, workerData.api));`;
  return () => new Worker(code, { eval: true, workerData: { api, entry: source.href } });
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** The process's learning thread: tasks answered by id; it ends when it has none left. */
class LearningThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on("message", (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      // Idle: end it (the next task starts another, which reads the training set again in ~0.2 s).
      // Marked ended at once, so a task asked for meanwhile goes to a new thread, not to this one.
      if (this.pending.size === 0) {
        this.dead ??= new Error("learning thread ended when idle");
        void worker.terminate();
      }
      if (m.error === undefined) p.resolve(m.result);
      else p.reject(new Error(`learning task failed: ${m.error}`));
    });
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`learning thread exited (${code})`)));
    worker.unref();
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  run(task: LearningTask): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, task });
    });
  }

  stop(): void {
    void this.worker.terminate();
  }
}

let thread: LearningThread | undefined;

/** Whether tasks run in a thread here (false: on the calling thread, which then blocks while they run). */
export const learningThreadAvailable = () => threadStarter() !== undefined;

/**
 * Runs a task in the process's learning thread (started on first use, started again after it ended). Aborting
 * the signal stops the thread — and with it the fit under way — and rejects with the signal's reason.
 */
export async function runInLearningThread<T extends LearningTask>(task: T, signal?: AbortSignal): Promise<ResultOf<T>> {
  signal?.throwIfAborted();
  if (!thread?.alive) {
    const start = threadStarter();
    if (!start) return runLearningTask(task);
    thread = new LearningThread(start());
  }
  const current = thread;
  const work = current.run(task) as Promise<ResultOf<T>>;
  if (!signal) return work;
  return new Promise<ResultOf<T>>((resolve, reject) => {
    const onAbort = () => {
      current.stop();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
