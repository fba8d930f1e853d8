import { join } from "node:path";
import { MiniLmEncoder, type Encoder } from "./encoder.js";
import { Heads } from "./heads.js";

export interface Models {
  encoder: Encoder;
  heads: Heads;
}

// One copy of the weights per process, however many runtimes (API and worker in one process, tests).
const loaded = new Map<string, Promise<Models>>();

/** Loads the encoder and heads from MODELS_DIR once per process. */
export function loadModels(dir: string, threads: number): Promise<Models> {
  const key = `${dir}|${threads}`;
  let models = loaded.get(key);
  if (!models) {
    models = Promise.all([MiniLmEncoder.load(join(dir, "minilm"), threads), Heads.load(join(dir, "heads.json"))]).then(
      ([encoder, heads]) => ({ encoder, heads }),
    );
    // A failed load is retried on the next call rather than cached forever.
    models.catch(() => loaded.delete(key));
    loaded.set(key, models);
  }
  return models;
}
