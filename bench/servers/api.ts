import type { AddressInfo } from "node:net";
import { loadConfig } from "../../layers/core/config.js";
import { createLocalRuntime } from "../../functions/local/runtime.js";
import { createApiServer } from "../../functions/local/server.js";
import { routes } from "../../functions/routes.js";

// The real local API (intake only, no worker in this process), under the prefix the bench gives it.
const rt = createLocalRuntime(loadConfig());
const server = createApiServer(routes, rt);
server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => server.close(() => rt.close().then(() => process.exit(0))));
