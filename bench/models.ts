import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadConfig } from "../layers/core/config.js";
import { ticketText } from "../layers/core/domain/classification.js";
import { loadModels } from "../layers/core/ml/models.js";
import { acceptTickets } from "../layers/core/services/intake.js";
import { createLocalRuntime } from "../functions/local/runtime.js";
import { dropPrefix, fmt, REDIS_URL, stopChild } from "./support.js";

const PIPELINE_TICKETS = Number(process.env.BENCH_PIPELINE_TICKETS ?? 2000);
const SINGLE_TICKETS = 300;

/** The labelled tickets, cycled to n, each with its own id. */
function tickets(n: number) {
  const raw = ["part-a", "part-b"].flatMap((f) =>
    readFileSync(new URL(`../tools/model/data/raw/${f}.jsonl`, import.meta.url), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { subject: string; body: string }),
  );
  return Array.from({ length: n }, (_, i) => ({ ticket_id: `bench-${i}`, ...raw[i % raw.length]! }));
}

/** The encoder alone over the same texts, batch by batch: in arrival order, and sorted by length. */
async function rawEncoder(texts: string[]) {
  const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
  const { encoder } = await loadModels(MODELS_DIR, ENCODER_THREADS);
  const ids = texts.map((t) => encoder.tokenize(t));
  const sorted = [...ids].sort((a, b) => a.length - b.length);
  const rates: Record<string, number> = {};
  for (const [order, all] of [["arrival", ids], ["sorted", sorted]] as const) {
    for (const b of [1, 4, 8, 16, 32]) {
      const t0 = performance.now();
      for (let i = 0; i < all.length; i += b) await encoder.embedTokens(all.slice(i, i + b));
      rates[`${order}/${b}`] = all.length / ((performance.now() - t0) / 1000);
    }
  }
  // What a worker can do at best: tickets arrive in queue batches of 32, sorted by length within each.
  for (const b of [4, 8, 16]) {
    const t0 = performance.now();
    for (let i = 0; i < ids.length; i += 32) {
      const chunk = ids.slice(i, i + 32).sort((x, y) => x.length - y.length);
      for (let j = 0; j < chunk.length; j += b) await encoder.embedTokens(chunk.slice(j, j + b));
    }
    rates[`per32/${b}`] = ids.length / ((performance.now() - t0) / 1000);
  }
  return rates;
}

/** Fills a fresh queue, starts one worker process, times the drain and samples the worker's RSS. */
async function pipeline(n: number, env: Record<string, string>) {
  const prefix = `bench:${Date.now()}:`;
  const config = loadConfig({ REDIS_URL, REDIS_PREFIX: prefix });
  const rt = createLocalRuntime(config);
  const all = tickets(n);
  for (let i = 0; i < all.length; i += 500) await acceptTickets(rt, all.slice(i, i + 500));

  const proc = spawn(process.execPath, ["--import", "tsx", "bench/servers/worker.ts"], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", REDIS_PREFIX: prefix, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const loadMs = await new Promise<number>((resolve) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /LOADED (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const t0 = performance.now();
  let rssMb = 0;
  for (;;) {
    const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
    rssMb = Math.max(rssMb, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    const done = Number((await rt.redis.hgetall(rt.keys.counters)).tickets_processed_total ?? 0);
    if (done >= n) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  await stopChild(proc);
  const processed = await rt.redis.zrevrange(rt.keys.queue, 0, -1);
  const hashes = await rt.redis.hgetallMany(processed.map(rt.keys.ticket));
  const transformerShare = hashes.filter((h) => h.model === "transformer").length / hashes.length;
  await rt.close();
  await dropPrefix(prefix);
  return { rate: n / seconds, loadMs, rssMb, transformerShare };
}

export async function benchModels(): Promise<Record<string, number>> {
  const texts = tickets(PIPELINE_TICKETS).map(ticketText);
  const rates = await rawEncoder(texts);
  const [bestBatch, bestRate] = Object.entries(rates).sort((a, b) => b[1] - a[1])[0]!;
  const [bestPer32, bestPer32Rate] = Object.entries(rates)
    .filter(([k]) => k.startsWith("per32/"))
    .sort((a, b) => b[1] - a[1])[0]!;
  console.log(`\n## Models: the same ${PIPELINE_TICKETS} labelled tickets in every run`);
  console.log(`raw encoder tickets/s by order/batch size: ${Object.entries(rates).map(([b, r]) => `${b}→${fmt(r, 0)}`).join("  ")}`);

  const batched = await pipeline(PIPELINE_TICKETS, {});
  const single = await pipeline(SINGLE_TICKETS, { WORKER_BATCH_SIZE: "1" });
  const share = (x: number) => `${fmt(100 * x, 0)}% transformer`;
  console.log(`pipeline, batches of 32    : ${fmt(batched.rate, 0)} tickets/s (${share(batched.transformerShare)})`);
  console.log(`pipeline, batches of 1     : ${fmt(single.rate, 0)} tickets/s over ${SINGLE_TICKETS} tickets (${share(single.transformerShare)})`);
  console.log(`pipeline / raw encoder (best of all, ${bestBatch}): ${fmt(batched.rate / bestRate, 2)} (target ≥ 0.9)`);
  console.log(`pipeline / raw encoder on queue-sized batches (${bestPer32}): ${fmt(batched.rate / bestPer32Rate, 2)}`);
  console.log(`batched / batch-size-1 pipeline: ${fmt(batched.rate / single.rate, 1)}× (target ≥ 5×)`);
  console.log(`model load: ${batched.loadMs} ms (target < 1500 ms); worker peak RSS: ${fmt(batched.rssMb, 0)} MB (target < 512 MB)`);
  return {
    encoder_best_rate: bestRate,
    pipeline_rate: batched.rate,
    pipeline_ratio: batched.rate / bestRate,
    batching_gain: batched.rate / single.rate,
    load_ms: batched.loadMs,
    rss_mb: batched.rssMb,
  };
}
