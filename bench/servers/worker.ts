import { loadConfig } from "../../layers/core/config.js";
import { MiniLmEncoder } from "../../layers/core/ml/encoder.js";
import { loadModels } from "../../layers/core/ml/models.js";
import { createLocalRuntime } from "../../functions/local/runtime.js";
import { runWorker } from "../../functions/local/worker.js";
import { workSince } from "../support.js";

// A worker process as `npm run worker` runs it; it reports how long the model took to load and, when it
// stops, the forward passes it made meanwhile (MiniLmEncoder.work, load's warm-up left out).
const config = loadConfig();
const started = performance.now();
const { encoder } = await loadModels(config.MODELS_DIR, config.ENCODER_THREADS, config.ENCODER_PRECISION, config.ENCODER_SESSIONS);
const atLoad = encoder instanceof MiniLmEncoder ? { ...encoder.work } : undefined;
console.log(`LOADED ${(performance.now() - started).toFixed(0)}`);
const rt = createLocalRuntime(config);
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());
await runWorker(rt, stop.signal);
await rt.close();
if (encoder instanceof MiniLmEncoder && atLoad) console.log(`ENCODER_WORK ${JSON.stringify(workSince(atLoad, encoder.work))}`);
