import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { freePort, startRedis } from "../support/redis-server.js";
import { eventually, startApi, testConfig } from "../support/runtime.js";

// A Redis of our own on a free port, so the test can take it away and bring it back.
let port: number;
let redis: ChildProcess;
let rt: LocalRuntime;
let api: { base: string; close(): Promise<void> };
beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  rt = createLocalRuntime(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }));
  api = await startApi(rt);
});
afterAll(async () => {
  await api.close();
  await rt.close().catch(() => {});
  redis.kill("SIGKILL");
});

const post = () =>
  fetch(`${api.base}/tickets`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ subject: "Hello", body: "A question" }),
  });

describe("Redis outage", () => {
  it("answers 503 with a clear detail while Redis is down and recovers by itself", async () => {
    expect((await post()).status).toBe(202);

    redis.kill("SIGKILL");
    await once(redis, "exit");
    const down = await post();
    expect(down.status).toBe(503);
    expect((await down.json()).detail).toMatch(/Redis unavailable/);
    const health = await fetch(`${api.base}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "degraded", redis: "unreachable" });
    expect((await fetch(`${api.base}/queue`)).status).toBe(503);

    redis = await startRedis(port);
    await eventually(async () => (await fetch(`${api.base}/health`)).status === 200, 15_000);
    expect((await post()).status).toBe(202);
  });
});
