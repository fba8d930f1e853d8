import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { getModelRuntime, warmModels } from "../lambda/model-runtime.js";
import { logger, relayOutbox } from "../lambda/runtime.js";
import { routes } from "../routes.js";
import { isModelRoute } from "./http.js";
import { dispatcher } from "./lambda-dispatch.js";

/** The container image's entry for routes that run the model (`/urgency-score`). */
await warmModels();

export const handler = middy(dispatcher(routes.filter(isModelRoute), getModelRuntime))
  .use(injectLambdaContext(logger))
  .use(relayOutbox(getModelRuntime));
