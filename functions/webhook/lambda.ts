import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SmartSupportEvent } from "../../layers/core/ports/event-bus.js";
import { getRuntime, logger, relayOutbox } from "../lambda/runtime.js";
import { webhookHandler } from "./handler.js";

/** EventBridge target: delivers a webhook intent (with its own retries) to WEBHOOK_URL. */
export const handler = middy(async (event: SmartSupportEvent) => webhookHandler(await getRuntime())(event))
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getRuntime));
