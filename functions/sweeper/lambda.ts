import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { sweepExpiredOffers } from "../../layers/core/services/routing.js";
import { getRuntime, logger, relayOutbox } from "../lambda/runtime.js";

/**
 * EventBridge schedule (every minute): offers past their deadline go to the next agent (ROUTING_OFFERS). The
 * deadlines live in Redis, so a late sweep loses nothing; the classifier also sweeps with every batch.
 */
export const handler = middy(async () => {
  const expired = await sweepExpiredOffers(await getRuntime());
  logger.info("offers swept", { expired });
  return { expired };
})
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getRuntime));
