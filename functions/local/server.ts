import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { ModelRuntime } from "../../layers/core/runtime.js";
import { DEFAULT_MAX_BODY_BYTES, type ApiHandler, type Route } from "../api/http.js";

interface Compiled {
  route: Route;
  /** The route's path split on "/": a literal segment, or null where a parameter goes. */
  segments: (string | null)[];
  params: string[];
  handler: ApiHandler;
}

/** Literal segments win over parameters, as in API Gateway: /tickets/next is not /tickets/{ticket_id}. */
function compile(routes: readonly Route[], rt: ModelRuntime): Compiled[] {
  return routes
    .map((route) => {
      const params: string[] = [];
      const segments = route.path
        .split("/")
        .slice(1)
        .map((seg) => {
          const param = /^\{(\w+)\}$/.exec(seg)?.[1];
          if (param) params.push(param);
          return param ? null : seg;
        });
      return { route, segments: route.path === "/" ? [""] : segments, params, handler: route.make(rt) };
    })
    .sort((a, b) => a.params.length - b.params.length);
}

/**
 * The request target's path and query exactly as sent: no dot-segment removal and no decoding, so
 * `/tickets/..` is the ticket "..", and `%2F` stays inside its segment. (Absolute-form targets lose their
 * scheme and authority.)
 */
export function splitTarget(target: string): { path: string; query: string } {
  const origin = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i.exec(target)?.[0].length ?? 0;
  const rest = target.slice(origin).split("#")[0]!;
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  return { path: path.startsWith("/") ? path : `/${path}`, query: q < 0 ? "" : rest.slice(q + 1) };
}

/** The raw segments of a path; one trailing slash after a segment is ignored, as before (`/queue/` is `/queue`). */
const rawSegments = (path: string) =>
  (path.length > 1 && path.endsWith("/") && !path.endsWith("//") ? path.slice(0, -1) : path).split("/").slice(1);

/** The raw parameter values when the route's literal segments equal the path's raw ones, else null. */
function matchRoute(c: Compiled, segs: readonly string[]): string[] | null {
  if (c.segments.length !== segs.length) return null;
  const values: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const want = c.segments[i];
    if (want === null) {
      if (!segs[i]) return null;
      values.push(segs[i]!);
    } else if (want !== segs[i]) return null;
  }
  return values;
}

class BadEscape extends Error {}

/** Decodes each path parameter exactly once; a malformed escape is the caller's error, named by segment. */
function decodeParams(c: Compiled, raw: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    c.params.map((name, i) => {
      const seg = raw[i]!;
      try {
        return [name, decodeURIComponent(seg)];
      } catch {
        throw new BadEscape(
          `Path segment '${seg}' (${name}) is not valid percent-encoding: each '%' must start an escape of two hex digits that together form UTF-8 (write '%25' for a literal '%')`,
        );
      }
    }),
  );
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

function toEvent(
  req: IncomingMessage,
  target: { path: string; query: string },
  c: Compiled,
  pathParameters: Record<string, string>,
  body: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(target.query)) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: `${c.route.method} ${c.route.path}`,
    rawPath: target.path,
    rawQueryString: target.query,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: c.params.length ? pathParameters : undefined,
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
        path: target.path,
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
  // Ids may be 10,000 characters (40 kB of UTF-8, percent-encoded in a path, or in a cursor): Node's 16 kB
  // default would drop such a request line without an answer.
  return createServer({ maxHeaderSize: 256 * 1024 }, async (req, res) => {
    try {
      const target = splitTarget(req.url ?? "/");
      const segs = rawSegments(target.path);
      const onPath = compiled
        .map((c) => ({ c, values: matchRoute(c, segs) }))
        .filter((m): m is { c: Compiled; values: string[] } => m.values !== null);
      const hit = onPath.find((m) => m.c.route.method === req.method);
      if (!hit) {
        if (!onPath.length) return send(res, 404, JSON.stringify({ detail: `No route for ${target.path}` }));
        const allow = [...new Set(onPath.map((m) => m.c.route.method))].join(", ");
        return send(res, 405, JSON.stringify({ detail: `${req.method} not allowed on ${target.path}; use ${allow}` }), {
          allow,
        });
      }
      let pathParameters: Record<string, string>;
      try {
        pathParameters = decodeParams(hit.c, hit.values);
      } catch (err) {
        if (!(err instanceof BadEscape)) throw err;
        req.resume();
        return send(res, 400, JSON.stringify({ detail: err.message }));
      }
      const limit = hit.c.route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const body = await readBody(req, limit);
      if (body === null) {
        res.setHeader("connection", "close");
        return send(res, 413, JSON.stringify({ detail: `Request body is larger than ${limit} bytes` }));
      }
      const reply = await hit.c.handler(toEvent(req, target, hit.c, pathParameters, body), lambdaContext(hit.c.route.name));
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
