import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Built by `npm run build:dashboard`; the API serves dist/index.html at / and dist/assets/* at /assets/*.
// `npx vite --config dashboard/vite.config.ts` serves it for development, proxying the API
// (DASHBOARD_API, default http://127.0.0.1:8000) so the page calls the same relative paths it does in production.
const api = process.env.DASHBOARD_API ?? "http://127.0.0.1:8000";
const apiPaths = ["/tickets", "/queue", "/incidents", "/agents", "/assignments", "/metrics", "/activity", "/health", "/models"];

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  build: { outDir: "dist", emptyOutDir: true },
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, api])) },
});
