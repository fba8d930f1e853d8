import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureVenv } from "../../tools/python-venv.js";

/**
 * Schemathesis (PyPI), property-based conformance testing of a live API against its OpenAPI document.
 * Installed into `.cache/schemathesis-venv` on first use, pinned, the same way tools/aws-local/moto.ts installs
 * moto: a lock directory keeps parallel test workers from installing at the same time.
 */
export const SCHEMATHESIS_VERSION = "4.32.5";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const VENV = join(REPO_ROOT, ".cache", "schemathesis-venv");
const PYTHON = join(VENV, "bin", "python");
const CLI = join(VENV, "bin", "schemathesis");

const venvReady = () =>
  existsSync(CLI) &&
  spawnSync(
    PYTHON,
    ["-c", `import importlib.metadata as m; assert m.version("schemathesis") == "${SCHEMATHESIS_VERSION}"`],
    { stdio: "ignore" },
  ).status === 0;

/** Runs a command without blocking the event loop; resolves with its exit code and output. */
function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; output: string }>((done, fail) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1", NO_COLOR: "1" },
    });
    let output = "";
    const collect = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-200_000));
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          output += `\n[killed after ${opts.timeoutMs} ms]`;
          child.kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    child.once("error", fail);
    child.once("exit", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

const venv = () => ensureVenv({ venv: VENV, requirements: [`schemathesis==${SCHEMATHESIS_VERSION}`], ready: venvReady });

/** Schemathesis's check names (`schemathesis run --help`, "--checks"). */
export type Check =
  | "not_a_server_error"
  | "status_code_conformance"
  | "content_type_conformance"
  | "response_headers_conformance"
  | "response_schema_conformance"
  | "negative_data_rejection"
  | "positive_data_acceptance"
  | "missing_required_header"
  | "unsupported_method"
  | "allow_header_conformance"
  | "use_after_free"
  | "ensure_resource_availability"
  | "ignored_auth"
  | "object_level_authorization";

/** One check switched off for one operation (by operationId), with the reason (README "OpenAPI conformance"). */
export interface Exclusion {
  check: Check;
  operationId: string;
  why: string;
}

export interface RunOptions {
  /** The API's base URL; its document is read from `${base}/openapi.json`. */
  base: string;
  headers?: Record<string, string>;
  /** Test cases per operation and phase. */
  maxExamples: number;
  seed?: number;
  exclusions?: readonly Exclusion[];
  /** Where the config file and reports go. */
  workDir: string;
  timeoutMs?: number;
}

const toml = (s: string) => JSON.stringify(s);

/**
 * The configuration: every check on (`[checks] enabled = true`, the file's form of `--checks all`), then each
 * exclusion for its one operation. On the command line `--checks all` would override the per-operation
 * sections, which is why the checks are chosen here and not there.
 */
// schemathesis's default for negative_data_rejection, plus 413: a body over the route's limit is rejected with
// 413 before it is parsed, and an oversized invalid body is still an invalid body rejected.
const REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"];

export function configFile(exclusions: readonly Exclusion[]): string {
  const lines = ["[checks]", "enabled = true", `negative_data_rejection.expected-statuses = ${JSON.stringify(REJECTION_STATUSES)}`, ""];
  for (const e of exclusions) {
    lines.push(`# ${e.why.replace(/\s+/g, " ")}`, "[[operations]]", `include-operation-id = ${toml(e.operationId)}`);
    lines.push(`checks.${e.check}.enabled = false`, "");
  }
  return lines.join("\n");
}

export interface RunResult {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs `schemathesis run <base>/openapi.json` with every phase; exit code 0 means no failures. */
export async function runSchemathesis(opts: RunOptions): Promise<RunResult> {
  await venv();
  mkdirSync(opts.workDir, { recursive: true });
  const config = join(opts.workDir, "schemathesis.toml");
  writeFileSync(config, configFile(opts.exclusions ?? []));
  const args = [
    "--no-color",
    "--config-file",
    config,
    "run",
    `${opts.base}/openapi.json`,
    "--max-examples",
    String(opts.maxExamples),
    ...(opts.seed === undefined ? [] : ["--seed", String(opts.seed)]),
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    "--report",
    "junit",
    "--report-dir",
    join(opts.workDir, "report"),
    "--output-truncate",
    "false",
  ];
  const started = Date.now();
  const r = await run(CLI, args, { cwd: opts.workDir, timeoutMs: opts.timeoutMs });
  return { ...r, ms: Date.now() - started };
}
