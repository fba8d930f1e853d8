import { once } from "node:events";
import { ConfigError, loadConfig, type Config } from "../../layers/core/config.js";
import { routes } from "../routes.js";
import { createLocalRuntime } from "./runtime.js";
import { createApiServer } from "./server.js";
import { runWorker } from "./worker.js";

// `npm start` runs API and worker together; `npm run api` / `npm run worker` run one each.
const mode = process.argv[2] ?? "all";
if (!["all", "api", "worker"].includes(mode)) {
  console.error(`usage: main.ts [all|api|worker] (got '${mode}')`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const rt = createLocalRuntime(config);
const loading = performance.now();
try {
  await rt.classifier.ready();
  rt.logger.info(`models loaded from ${config.MODELS_DIR} in ${Math.round(performance.now() - loading)} ms`);
} catch (err) {
  rt.logger.error("models failed to load; the baseline classifier answers until they do", { error: err as Error });
}
const stop = new AbortController();
const tasks: Promise<unknown>[] = [];

if (mode !== "worker") {
  const server = createApiServer(routes, rt);
  server.listen(config.PORT, config.HOST);
  await once(server, "listening");
  rt.logger.info(`Smart-Support API on http://${config.HOST}:${config.PORT} (docs at /docs)`);
  stop.signal.addEventListener("abort", () => server.close());
  tasks.push(once(server, "close"));
}
if (mode !== "api") {
  rt.logger.info("worker started", { prefix: config.REDIS_PREFIX });
  tasks.push(runWorker(rt, stop.signal));
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    rt.logger.info(`${sig}: finishing in-flight work`);
    stop.abort();
  });
}
await Promise.all(tasks);
await rt.close();
