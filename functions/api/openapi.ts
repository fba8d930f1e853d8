import { z } from "zod";
import type { Route } from "./http.js";

const toSchema = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" });

/** The OpenAPI 3.0 document, generated from the route table and its zod schemas. */
export function buildOpenApi(routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = r.query
      ? Object.entries((toSchema(r.query, "input").properties ?? {}) as Record<string, unknown>).map(([name, schema]) => ({
          name,
          in: "query",
          required: false,
          schema,
        }))
      : [];
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
        Object.entries(r.responses).map(([status, res]) => [
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
