import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ensureVenv } from "../python-venv.js";

/**
 * moto in server mode: a local stand-in that speaks the AWS wire protocols, so the adapters are tested through
 * the real SDK clients (serialisation, error parsing, partial-failure replies) without AWS.
 *
 * Only the SQS and EventBridge backends are installed (plus Flask for the server): `moto[server]` would also pull
 * cfn-lint, docker, sympy… (~320 MB, ~27 s to install here) for services these tests never call.
 */
export const MOTO_VERSION = "5.2.5";
const REQUIREMENTS = [`moto[sqs,events,secretsmanager]==${MOTO_VERSION}`, "flask==3.1.3", "flask-cors==6.0.5"];

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const VENV = join(REPO_ROOT, ".cache", "moto-venv");
const PYTHON = join(VENV, "bin", "python");

/** Dummy credentials and the region for SDK clients pointed at moto; nothing is read from ~/.aws. */
export function awsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    // moto answers at once or not at all: no point backing off and retrying in tests.
    maxAttempts: 1,
  };
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

const venvReady = () =>
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ["-c", `import moto, flask, flask_cors; assert moto.__version__ == "${MOTO_VERSION}"`], {
    stdio: "ignore",
  }).status === 0;

/** Starts moto_server on 127.0.0.1 with a port the OS picks, and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  await ensureVenv({ venv: VENV, requirements: REQUIREMENTS, ready: venvReady });
  // Port 0: Werkzeug binds a free port and prints it, so there is no pick-then-bind race between workers.
  const child = spawn(PYTHON, ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));

  try {
    const endpoint = await listening(child);
    return {
      endpoint,
      async stop() {
        process.removeListener("exit", killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
        if (timedOut) child.kill("SIGKILL");
      },
    };
  } catch (err) {
    process.removeListener("exit", killOnExit);
    child.kill("SIGKILL");
    throw err;
  }
}

/** Resolves with the endpoint once moto prints the address it listens on and answers a request. */
async function listening(child: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  let output = "";
  const endpoint = await new Promise<string>((found, fail) => {
    const timer = setTimeout(() => fail(new Error(`moto_server did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        found(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`moto_server exited (${code}) before listening:\n${output}`));
    });
  });
  // Stop collecting but keep draining the request log, so a full pipe never blocks the server.
  child.stdout.removeAllListeners("data").resume();
  child.stderr.removeAllListeners("data").resume();

  // "Running on" is printed once the socket is bound; one answered request makes sure the app serves too.
  for (let i = 0; ; i++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      return endpoint;
    } catch (err) {
      if (i >= 50) throw new Error(`moto_server at ${endpoint} does not answer`, { cause: err });
      await sleep(100);
    }
  }
}
