import { loadConfig } from "../../layers/core/config.js";
import { loadModels } from "../../layers/core/ml/models.js";
import { createLocalRuntime } from "../../functions/local/runtime.js";
import { runWorker } from "../../functions/local/worker.js";

// A worker process as `npm run worker` runs it; it reports how long the model took to load.
const config = loadConfig();
const started = performance.now();
await loadModels(config.MODELS_DIR, config.ENCODER_THREADS, config.ENCODER_PRECISION, config.ENCODER_SESSIONS);
console.log(`LOADED ${(performance.now() - started).toFixed(0)}`);
const rt = createLocalRuntime(config);
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());
await runWorker(rt, stop.signal);
await rt.close();
