import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { eventually } from "./runtime.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One `npm run api` / `npm run worker` process, as a user starts it (tsx, functions/local/main.ts). */
export interface SystemProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves once its output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startProcess(mode: "api" | "worker" | "all", env: Record<string, string>): Promise<SystemProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "functions/local/main.ts", mode], {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: "INFO", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const proc: SystemProcess = {
    child,
    output: () => out,
    async waitFor(pattern, timeoutMs = 60_000) {
      await eventually(async () => pattern.test(out) || (child.exitCode !== null && Promise.reject(new Error(`exited ${child.exitCode}:\n${out}`))), timeoutMs);
    },
    async kill(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
  await proc.waitFor(mode === "worker" ? /worker started/ : /Smart-Support API on/);
  return proc;
}
