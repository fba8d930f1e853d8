import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { getRuntime, logger, relayOutbox } from "../lambda/runtime.js";
import { routes } from "../routes.js";
import { isModelRoute, type PlainRoute } from "./http.js";
import { dispatcher } from "./lambda-dispatch.js";

/** The zip bundle of every route that needs no model (each API function is this bundle, invoked for its route). */
const plainRoutes = routes.filter((r): r is PlainRoute => !isModelRoute(r));

export const handler = middy(dispatcher(plainRoutes, getRuntime)).use(injectLambdaContext(logger)).use(relayOutbox(getRuntime));
