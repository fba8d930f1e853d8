import { afterEach } from "vitest";
import { createLocalRuntime, type LocalRuntime } from "../../functions/local/runtime.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { getTicket } from "../../layers/core/services/queue.js";
import { dropPrefix, eventually, testConfig } from "./runtime.js";
import { startWorker } from "./worker.js";

export type TicketInput = { ticket_id: string; subject: string; body: string };

/**
 * Local runtimes on fresh key prefixes for one test file, each closed and its keys dropped after every test;
 * `defer` adds other clean-ups (receivers). Call once at the top of the file (it registers the afterEach).
 */
export function testRuntimes() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const runtime = (env: Record<string, string> = {}, consumer?: string): LocalRuntime => {
    const config = testConfig(env);
    const rt = createLocalRuntime(config, { consumer });
    cleanups.push(async () => {
      await rt.close();
      await dropPrefix(config.REDIS_PREFIX);
    });
    return rt;
  };
  return { runtime, defer: (cleanup: () => Promise<void>) => void cleanups.push(cleanup) };
}

/** Accepts the tickets and runs a worker on each runtime (they share Redis) until none is still accepted. */
export async function processAll(rts: LocalRuntime | LocalRuntime[], tickets: TicketInput[], timeoutMs = 60_000): Promise<void> {
  const all = Array.isArray(rts) ? rts : [rts];
  await acceptTickets(all[0]!, tickets);
  const workers = all.map((rt) => startWorker(rt));
  await eventually(async () => {
    for (const t of tickets) if ((await getTicket(all[0]!, t.ticket_id)).status === "accepted") return false;
    return true;
  }, timeoutMs);
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(all.map((rt) => rt.bus.drain()));
}
