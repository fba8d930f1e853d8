import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { getRuntime, logger } from "../lambda/runtime.js";
import { routes } from "../routes.js";
import type { ApiHandler, ApiResult } from "./http.js";

// Every API function runs this entry; API Gateway invokes each only for its own route, named by routeKey
// exactly as the route table (and so the CDK app) spells it.
let handlers: Map<string, ApiHandler> | undefined;

async function dispatch(event: APIGatewayProxyEventV2, context: Context): Promise<ApiResult> {
  const rt = await getRuntime();
  handlers ??= new Map(routes.map((r) => [`${r.method} ${r.path}`, r.make(rt)]));
  const handler = handlers.get(event.routeKey);
  if (!handler) return { statusCode: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ detail: `No route for ${event.routeKey}` }) };
  return handler(event, context);
}

export const handler = middy(dispatch).use(injectLambdaContext(logger));
