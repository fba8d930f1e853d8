import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type { z } from "zod";
import { parseOr422 } from "../../layers/core/errors.js";
import type { ModelRuntime, Runtime } from "../../layers/core/runtime.js";
import { errorReplies, jsonBody, requireApiKey } from "./middleware.js";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<ApiResult>;
export type ApiEvent = APIGatewayProxyEventV2 & { json?: unknown };

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: Method;
  /** API Gateway path syntax, `{name}` for a parameter. */
  path: string;
  /** operationId in OpenAPI, and the Lambda function's name in AWS. */
  name: string;
  summary: string;
  /** Mutating route that needs `Authorization: Bearer <API_KEY>` when API_KEY is set. */
  auth?: boolean;
  body?: B;
  query?: Q;
  maxBodyBytes?: number;
  /** `false` for a route that never reaches Redis (docs, static files): it cannot answer 503. */
  store?: false;
  /** Runs the transformer: in AWS its function is the classifier's container image, not a zip bundle. */
  needsModel?: boolean;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;
export interface ApiRequest<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  event: APIGatewayProxyEventV2;
}

export const json = (statusCode: number, body: unknown): ApiResult => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

type RouteBase = RouteSpec<z.ZodType | undefined, z.ZodType | undefined>;
/** A route that needs only stores, queue and bus: served by zip bundles in AWS. */
export interface PlainRoute extends RouteBase {
  needsModel?: false;
  make(rt: Runtime): ApiHandler;
}
/** A route that runs the transformer: served by the container image in AWS. */
export interface ModelRoute extends RouteBase {
  needsModel: true;
  make(rt: ModelRuntime): ApiHandler;
}
export type Route = PlainRoute | ModelRoute;

export const isModelRoute = (r: Route): r is ModelRoute => r.needsModel === true;

/**
 * A route: its spec (which drives the local server, OpenAPI and the CDK routes) and a handler that does
 * only parse → call a service → reply. Errors, auth and body parsing are middleware. Only a route declared
 * `needsModel: true` is handed a ModelRuntime, so no other handler can reach the encoder.
 */
export function route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<B, Q> & { needsModel: true },
  impl: (rt: ModelRuntime, req: ApiRequest<Infer<B>, Infer<Q>>) => Promise<ApiResult>,
): ModelRoute;
export function route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<B, Q> & { needsModel?: false },
  impl: (rt: Runtime, req: ApiRequest<Infer<B>, Infer<Q>>) => Promise<ApiResult>,
): PlainRoute;
export function route<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, R extends Runtime>(
  spec: RouteSpec<B, Q>,
  impl: (rt: R, req: ApiRequest<Infer<B>, Infer<Q>>) => Promise<ApiResult>,
): Route {
  return {
    ...spec,
    make(rt: R) {
      const base = async (event: ApiEvent): Promise<ApiResult> => {
        const body = spec.body ? parseOr422(spec.body, event.json, "body") : undefined;
        const query = spec.query ? parseOr422(spec.query, event.queryStringParameters ?? {}, "query") : undefined;
        return impl(rt, {
          body: body as Infer<B>,
          query: query as Infer<Q>,
          params: (event.pathParameters ?? {}) as Record<string, string>,
          event,
        });
      };
      // No early-timeout timer: API Gateway enforces its own 30 s limit, and a timer per request costs.
      const handler = middy<ApiEvent, ApiResult>(base, { timeoutEarlyInMillis: 0 }).use(errorReplies(rt.logger));
      if (spec.auth) handler.use(requireApiKey(rt.config.API_KEY));
      if (spec.body) handler.use(jsonBody(spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
      return handler as unknown as ApiHandler;
    },
  } as Route;
}
