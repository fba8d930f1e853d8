// Runs a function from its synthesized artifact the way Lambda does: each execution environment is its own
// process (lambda-child.mjs) started in a copy of the artifact's folder, with only the environment the
// template gives the function plus the variables Lambda itself sets; init once, one invocation at a time,
// a timeout that kills the environment (the next invocation is a cold start), at most `concurrency` at once.
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { WriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FunctionSpec } from "./assembly.js";

const CHILD = fileURLToPath(new URL("./lambda-child.mjs", import.meta.url));

export type InvokeResult =
  | { ok: true; result: unknown }
  | { ok: false; errorType: string; errorMessage: string; stack?: string[] };

interface Environment {
  child: ChildProcess;
  busy: boolean;
  ready: Promise<void>;
}

export interface LocalLambdaOptions {
  /** The folder the artifact was copied to (it stands for /var/task). */
  taskRoot: string;
  /** The function's environment, template intrinsics already resolved. */
  environment: Record<string, string>;
  /** Lambda's own variables: region, credentials, names (see rehearsal.ts). */
  lambdaEnvironment: Record<string, string>;
  concurrency: number;
  functionArn: string;
  log: WriteStream | NodeJS.WritableStream;
  onInit?: (initMs: number) => void;
}

export class LocalLambda {
  private readonly envs = new Set<Environment>();
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<string, (r: InvokeResult) => void>();
  private stopped = false;
  readonly initTimes: number[] = [];

  constructor(
    readonly spec: FunctionSpec,
    private readonly opts: LocalLambdaOptions,
  ) {}

  async invoke(event: unknown): Promise<InvokeResult> {
    const env = await this.acquire();
    try {
      await env.ready;
    } catch (err) {
      this.discard(env);
      const r = failure(err);
      if (!r.ok) this.logError("Init Error", r);
      return r;
    }
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const result = new Promise<InvokeResult>((resolve) => {
      const done = (r: InvokeResult) => {
        clearTimeout(timer);
        env.child.off("exit", onExit);
        this.pending.delete(id);
        resolve(r);
      };
      const onExit = () => done({ ok: false, errorType: "Runtime.ExitError", errorMessage: "Runtime exited during the invocation" });
      // Lambda stops the environment at the timeout; the invocation fails and the next one starts a new one.
      const timer = setTimeout(() => {
        this.discard(env);
        done({ ok: false, errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds` });
      }, timeoutMs);
      this.pending.set(id, done);
      env.child.once("exit", onExit);
    });
    env.child.send({ id, event, deadline: Date.now() + timeoutMs, requestId: id, functionArn: this.opts.functionArn });
    const r = await result;
    this.release(env);
    if (!r.ok) this.logError("Invoke Error", r);
    return r;
  }

  /** As the Node.js runtime logs a failed init or invocation to the function's log. */
  private logError(what: string, r: Extract<InvokeResult, { ok: false }>) {
    this.opts.log.write(`${new Date().toISOString()}\tERROR\t${what}\t${JSON.stringify({ errorType: r.errorType, errorMessage: r.errorMessage, stack: r.stack })}\n`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.envs].map((e) => this.kill(e)));
  }

  private async acquire(): Promise<Environment> {
    for (;;) {
      if (this.stopped) throw new Error(`${this.spec.logicalId}: the rehearsal is stopping`);
      const idle = [...this.envs].find((e) => !e.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.envs.size < this.opts.concurrency) {
        const env = this.start();
        env.busy = true;
        return env;
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private release(env: Environment) {
    env.busy = false;
    this.waiting.shift()?.();
  }

  private start(): Environment {
    const child = fork(CHILD, [], {
      cwd: this.opts.taskRoot,
      env: { ...this.opts.environment, ...this.opts.lambdaEnvironment },
      execArgv: [], // no loader of ours: the artifact runs as plain Node runs it
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    child.stdout!.pipe(this.opts.log, { end: false });
    child.stderr!.pipe(this.opts.log, { end: false });
    const ready = new Promise<void>((resolve, reject) => {
      child.on("message", (m: { type: string; id?: string; initMs?: number; result?: unknown; error?: { errorType: string; errorMessage: string; stack?: string[] } }) => {
        if (m.type === "ready") {
          this.initTimes.push(m.initMs!);
          this.opts.onInit?.(m.initMs!);
          resolve();
        } else if (m.type === "initError") reject(Object.assign(new Error(m.error!.errorMessage), { name: m.error!.errorType }));
        else if (m.type === "result") this.pending.get(m.id!)?.({ ok: true, result: m.result });
        else if (m.type === "error") this.pending.get(m.id!)?.({ ok: false, ...m.error! });
      });
      child.once("exit", (code) => reject(Object.assign(new Error(`Runtime exited with code ${code} during init`), { name: "Runtime.ExitError" })));
    });
    ready.catch(() => {}); // reported to the invocation that waits for it
    const env: Environment = { child, busy: false, ready };
    child.once("exit", () => {
      this.envs.delete(env);
      this.waiting.shift()?.();
    });
    this.envs.add(env);
    return env;
  }

  private discard(env: Environment) {
    void this.kill(env);
    this.envs.delete(env);
  }

  private kill(env: Environment): Promise<void> {
    if (env.child.exitCode !== null || env.child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      env.child.once("exit", () => done());
      env.child.kill("SIGKILL");
    });
  }
}

function failure(err: unknown): InvokeResult {
  const e = err as Error;
  return { ok: false, errorType: e.name ?? "Error", errorMessage: e.message ?? String(err) };
}
