import { runWorker } from "../../functions/local/worker.js";
import type { LocalRuntime } from "../../functions/local/runtime.js";

/** Runs the real worker loop until stopped. */
export function startWorker(rt: LocalRuntime): { stop(): Promise<void> } {
  const ctl = new AbortController();
  const done = runWorker(rt, ctl.signal);
  return {
    async stop() {
      ctl.abort();
      await done;
    },
  };
}
