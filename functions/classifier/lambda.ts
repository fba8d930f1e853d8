import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import { getRuntime, logger, metrics } from "../lambda/runtime.js";
import { classifierHandler } from "./handler.js";

/** SQS event source → the same classifier handler the local worker calls; partial failures go back to SQS. */
export const handler = middy(async (event: SQSEvent) => classifierHandler(await getRuntime())(event))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
