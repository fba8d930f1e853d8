import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { loadConfig, type Config } from "../../layers/core/config.js";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { createApiServer } from "../../functions/local/server.js";
import { routes } from "../../functions/routes.js";
import { startWorker } from "./worker.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A fresh key prefix per test, so tests share the one Redis without seeing each other. */
export const testPrefix = () => `test:${randomUUID().slice(0, 8)}:`;

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ REDIS_URL, REDIS_PREFIX: testPrefix(), QUEUE_VISIBILITY_TIMEOUT_SECONDS: "30", ...env });
}

/** Deletes every key under a prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (found.length) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== "0");
  await redis.quit();
}

export interface TestSystem {
  rt: LocalRuntime;
  config: Config;
  close(): Promise<void>;
}

export function startRuntime(env: Record<string, string> = {}, consumer?: string): TestSystem {
  const config = testConfig(env);
  const rt = createLocalRuntime(config, { consumer });
  return {
    rt,
    config,
    async close() {
      await rt.close();
      await dropPrefix(config.REDIS_PREFIX);
    },
  };
}

/** The local API server on an ephemeral port, over a runtime of its own (or a given one). */
export async function startApi(rt: LocalRuntime): Promise<{ base: string; close(): Promise<void> }> {
  const server = createApiServer(routes, rt);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `probe` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The whole local system for HTTP tests: runtime, API server on an ephemeral port, one worker. */
export async function startSystem(env: Record<string, string> = {}): Promise<TestSystem & { base: string }> {
  const sys = startRuntime(env);
  const api = await startApi(sys.rt);
  const worker = startWorker(sys.rt);
  return {
    ...sys,
    base: api.base,
    async close() {
      await worker.stop();
      await api.close();
      await sys.close();
    },
  };
}
