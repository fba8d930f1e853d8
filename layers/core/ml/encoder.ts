import { readFile } from "node:fs/promises";
// A namespace import: the image bundles' banner already declares `createRequire` at the top level.
import * as nodeModule from "node:module";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Tokenizer } from "@huggingface/tokenizers";

import { EMBEDDING_DIM, MAX_TOKENS } from "./dimensions.js";
import { ORT_OPTIONS } from "./ort-options.js";

/** Turns texts into L2-normalised sentence embeddings, one forward pass per call. */
export interface Encoder {
  /** Token ids with [CLS]/[SEP], truncated to MAX_TOKENS. */
  tokenize(text: string): number[];
  /** One forward pass over already tokenised texts (padded to the longest). */
  embedTokens(ids: number[][]): Promise<Float32Array[]>;
  /** Forward passes that may run at once (one per session); more calls than this wait for a free session. */
  readonly sessions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/**
 * The forward pass's own thread. onnxruntime-node runs a session synchronously on the thread that calls
 * `run`, so on the main thread every pass froze the event loop: a batch's Redis round trips (dedup, store,
 * routing) advanced one reply per forward pass of the next batch, and the encoder idled while they caught
 * up. Here the session lives in a worker thread: the main thread keeps tokenising, talking to Redis and
 * deciding dedup while a pass runs. Plain CommonJS, evaluated as is (no file to resolve in bundles or under
 * test runners); onnxruntime-node is loaded from the path the main thread resolved.
 *
 * Request: { id, batch, len, lengths: Int32Array(batch), tokens: Int32Array (the ids, text after text) }.
 * Reply: { id, embeddings: Float32Array(batch × dim), ms } (mean-pooled over each text's tokens, unit length;
 * ms: the pass's time in this thread, from taking it up — once the pass before it has ended — to replying), or
 * { id, error }. The first message is { ready: true } or { error } once the session is created.
 */
const THREAD_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.ort);
const DIM = workerData.dim;
let session;
ort.InferenceSession.create(workerData.model, workerData.options).then(
  (s) => { session = s; parentPort.postMessage({ ready: true }); },
  (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }),
);
// One pass after another: a pass's time runs from the end of the one before (session.run yields, and a
// handler started meanwhile would count the running pass as its own).
let previous = Promise.resolve();
parentPort.on("message", (m) => { previous = previous.then(() => pass(m)); });
async function pass({ id, batch, len, lengths, tokens }) {
  const started = performance.now();
  try {
    const n = batch * len;
    const inputIds = new BigInt64Array(n);
    const mask = new BigInt64Array(n);
    let k = 0;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < lengths[b]; i++) {
        inputIds[b * len + i] = BigInt(tokens[k++]);
        mask[b * len + i] = 1n;
      }
    }
    const dims = [batch, len];
    const out = await session.run({
      input_ids: new ort.Tensor("int64", inputIds, dims),
      attention_mask: new ort.Tensor("int64", mask, dims),
      token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), dims),
    });
    const hidden = out.last_hidden_state.data;
    const embeddings = new Float32Array(batch * DIM);
    for (let b = 0; b < batch; b++) {
      // Mean over the sequence's real tokens (padding sits after them), then unit length.
      const v = embeddings.subarray(b * DIM, (b + 1) * DIM);
      for (let t = 0; t < lengths[b]; t++) {
        const base = (b * len + t) * DIM;
        for (let d = 0; d < DIM; d++) v[d] += hidden[base + d];
      }
      let norm = 0;
      for (let d = 0; d < DIM; d++) norm += v[d] * v[d];
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < DIM; d++) v[d] /= norm;
    }
    parentPort.postMessage({ id, embeddings, ms: performance.now() - started }, [embeddings.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.stack) || e) });
  }
}
`;

/** One forward pass's answer: the embeddings, one after another, and the pass's time in its thread. */
type Pass = { embeddings: Float32Array; ms: number };
type Pending = { resolve: (v: Pass) => void; reject: (e: Error) => void };

/** One worker thread holding the ONNX session; passes are answered in the order they were sent. */
class EncoderThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: { id: number; embeddings?: Float32Array; ms?: number; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.embeddings) p.resolve({ embeddings: m.embeddings, ms: m.ms ?? 0 });
      else p.reject(new Error(`forward pass failed: ${m.error}`));
    });
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`encoder thread exited (${code})`)));
    // An idle thread does not keep the process alive; one with a pass under way does.
    worker.unref();
  }

  static start(model: string, threads: number): Promise<EncoderThread> {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        ort: nodeModule.createRequire(import.meta.url).resolve("onnxruntime-node"),
        model,
        dim: EMBEDDING_DIM,
        options: { ...ORT_OPTIONS, intraOpNumThreads: threads },
      },
    });
    return new Promise((resolve, reject) => {
      const onMessage = (m: { ready?: boolean; error?: string }) => {
        worker.off("error", onError);
        if (m.ready) resolve(new EncoderThread(worker));
        else {
          reject(new Error(`encoder thread could not load ${model}: ${m.error}`));
          void worker.terminate();
        }
      };
      const onError = (err: Error) => reject(err);
      worker.once("message", onMessage);
      worker.once("error", onError);
    });
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Passes sent and not yet answered. */
  get load(): number {
    return this.pending.size;
  }

  run(batch: number, len: number, lengths: Int32Array, tokens: Int32Array): Promise<Pass> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, batch, len, lengths, tokens }, [lengths.buffer as ArrayBuffer, tokens.buffer as ArrayBuffer]);
    });
  }
}

export class MiniLmEncoder implements Encoder {
  // An own field, not a getter: wrappers that spread an encoder ({ ...encoder, embedTokens }) keep it.
  readonly sessions: number;
  /**
   * The forward passes made since load: how many, the padded tokens they carried, and their time in the
   * encoder threads (bench models compares the pipeline's passes with the same passes run alone).
   */
  readonly work = { passes: 0, paddedTokens: 0, passMs: 0 };

  private constructor(
    private readonly pool: EncoderThread[],
    private readonly model: string,
    private readonly threadsPerSession: number,
    private readonly tokenizer: Tokenizer,
    private readonly cls: number,
    private readonly sep: number,
  ) {
    this.sessions = pool.length;
  }

  /**
   * Loads the model file, `tokenizer.json` and `tokenizer_config.json` from `dir`: `sessions` sessions, each in
   * its own thread with `threads / sessions` (at least 1) onnxruntime threads.
   *
   * Why several sessions: a session's pass splits each operator over its threads and waits for the slowest, so
   * on a machine whose cores also serve the worker's main thread (tokenising, dedup, Redis) and redis-server,
   * every preempted onnxruntime thread stalls the whole pass. One-thread sessions running different sub-batches
   * side by side never wait for each other (bench models; README "Encoder sessions"). Each holds its own copy of
   * the weights.
   */
  static async load(dir: string, threads = 2, modelFile = "model.onnx", sessions = 1): Promise<MiniLmEncoder> {
    const model = join(dir, modelFile);
    const perSession = Math.max(1, Math.floor(threads / sessions));
    const [tokenizerJson, configJson, pool] = await Promise.all([
      readFile(join(dir, "tokenizer.json"), "utf8").then(JSON.parse),
      readFile(join(dir, "tokenizer_config.json"), "utf8").then(JSON.parse),
      Promise.all(Array.from({ length: sessions }, () => EncoderThread.start(model, perSession))),
    ]);
    const tokenizer = new Tokenizer(tokenizerJson, configJson);
    const id = (t: string) => {
      const v = tokenizer.token_to_id(t);
      if (v === undefined) throw new Error(`tokenizer has no ${t} token`);
      return v;
    };
    return new MiniLmEncoder(pool, model, perSession, tokenizer, id("[CLS]"), id("[SEP]"));
  }

  /** Cut to MAX_TOKENS as sentence-transformers does (the shipped tokenizer.json says 128). */
  tokenize(text: string): number[] {
    const body = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    return [this.cls, ...body.slice(0, MAX_TOKENS - 2), this.sep];
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedTokens(texts.map((t) => this.tokenize(t)));
  }

  async embedTokens(encoded: number[][]): Promise<Float32Array[]> {
    if (encoded.length === 0) return [];
    const batch = encoded.length;
    const len = Math.max(...encoded.map((e) => e.length));
    const lengths = Int32Array.from(encoded, (e) => e.length);
    const tokens = new Int32Array(lengths.reduce((a, b) => a + b, 0));
    let k = 0;
    for (const ids of encoded) {
      tokens.set(ids, k);
      k += ids.length;
    }
    // The least busy session; a thread that died (it should not) is replaced on the next call that picks it
    // (the call that saw it die failed).
    let at = 0;
    for (let i = 1; i < this.pool.length; i++) if (this.pool[i]!.load < this.pool[at]!.load) at = i;
    if (!this.pool[at]!.alive) this.pool[at] = await EncoderThread.start(this.model, this.threadsPerSession);
    const { embeddings: out, ms } = await this.pool[at]!.run(batch, len, lengths, tokens);
    this.work.passes++;
    this.work.paddedTokens += batch * len;
    this.work.passMs += ms;
    // Copies: an embedding kept (dedup window, cache) must not hold the whole batch's buffer.
    return encoded.map((_, b) => out.slice(b * EMBEDDING_DIM, (b + 1) * EMBEDDING_DIM));
  }
}
