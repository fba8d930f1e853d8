import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { json, type ApiResult } from "./http.js";

/**
 * A list's reply: the body keeps its shape; when more items exist, the next page's URL comes in a
 * `Link: <…>; rel="next"` header (RFC 8288). The URL is relative to the request's (its own path and query,
 * `cursor` replaced), so it holds behind any host or stage.
 */
export function listReply(event: APIGatewayProxyEventV2, body: unknown, next: string | null): ApiResult {
  const reply = json(200, body);
  if (next === null) return reply;
  const query = new URLSearchParams(event.rawQueryString ?? "");
  query.set("cursor", next);
  const path = event.rawPath || event.requestContext?.http?.path || "/";
  return { ...reply, headers: { ...reply.headers, link: `<${path}?${query.toString()}>; rel="next"` } };
}
