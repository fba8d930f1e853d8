import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { Runtime } from "../../layers/core/runtime.js";
import type { ApiHandler, ApiResult } from "./http.js";

/**
 * One API function's dispatch: API Gateway invokes it only for its own routes, named by routeKey exactly as
 * the route table (and so the CDK app) spells them. Handlers are made once per runtime.
 */
export function dispatcher<R extends Runtime>(routes: readonly { method: string; path: string; make(rt: R): ApiHandler }[], runtime: () => Promise<R>) {
  const made = new WeakMap<R, Map<string, ApiHandler>>();
  return async (event: APIGatewayProxyEventV2, context: Context): Promise<ApiResult> => {
    const rt = await runtime();
    let handlers = made.get(rt);
    if (!handlers) made.set(rt, (handlers = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.make(rt)]))));
    const handler = handlers.get(event.routeKey);
    if (!handler) return { statusCode: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ detail: `No route for ${event.routeKey}` }) };
    return handler(event, context);
  };
}
