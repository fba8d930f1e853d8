import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, startRuntime, type TestSystem } from "../support/runtime.js";

// A dashboard build of our own, so these tests check serving, not the build.
const dir = mkdtempSync(join(tmpdir(), "dash-"));
mkdirSync(join(dir, "assets"));
writeFileSync(join(dir, "index.html"), "<!doctype html><title>Smart-Support</title>");
writeFileSync(join(dir, "assets", "app-1a2b.js"), "console.log('hi')");
writeFileSync(join(dir, "assets", "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));

let sys: TestSystem;
let api: { base: string; close(): Promise<void> };
beforeAll(async () => {
  sys = startRuntime({ DASHBOARD_DIR: dir });
  api = await startApi(sys.rt);
});
afterAll(async () => {
  await api.close();
  await sys.close();
});

describe("dashboard assets", () => {
  it("serves the page uncached and hashed assets cached for good", async () => {
    const page = await fetch(`${api.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(await page.text()).toContain("Smart-Support");
    const js = await fetch(`${api.base}/assets/app-1a2b.js`);
    expect(js.headers.get("content-type")).toContain("text/javascript");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(await js.text()).toBe("console.log('hi')");
  });

  it("serves binary assets byte for byte", async () => {
    const png = await fetch(`${api.base}/assets/logo.png`);
    expect(Buffer.from(await png.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
  });

  it("answers 404 for unknown assets and anything outside the assets folder", async () => {
    expect((await fetch(`${api.base}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${api.base}/assets/..%2Findex.html`)).status).toBe(404);
    expect((await fetch(`${api.base}/assets/app.exe`)).status).toBe(404);
  });
});
