import { spawn, type ChildProcess } from "node:child_process";
import type { MiniLmEncoder } from "../layers/core/ml/encoder.js";

export { dropPrefix, REDIS_URL } from "../test/support/runtime.js";

/** Starts `tsx <file>` and resolves with its port once it prints `PORT n`. */
export async function startChild(file: string, env: Record<string, string> = {}): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ["--import", "tsx", file], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { port, proc };
}

export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** What an encoder's forward passes did over a run (MiniLmEncoder.work, the run's share). */
export type EncoderWork = MiniLmEncoder["work"];
export const workSince = (a: EncoderWork, b: EncoderWork): EncoderWork => ({ passes: b.passes - a.passes, paddedTokens: b.paddedTokens - a.paddedTokens, passMs: b.passMs - a.passMs });
