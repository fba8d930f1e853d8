import autocannon from "autocannon";
import { dropPrefix, fmt, startChild, stopChild } from "./support.js";

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 10;

async function load(port: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/tickets`,
    method: "POST",
    headers: { "content-type": "application/json" },
    // [<id>] gives every request its own ticket id, so each one is a real new ticket.
    body: JSON.stringify({ ticket_id: "bench-[<id>]", subject: "Checkout broken", body: "Payment page returns 500 since 9am." }),
    idReplacement: true,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  const non2xx = result.non2xx + result.errors;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx, total: result.requests.total };
}

/** POST /tickets through the real API (Redis reservation, queue send, activity) vs a bare Node server. */
export async function benchIntake(): Promise<Record<string, number>> {
  const bare = await startChild("bench/servers/bare.ts");
  const bareResult = await load(bare.port).finally(() => stopChild(bare.proc));

  const prefix = `bench:${Date.now()}:`;
  const api = await startChild("bench/servers/api.ts", { REDIS_PREFIX: prefix });
  const apiResult = await load(api.port).finally(() => stopChild(api.proc));
  await dropPrefix(prefix);

  const ratio = apiResult.rps / bareResult.rps;
  console.log(`\n## Intake: POST /tickets, ${CONNECTIONS} connections, ${DURATION_S} s each`);
  console.log(`bare node http : ${fmt(bareResult.rps, 0)} req/s  p50 ${bareResult.p50} ms  p99 ${bareResult.p99} ms`);
  console.log(
    `smart-support  : ${fmt(apiResult.rps, 0)} req/s  p50 ${apiResult.p50} ms  p99 ${apiResult.p99} ms  (non-2xx/errors: ${apiResult.non2xx} of ${apiResult.total})`,
  );
  console.log(`ratio          : ${fmt(ratio, 2)} (target ≥ 0.5), p99 ${apiResult.p99} ms (target < 50 ms)`);
  return { intake_rps: apiResult.rps, bare_rps: bareResult.rps, intake_ratio: ratio, intake_p99_ms: apiResult.p99 };
}
