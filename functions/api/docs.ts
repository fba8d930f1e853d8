import { z } from "zod";
import { route, type ApiResult, type Route } from "./http.js";
import { buildOpenApi } from "./openapi.js";

// A self-contained reference page: it renders /openapi.json in the browser with no CDN or build step.
const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Smart-Support API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem;color:#1b1f24}
details{border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}code,pre{font:13px ui-monospace,monospace}pre{background:#f6f8fa;padding:.6rem;overflow:auto}
.m{display:inline-block;min-width:4.5rem;font-weight:700}.GET{color:#0969da}.POST{color:#1a7f37}.PATCH{color:#9a6700}.DELETE{color:#cf222e}
</style></head><body><h1>Smart-Support API</h1><p>Generated from <a href="/openapi.json">/openapi.json</a>.</p>
<div id="ops">Loading…</div>
<script>
fetch("openapi.json").then(r => r.json()).then(doc => {
  const ops = document.getElementById("ops"); ops.textContent = "";
  for (const [path, methods] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(methods)) {
    const d = document.createElement("details"), s = document.createElement("summary");
    const mm = m.toUpperCase();
    s.innerHTML = '<span class="m ' + mm + '">' + mm + '</span><code></code> — <span></span>';
    s.querySelector("code").textContent = path; s.querySelector("span:last-child").textContent = op.summary;
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: op.responses, security: op.security }, null, 2);
    d.append(s, pre); ops.append(d);
  }
});
</script></body></html>`;

/** The two documentation routes, built over the table they document. */
export function docsRoutes(table: () => readonly Route[]): Route[] {
  let doc: ReturnType<typeof buildOpenApi> | undefined;
  return [
    route(
      {
        method: "GET",
        path: "/openapi.json",
        name: "openapi",
        summary: "This OpenAPI document",
        store: false,
        responses: { 200: { description: "OpenAPI 3.0", schema: z.record(z.string(), z.unknown()) } },
      },
      async (): Promise<ApiResult> => ({
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify((doc ??= buildOpenApi(table()))),
      }),
    ),
    route(
      {
        method: "GET",
        path: "/docs",
        name: "docs",
        summary: "Browsable API reference",
        store: false,
        responses: { 200: { description: "HTML" } },
      },
      async (): Promise<ApiResult> => ({
        statusCode: 200,
        headers: { "content-type": "text/html; charset=utf-8" },
        body: DOCS_HTML,
      }),
    ),
  ];
}
