import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { ModelRuntime } from "../../layers/core/runtime.js";
import { DEFAULT_MAX_BODY_BYTES, type ApiHandler, type Route } from "../api/http.js";

interface Compiled {
  route: Route;
  pattern: RegExp;
  params: string[];
  handler: ApiHandler;
}

/** Literal segments win over parameters, as in API Gateway: /tickets/next is not /tickets/{ticket_id}. */
function compile(routes: readonly Route[], rt: ModelRuntime): Compiled[] {
  return routes
    .map((route) => {
      const params: string[] = [];
      const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        params.push(name);
        return "([^/]+)";
      });
      return { route, pattern: new RegExp(`^${source}/?$`), params, handler: route.make(rt) };
    })
    .sort((a, b) => a.params.length - b.params.length);
}

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
};

/** Reads at most `limit` bytes; resolves null when the body is larger (the caller answers 413). */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(size > limit ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function toEvent(req: IncomingMessage, url: URL, c: Compiled, match: RegExpExecArray, body: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: `${c.route.method} ${c.route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: c.params.length
      ? Object.fromEntries(c.params.map((p, i) => [p, decodeURIComponent(match[i + 1] ?? "")]))
      : undefined,
    body: body || undefined,
    isBase64Encoded: false,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      requestId: randomUUID(),
      routeKey: `${c.route.method} ${c.route.path}`,
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      http: {
        method: c.route.method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "",
        userAgent: headers["user-agent"] ?? "",
      },
    },
  };
}

const lambdaContext = (name: string): Context =>
  ({
    functionName: name,
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 30_000,
  }) as Context;

/**
 * The local API: an HTTP server that turns each request into the API Gateway HTTP API (v2) event of its
 * route and calls the same handler Lambda would. Routing comes from the route table alone.
 */
export function createApiServer(routes: readonly Route[], rt: ModelRuntime): Server {
  const compiled = compile(routes, rt);
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const onPath = compiled
        .map((c) => ({ c, match: c.pattern.exec(url.pathname) }))
        .filter((m): m is { c: Compiled; match: RegExpExecArray } => m.match !== null);
      const hit = onPath.find((m) => m.c.route.method === req.method);
      if (!hit) {
        if (!onPath.length) return send(res, 404, JSON.stringify({ detail: `No route for ${url.pathname}` }));
        const allow = [...new Set(onPath.map((m) => m.c.route.method))].join(", ");
        return send(res, 405, JSON.stringify({ detail: `${req.method} not allowed on ${url.pathname}; use ${allow}` }), {
          allow,
        });
      }
      const limit = hit.c.route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const body = await readBody(req, limit);
      if (body === null) {
        res.setHeader("connection", "close");
        return send(res, 413, JSON.stringify({ detail: `Request body is larger than ${limit} bytes` }));
      }
      const reply = await hit.c.handler(toEvent(req, url, hit.c, hit.match, body), lambdaContext(hit.c.route.name));
      res.writeHead(reply.statusCode ?? 200, reply.headers as Record<string, string>);
      // As API Gateway does: a base64 body goes out as the bytes it encodes.
      res.end(reply.isBase64Encoded ? Buffer.from(reply.body ?? "", "base64") : (reply.body ?? ""));
    } catch (err) {
      rt.logger.error("request failed outside its handler", { error: err as Error });
      if (!res.headersSent) send(res, 500, JSON.stringify({ detail: "Internal server error" }));
      else res.end();
    }
  });
}
