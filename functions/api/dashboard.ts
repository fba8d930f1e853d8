import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { z } from "zod";
import { notFound } from "../../layers/core/errors.js";
import { route, type ApiResult } from "./http.js";

const TEXT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};
const BINARY_TYPES: Record<string, string> = { ".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2" };

// A built asset's name carries its content hash, so it can be cached for good; the page itself cannot.
async function serve(dir: string, file: string, cache: string): Promise<ApiResult> {
  const ext = extname(file);
  const text = TEXT_TYPES[ext];
  const type = text ?? BINARY_TYPES[ext];
  if (!type) throw notFound(`No asset '${file}'`);
  const body = await readFile(join(dir, file)).catch(() => {
    throw notFound(file === "index.html" ? "The dashboard is not built: run `npm run build:dashboard`" : `No asset '${file}'`);
  });
  return {
    statusCode: 200,
    headers: { "content-type": type, "cache-control": cache },
    // API Gateway carries binary bodies base64-encoded.
    ...(text ? { body: body.toString("utf8") } : { body: body.toString("base64"), isBase64Encoded: true }),
  };
}

export const page = route(
  {
    method: "GET",
    path: "/",
    name: "dashboard",
    summary: "The operations dashboard (built single-page app)",
    responses: { 200: { description: "HTML" } },
  },
  async (rt) => serve(rt.config.DASHBOARD_DIR, "index.html", "no-cache"),
);

const assetName = z.string().regex(/^[\w.-]+$/, "asset names have no slashes");

export const asset = route(
  {
    method: "GET",
    path: "/assets/{file}",
    name: "dashboardAsset",
    summary: "The dashboard's built scripts and styles",
    responses: { 200: { description: "The asset" }, 404: { description: "No such asset" } },
  },
  async (rt, { params }) => {
    const file = assetName.safeParse(params.file);
    if (!file.success) throw notFound(`No asset '${params.file}'`);
    return serve(join(rt.config.DASHBOARD_DIR, "assets"), file.data, "public, max-age=31536000, immutable");
  },
);
