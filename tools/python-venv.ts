import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

// A Python virtualenv with pinned packages from PyPI, made on first use (moto for the AWS rehearsal,
// schemathesis for the tests). Test files run in parallel workers, so the install is guarded by a lock
// directory (mkdir is atomic); a lock whose owner died is taken over.

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs a command without blocking the event loop (a long spawnSync would starve a test worker's RPC). */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once("error", fail);
    child.once("exit", (code) => (code === 0 ? done() : fail(new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${stderr}`))));
  });
}

export async function ensureVenv(opts: { venv: string; requirements: string[]; ready: () => boolean }): Promise<void> {
  const { venv, requirements, ready } = opts;
  if (ready()) return;
  const lock = `${venv}.lock`;
  mkdirSync(dirname(venv), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lock, "pid"), "utf8"));
      } catch {
        // Lock just made, pid not yet written: give its owner a moment.
      }
      const ageMs = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0;
      if ((Number.isFinite(owner) && !alive(owner)) || (Number.isNaN(owner) && ageMs > 10_000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await sleep(500);
      if (ready()) return;
    }
  }
  try {
    if (ready()) return;
    const python = join(venv, "bin", "python");
    if (!existsSync(python)) await run("python3", ["-m", "venv", venv]);
    await run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...requirements]);
    if (!ready()) throw new Error(`${requirements.join(" ")} still not importable from ${venv} after install`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
