// One Lambda execution environment: what the Node.js runtime does around a function's code, and nothing more.
// Init: import the handler's module once from LAMBDA_TASK_ROOT (module scope and top-level await run here),
// then serve one invocation at a time: handler(event, context). Plain JavaScript with Node's own modules
// only, started without any loader, so the function's code resolves its imports exactly as in Lambda:
// from its own folder, which holds no node_modules unless the artifact ships them.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = process.env.LAMBDA_TASK_ROOT;
const [moduleName, exportName] = process.env._HANDLER.split(".");
const started = performance.now();

const serialize = (err) => ({
  errorType: err?.name ?? "Error",
  errorMessage: err?.message ?? String(err),
  stack: String(err?.stack ?? "").split("\n"),
});
const send = (msg) => new Promise((done) => process.send(msg, done));

let handler;
try {
  // The Node.js runtime looks for <module>.js, .mjs, then .cjs.
  const file = [".js", ".mjs", ".cjs"].map((ext) => join(root, moduleName + ext)).find(existsSync);
  if (!file) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: "Runtime.ImportModuleError" });
  handler = (await import(pathToFileURL(file).href))[exportName];
  if (typeof handler !== "function") {
    throw Object.assign(new Error(`${process.env._HANDLER} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  await send({ type: "ready", initMs: performance.now() - started });
} catch (err) {
  await send({ type: "initError", error: serialize(err) });
  process.exit(1);
}

process.on("message", async ({ id, event, deadline, requestId, functionArn }) => {
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    await send({ type: "result", id, result: result === undefined ? null : result });
  } catch (err) {
    await send({ type: "error", id, error: serialize(err) });
  }
});
