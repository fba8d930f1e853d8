import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import { getModelRuntime, warmModels } from "../lambda/model-runtime.js";
import { logger, relayOutbox } from "../lambda/runtime.js";
import { classifierHandler } from "./handler.js";

await warmModels();

/** SQS event source → the same classifier handler the local worker calls; partial failures go back to SQS. */
// Every batch also sweeps the outbox: events a dead execution environment appended but never relayed.
export const handler = middy(async (event: SQSEvent) => classifierHandler(await getModelRuntime())(event))
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getModelRuntime, { always: true }));
