import { spawn } from "node:child_process";
import { dropPrefix, fmt, startChild, stopChild } from "./support.js";

// `npm run bench flood`: a flood of near-identical tickets, then ONE unrelated ticket, through the real API and
// one worker process; the unrelated ticket's wait from its 202 to processed, the flood's drain time and rate,
// with the flood lanes on and (FLOOD_LANE_THRESHOLD=0) off, in one run. BENCH_FLOOD_SIZES picks the sizes.
const SIZES = (process.env.BENCH_FLOOD_SIZES ?? "2000,10000").split(",").map(Number);
const BATCH = 1000; // POST /tickets/batch takes at most 1,000 tickets
const NAMES = ["Ana Ruiz", "Li Wei", "John Smith", "Maria Garcia", "Olu Ade", "Kim Park", "Ivan Petrov", "Sara Cohen", "Tom Baker", "Eva Novak"];

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
}

async function get(base: string, path: string) {
  return (await (await fetch(`${base}${path}`)).json()) as Record<string, unknown>;
}

async function startWorker(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", "bench/servers/worker.ts"], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => proc.stdout!.on("data", (d: Buffer) => d.toString().includes("LOADED") && resolve()));
  return proc;
}

async function scenario(n: number, lanes: boolean) {
  const prefix = `bench:flood:${Date.now()}:`;
  const env = { REDIS_PREFIX: prefix, FLOOD_LANE_THRESHOLD: lanes ? "10" : "0" };
  const worker = await startWorker(env);
  const api = await startChild("bench/servers/api.ts", env);
  const base = `http://127.0.0.1:${api.port}`;
  try {
    const started = performance.now();
    for (let i = 0; i < n; i += BATCH) {
      await post(
        base,
        "/tickets/batch",
        Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => {
          const k = i + j;
          return { ticket_id: `flood-${k}`, subject: "Checkout down", body: `Checkout returns 503 for order #${100_000 + 7 * k}, customer ${NAMES[k % 10]} ${NAMES[(3 * k) % 10]!.split(" ")[1]}` };
        }),
      );
    }
    await post(base, "/tickets", { ticket_id: "unrelated", subject: "Invoice shows wrong VAT number", body: "Our VAT ID is missing on invoice INV-7731, please reissue it." });
    const accepted = Date.now();
    let waitS = NaN;
    for (;;) {
      const t = await get(base, "/tickets/unrelated");
      if (t.status !== "accepted") {
        waitS = (Date.parse(String(t.processed_at)) - accepted) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    for (;;) {
      const m = await get(base, "/metrics");
      if (Number(m.tickets_processed_total) >= n + 1) {
        const drainS = (performance.now() - started) / 1000;
        return { waitS, drainS, rate: (n + 1) / drainS, floodLane: Number(m.tickets_flood_lane_total) };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await stopChild(api.proc);
    await stopChild(worker);
    await dropPrefix(prefix);
  }
}

export async function benchFlood(): Promise<Record<string, number>> {
  console.log("\n## Flood: n near-identical tickets, then one unrelated ticket (API + one worker process)");
  console.log("flood    lanes  unrelated wait  flood drain  tickets/s  in flood lane");
  const out: Record<string, number> = {};
  for (const n of SIZES) {
    const on = await scenario(n, true);
    const off = await scenario(n, false);
    for (const [name, r] of [["on", on], ["off", off]] as const) {
      console.log(`${String(n).padStart(6)}   ${name.padEnd(5)}  ${fmt(r.waitS, 2).padStart(12)} s  ${fmt(r.drainS, 1).padStart(9)} s  ${fmt(r.rate, 0).padStart(9)}  ${String(r.floodLane).padStart(13)}`);
    }
    console.log(`${String(n).padStart(6)}   wait off/on: ${fmt(off.waitS / on.waitS, 0)}×; drain on/off: ${fmt(on.drainS / off.drainS, 2)} (target: wait < 2 s, drain no worse)`);
    Object.assign(out, { [`wait_on_${n}`]: on.waitS, [`wait_off_${n}`]: off.waitS, [`drain_on_${n}`]: on.drainS, [`drain_off_${n}`]: off.drainS });
  }
  return out;
}
