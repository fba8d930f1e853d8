import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` until it returns a truthy value, for at most `patienceMs`. A probe may throw (an `expect`
 * that does not hold yet, a refused connection): it is tried again, and at the deadline the last error is
 * what the test reports. Polls back off from 100 ms to 1 s, so a slow target is not flooded with requests.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  patienceMs: number,
  what = "condition",
): Promise<T> {
  const until = Date.now() + patienceMs;
  let delay = 100;
  for (;;) {
    let failure: unknown;
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      failure = err;
    }
    if (Date.now() > until) {
      if (failure instanceof Error) {
        failure.message = `${what}: not met within ${patienceMs} ms: ${failure.message}`;
        throw failure;
      }
      throw new Error(`${what}: not met within ${patienceMs} ms`);
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 1_000);
  }
}
