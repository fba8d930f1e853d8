// API Gateway HTTP API (v2) in front of the rehearsed functions: the template's routes (RouteKey → integration
// → function), matched as API Gateway matches them, each request turned into a payload-format-2.0 event and
// each function's answer into the HTTP response API Gateway would give.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { InvokeResult } from "./lambda-runner.js";

export interface HttpRoute {
  routeKey: string;
  invoke(event: APIGatewayProxyEventV2): Promise<InvokeResult>;
}

interface Compiled {
  route: HttpRoute;
  method: string;
  pattern: RegExp;
  params: string[];
  /** API Gateway prefers the most specific route: fewer parameters, then longer literal text. */
  rank: [number, number];
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload quota
const INTEGRATION_TIMEOUT_MS = 30_000; // HTTP API's maximum integration timeout
const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json|[^;]*\+xml)/i;

function compile(route: HttpRoute): Compiled {
  if (route.routeKey === "$default") return { route, method: "ANY", pattern: /^/, params: [], rank: [Infinity, 0] };
  const [method, path] = route.routeKey.split(" ") as [string, string];
  const params: string[] = [];
  let literal = 0;
  const source = path
    .split("/")
    .map((seg) => {
      const greedy = /^\{(\w+)\+\}$/.exec(seg);
      if (greedy) return params.push(greedy[1]!), "(.+)";
      const param = /^\{(\w+)\}$/.exec(seg);
      if (param) return params.push(param[1]!), "([^/]+)";
      literal += seg.length;
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { route, method, pattern: new RegExp(`^${source}$`), params, rank: [params.length, -literal] };
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
};

/** The API's CorsConfiguration, as the template resolves it. */
export interface Cors {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

/** API Gateway answers CORS itself when the API has a CorsConfiguration: preflights, and the headers on answers. */
function corsHeaders(cors: Cors | undefined, req: IncomingMessage): Record<string, string> | undefined {
  const origin = req.headers.origin;
  const allowed = cors?.AllowOrigins ?? [];
  if (!origin || !(allowed.includes("*") || allowed.includes(origin))) return undefined;
  const h: Record<string, string> = { "access-control-allow-origin": allowed.includes("*") ? "*" : origin };
  if (cors!.ExposeHeaders?.length) h["access-control-expose-headers"] = cors!.ExposeHeaders.join(",");
  return h;
}

export async function startHttpApi(routes: HttpRoute[], port = 0, host = "127.0.0.1", cors?: Cors): Promise<{ url: string; server: Server }> {
  const table = routes.map(compile).sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1]);

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://api");
    const method = req.method ?? "GET";
    const allowOrigin = corsHeaders(cors, req);
    if (cors && method === "OPTIONS" && req.headers["access-control-request-method"]) {
      res.writeHead(204, {
        ...allowOrigin,
        ...(allowOrigin && {
          "access-control-allow-methods": (cors.AllowMethods ?? []).join(","),
          "access-control-allow-headers": (cors.AllowHeaders ?? []).join(","),
          "access-control-max-age": String(cors.MaxAge ?? 0),
        }),
      });
      return res.end();
    }
    for (const [k, v] of Object.entries(allowOrigin ?? {})) res.setHeader(k, v);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY_BYTES) return send(res, 413, { message: "Request Entity Too Large" });
      chunks.push(c);
    }
    const rawPath = url.pathname;
    let match: { c: Compiled; values: string[] } | undefined;
    for (const c of table) {
      if (c.method !== method && c.method !== "ANY") continue;
      const m = c.pattern.exec(rawPath);
      if (m) {
        match = { c, values: m.slice(1) };
        break;
      }
    }
    if (!match) return send(res, 404, { message: "Not Found" });

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== "cookie") headers[k] = Array.isArray(v) ? v.join(",") : v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const body = Buffer.concat(chunks);
    const textual = TEXT_TYPES.test(headers["content-type"] ?? "application/json");
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s; // API Gateway passes a malformed escape through as it came
      }
    };
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: "2.0",
      routeKey: match.c.route.routeKey,
      rawPath,
      rawQueryString: url.search.slice(1),
      cookies: req.headers.cookie?.split(/;\s*/),
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: match.c.params.length ? Object.fromEntries(match.c.params.map((p, i) => [p, decode(match.values[i]!)])) : undefined,
      requestContext: {
        accountId: "123456789012",
        apiId: "rehearsal",
        domainName: headers.host ?? "localhost",
        domainPrefix: "rehearsal",
        http: { method, path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? "127.0.0.1", userAgent: headers["user-agent"] ?? "" },
        requestId: randomUUID(),
        routeKey: match.c.route.routeKey,
        stage: "$default",
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      body: body.length ? (textual ? body.toString("utf8") : body.toString("base64")) : undefined,
      isBase64Encoded: body.length > 0 && !textual,
    };

    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), INTEGRATION_TIMEOUT_MS).unref());
    const outcome = await Promise.race([match.c.route.invoke(event), timeout]);
    if (outcome === "timeout") return send(res, 503, { message: "Service Unavailable" });
    if (!outcome.ok) return send(res, 500, { message: "Internal Server Error" });
    reply(res, outcome.result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: "Internal Server Error" });
    });
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, server };
}

/** Payload format 2.0: a structured result ({statusCode, …}) is taken as is; anything else is a 200 JSON body. */
function reply(res: ServerResponse, result: unknown) {
  const structured = result !== null && typeof result === "object" && "statusCode" in result;
  if (!structured) {
    res.writeHead(200, { "content-type": "application/json" }).end(typeof result === "string" ? result : JSON.stringify(result));
    return;
  }
  const r = result as APIGatewayProxyStructuredResultV2;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (r.cookies?.length) headers["set-cookie"] = r.cookies;
  headers["content-type"] ??= "application/json";
  const body = r.body === undefined ? "" : r.isBase64Encoded ? Buffer.from(r.body, "base64") : r.body;
  res.writeHead(r.statusCode ?? 200, headers).end(body);
}
