import { randomBytes } from "node:crypto";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { ensureShippedVersion, runRetrainJobs } from "../../layers/core/services/learning.js";
import { getModelRuntime } from "../lambda/model-runtime.js";
import { logger, relayOutbox } from "../lambda/runtime.js";

// The execution environment's consumer name in the retrain jobs' group: its log stream names it in AWS, and the
// suffix keeps two apart wherever that name is shared.
const consumer = `${process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? `pid-${process.pid}`}-${randomBytes(3).toString("hex")}`;
/** Left of the function's timeout when a retrain still running is given up (it is claimed again later). */
const STOP_BEFORE_TIMEOUT_MS = 15_000;

/**
 * EventBridge schedule (every minute), the classifier's image with its own handler (README "Learning from
 * corrections"): registers the shipped heads as v1 if no process has, then runs the retrain jobs waiting — all
 * in one retrain, the fit in a worker thread so the claim is renewed meanwhile. The encoder loads only if some
 * correction still needs its embedding. A run that finds another retrain under way, or no job, ends at once.
 */
export const handler = middy(async (_event: unknown, context: Context) => {
  const rt = await getModelRuntime();
  await ensureShippedVersion(rt);
  const signal = AbortSignal.timeout(Math.max(1_000, context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS));
  const outcome = await runRetrainJobs({ ...rt, embedder: rt.classifier }, { consumer, signal });
  if (!outcome) return { version: null };
  logger.info("retrain jobs done", { ...outcome });
  return outcome;
})
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getModelRuntime));
