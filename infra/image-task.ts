// The container image's task folder, built on the host: the two model-backed entry points bundled, the Lua
// scripts beside them, the models, and a node_modules holding onnxruntime alone (linux/x64 binary only). The
// Dockerfile is base image + COPY of this folder + CMD, so the folder the rehearsal runs is the folder the
// image holds — no `npm ci` inside Docker, no drift between what is tested and what is deployed.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const IMAGE_TASK_DIR = join(ROOT, ".build", "image-task");

/**
 * x86_64: the image carries a native onnxruntime binary, and x86-64 is what the tests run here, so the binary
 * that is deployed is the one the rehearsal executes (an arm64 image would be ~20% cheaper per GB-second on
 * Graviton, but its onnxruntime would only ever run in AWS). Docker platform and Lambda architecture agree.
 */
export const IMAGE_PLATFORM = { docker: "linux/amd64", onnxruntime: "linux/x64" } as const;

/** Bundle name (the handler is `<name>.handler`) → entry point. */
export const IMAGE_ENTRIES = {
  classifier: "functions/classifier/lambda.ts",
  "model-api": "functions/api/model-lambda.ts",
  retrainer: "functions/retrainer/lambda.ts",
} as const;
/** Worker threads' entry points, bundled beside the handlers that start them (ml/learning/learning-thread.ts looks there). */
const THREAD_ENTRIES = { "learning-thread-entry": "layers/core/ml/learning/learning-thread-entry.ts" } as const;

// What the bundles leave external, and what of it runs: onnxruntime-node loads its native binding from bin/ and
// requires onnxruntime-common; its other dependencies (adm-zip, global-agent) serve only its install script.
const NODE_MODULES: Record<string, string[]> = {
  "onnxruntime-node": ["package.json", "README.md", "dist", `bin/napi-v6/${IMAGE_PLATFORM.onnxruntime}`],
  "onnxruntime-common": ["package.json", "README.md", "dist"],
};
// training-set.json: what the Retrainer fits on and the guard judges with (README "Learning from corrections").
const MODELS = ["minilm/model.onnx", "minilm/model.int8.onnx", "minilm/tokenizer.json", "minilm/tokenizer_config.json", "heads.json", "similarity.onnx", "training-set.json", "MODEL_CARD.md"];

/** Shared by the image bundles and the zip bundles: ESM for Node 22, with `require` for CommonJS dependencies. */
export const BUNDLE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export function buildImageTask(out = IMAGE_TASK_DIR): string {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  buildSync({
    entryPoints: Object.entries({ ...IMAGE_ENTRIES, ...THREAD_ENTRIES }).map(([name, entry]) => ({ in: join(ROOT, entry), out: name })),
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    external: ["onnxruntime-node"],
    banner: { js: BUNDLE_BANNER },
    sourcemap: "linked",
    logLevel: "warning",
  });
  copyLua(out);
  for (const f of MODELS) cpSync(join(ROOT, "layers/models", f), join(out, "models", f));
  for (const [pkg, parts] of Object.entries(NODE_MODULES)) {
    for (const part of parts) {
      const from = join(ROOT, "node_modules", pkg, part);
      if (!existsSync(from)) throw new Error(`image task folder: ${relative(ROOT, from)} is missing (npm ci?)`);
      cpSync(from, join(out, "node_modules", pkg, part), { recursive: true });
    }
  }
  cpSync(join(ROOT, "functions/classifier/Dockerfile"), join(out, "Dockerfile"));
  return out;
}

/** The Lua scripts are read from beside the bundle at start-up (layers/core/store/lua/load.ts). */
export function copyLua(out: string) {
  const lua = join(ROOT, "layers/core/store/lua");
  for (const f of readdirSync(lua)) if (f.endsWith(".lua")) cpSync(join(lua, f), join(out, f));
  cpSync(join(lua, "includes"), join(out, "includes"), { recursive: true });
}

export function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

// `npm run build:image`: builds the folder and says what it holds.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = buildImageTask();
  console.log(`${relative(ROOT, dir)}: ${(folderBytes(dir) / 2 ** 20).toFixed(1)} MiB`);
}
