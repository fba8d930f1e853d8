import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import { getModelRuntime, warmModels } from "../lambda/model-runtime.js";
import { logger } from "../lambda/runtime.js";
import { classifierHandler } from "./handler.js";

await warmModels();

/** SQS event source → the same classifier handler the local worker calls; partial failures go back to SQS. */
export const handler = middy(async (event: SQSEvent) => classifierHandler(await getModelRuntime())(event)).use(injectLambdaContext(logger));
