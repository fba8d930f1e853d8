import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SmartSupportEvent } from "../../layers/core/ports/event-bus.js";
import { getRuntime, logger, relayOutbox } from "../lambda/runtime.js";
import { activityHandler } from "./handler.js";

/** EventBridge target: appends each event to the activity stream. */
export const handler = middy(async (event: SmartSupportEvent) => activityHandler(await getRuntime())(event))
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getRuntime));
