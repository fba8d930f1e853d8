import { z } from "zod";
import { ErrorBody } from "../../layers/core/domain/schemas.js";
import { DEFAULT_MAX_BODY_BYTES, type Route } from "./http.js";

const toSchema = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" });

type Reply = { description: string; schema?: z.ZodType };

/**
 * The statuses a route answers without its handler saying so, derived from its spec and from what the server
 * and the middleware (`errorReplies`, `jsonBody`, `requireApiKey`) really answer. Every one is `{"detail"}`.
 */
function derivedReplies(r: Route, pathParams: readonly string[]): Record<number, Reply> {
  const out: Record<number, Reply> = {};
  const add = (status: number, description: string) => {
    const had = out[status];
    out[status] = { description: had ? `${had.description}; ${description}` : description, schema: ErrorBody };
  };
  // functions/local/server.ts decodes each path parameter once; a malformed %-escape is the caller's error.
  if (pathParams.length) add(400, "A path parameter is not valid percent-encoding");
  if (r.body) {
    add(400, "Body empty or not JSON");
    add(413, `Body over ${r.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES} bytes`);
    add(422, "Invalid body fields (`errors` names each)");
  }
  if (r.query) add(422, "Invalid query parameter (`errors` names each)");
  if (r.auth) {
    add(401, "API_KEY is set and the request has no `Authorization: Bearer` header");
    add(403, "API_KEY is set and the bearer token is not it");
  }
  // errorReplies: Redis unreachable (StoreUnavailableError) → 503; anything unexpected → a logged 500.
  if (r.store !== false) add(503, "Redis unavailable");
  add(500, "Unexpected server error (logged)");
  return out;
}

/** The OpenAPI 3.0 document, generated from the route table and its zod schemas. */
export function buildOpenApi(routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const names = [...r.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
    const params = names.map((name) => ({
      name,
      in: "path",
      required: true,
      // Any non-empty text: the server decodes the segment once, so '/', '%', '.' and '..' are ordinary values.
      schema: { type: "string", minLength: 1 },
    }));
    const query = r.query
      ? Object.entries((toSchema(r.query, "input").properties ?? {}) as Record<string, unknown>).map(([name, schema]) => ({
          name,
          in: "query",
          required: false,
          schema,
        }))
      : [];
    // What the route declares wins over what is derived (e.g. /health's own 503 body).
    const responses: Record<number, Reply> = { ...derivedReplies(r, names), ...r.responses };
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      operationId: r.name,
      summary: r.summary,
      ...(r.auth ? { security: [{ bearer: [] }] } : {}),
      parameters: [...params, ...query],
      ...(r.body
        ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(r.body, "input") } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(responses).map(([status, res]) => [
          status,
          {
            description: res.description,
            ...(res.schema ? { content: { "application/json": { schema: toSchema(res.schema, "output") } } } : {}),
          },
        ]),
      ),
    };
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "Smart-Support",
      version: "1.0.0",
      description: "Support-ticket router: 202 intake, background classification, urgency queue.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API_KEY, when the server sets one" } },
    },
    paths,
  };
}
