import { join } from "node:path";
import type { Encoder } from "./encoder.js";
import { Heads } from "./heads.js";

export interface Models {
  encoder: Encoder;
  heads: Heads;
  /** Measured at load: milliseconds per padded token of one forward pass (sizes sub-batches from the start). */
  msPerToken: number;
}

// A ticket-sized text, run at load: the first ONNX run is several times slower than the next ones, and
// must not be the call that trips the breaker.
const WARM_UP = Array.from({ length: 8 }, (_, i) => `Warm-up ticket ${i}: the invoice page shows an error when I try to pay.`);

// One copy of the weights per process, however many runtimes (API and worker in one process, tests).
const loaded = new Map<string, Promise<Models>>();

export type EncoderPrecision = "fp32" | "int8";
const MODEL_FILE: Record<EncoderPrecision, string> = { fp32: "model.onnx", int8: "model.int8.onnx" };

async function load(dir: string, threads: number, precision: EncoderPrecision, sessions: number): Promise<Models> {
  // Imported here, not at the top: processes that never run the model (API Lambdas) never load onnxruntime.
  const { MiniLmEncoder } = await import("./encoder.js");
  const [encoder, heads] = await Promise.all([
    MiniLmEncoder.load(join(dir, "minilm"), threads, MODEL_FILE[precision], sessions),
    Heads.load(join(dir, "heads.json")),
  ]);
  const ids = WARM_UP.map((t) => encoder.tokenize(t));
  // Every session's first pass (sent at once, each goes to an idle session); then one timed pass, alone: the
  // speed of one session, which is what each of several passes running side by side gets.
  await Promise.all(Array.from({ length: encoder.sessions }, () => encoder.embedTokens(ids)));
  const started = performance.now();
  await encoder.embedTokens(ids);
  const padded = ids.length * Math.max(...ids.map((x) => x.length));
  return { encoder, heads, msPerToken: (performance.now() - started) / padded };
}

/** Loads (and warms up) the encoder (ENCODER_PRECISION) and heads from MODELS_DIR once per process. */
export function loadModels(dir: string, threads: number, precision: EncoderPrecision = "fp32", sessions = 1): Promise<Models> {
  const key = `${dir}|${threads}|${precision}|${sessions}`;
  let models = loaded.get(key);
  if (!models) {
    models = load(dir, threads, precision, sessions);
    // A failed load is retried on the next call rather than cached forever.
    models.catch(() => loaded.delete(key));
    loaded.set(key, models);
  }
  return models;
}
