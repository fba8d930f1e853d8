import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { eventually } from "./runtime.js";

/** A port nobody listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** A Redis of the test's own (nothing on disk), for tests that take it away or need it empty. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  await eventually(async () => out.includes("Ready to accept connections"));
  return proc;
}
