import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import { sweepExpiredOffers } from "../../layers/core/services/routing.js";
import { getModelRuntime, warmModels } from "../lambda/model-runtime.js";
import { logger, relayOutbox } from "../lambda/runtime.js";
import { classifierHandler } from "./handler.js";

await warmModels();

/** SQS event source → the same classifier handler the local worker calls; partial failures go back to SQS. */
// Every batch also sweeps the outbox: events a dead execution environment appended but never relayed.
// With offers on, every batch sweeps expired offers too (one round trip when none is due); the scheduled
// sweeper covers quiet minutes.
export const handler = middy(async (event: SQSEvent) => {
  const rt = await getModelRuntime();
  const response = await classifierHandler(rt)(event);
  if (rt.config.ROUTING_OFFERS) await sweepExpiredOffers(rt).catch((err: unknown) => logger.warn("offer sweep failed; the next one retries", { error: err as Error }));
  return response;
})
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getModelRuntime, { always: true }));
