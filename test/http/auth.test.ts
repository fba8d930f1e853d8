import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, startRuntime, type TestSystem } from "../support/runtime.js";

let sys: TestSystem;
let api: { base: string; close(): Promise<void> };
beforeAll(async () => {
  sys = startRuntime({ API_KEY: "k-123" });
  api = await startApi(sys.rt);
});
afterAll(async () => {
  await api.close();
  await sys.close();
});

const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  fetch(`${api.base}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("API_KEY", () => {
  it("401 without a key and 403 with a wrong one on a mutating route", async () => {
    const none = await call("DELETE", "/queue");
    expect(none.status).toBe(401);
    expect((await none.json()).detail).toMatch(/Authorization/);
    expect((await call("DELETE", "/queue", { Authorization: "Bearer wrong" })).status).toBe(403);
    expect((await call("DELETE", "/queue", { Authorization: "Bearer k-123" })).status).toBe(200);
  });

  it("guards GET /tickets/next, which removes a ticket: 401 without, 403 wrong, 200/404 with the key", async () => {
    const none = await call("GET", "/tickets/next");
    expect(none.status).toBe(401);
    expect((await none.json()).detail).toMatch(/Authorization/);
    const wrong = await call("GET", "/tickets/next", { Authorization: "Bearer wrong" });
    expect(wrong.status).toBe(403);
    const ok = await call("GET", "/tickets/next", { Authorization: "Bearer k-123" });
    expect([200, 404]).toContain(ok.status);
    if (ok.status === 404) expect((await ok.json()).detail).toBe("No tickets in queue");
    // peek stays open: it removes nothing.
    expect([200, 404]).toContain((await call("GET", "/tickets/peek")).status);
  });

  it("leaves intake, scoring and reads open", async () => {
    expect((await call("POST", "/tickets", {}, { subject: "a", body: "b" })).status).toBe(202);
    expect((await call("POST", "/tickets/batch", {}, [{ subject: "a", body: "c" }])).status).toBe(202);
    expect((await call("POST", "/urgency-score", {}, { text: "hello" })).status).toBe(200);
    expect((await fetch(`${api.base}/queue`)).status).toBe(200);
  });
});
