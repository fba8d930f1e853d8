import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dockerfile = readFileSync(`${ROOT}functions/classifier/Dockerfile`, "utf8");
const lines = dockerfile.replace(/\\\n/g, " ").split("\n").map((l) => l.trim());

describe("classifier Dockerfile (docker build cannot run here)", () => {
  it("uses the Lambda Node.js 22 or 24 base image", () => {
    const bases = lines.filter((l) => l.startsWith("FROM ")).map((l) => l.split(/\s+/)[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const b of bases) expect(b).toMatch(/^public\.ecr\.aws\/lambda\/nodejs:(22|24)$/);
  });

  it("copies only paths that exist in the build context", () => {
    const copies = lines.filter((l) => l.startsWith("COPY ") && !l.includes("--from="));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const parts = c.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1)) expect(existsSync(`${ROOT}${src}`), src).toBe(true);
    }
  });

  it("ships the models the classifier loads, and the Lua scripts beside the bundles", () => {
    for (const f of ["minilm/model.onnx", "minilm/tokenizer.json", "minilm/tokenizer_config.json", "heads.json", "similarity.onnx"]) {
      expect(existsSync(`${ROOT}layers/models/${f}`), f).toBe(true);
    }
    expect(dockerfile).toContain("COPY layers/models/ ${LAMBDA_TASK_ROOT}/models/");
    expect(dockerfile).toMatch(/cp -r layers\/core\/store\/lua\/\*\.lua layers\/core\/store\/lua\/includes dist\//);
    for (const entry of ["functions/classifier/lambda.ts", "functions/api/lambda.ts"]) {
      expect(dockerfile).toContain(entry);
      expect(existsSync(`${ROOT}${entry}`)).toBe(true);
    }
  });

  it("starts the handlers the CDK app names", () => {
    const stack = readFileSync(`${ROOT}infra/stack.ts`, "utf8");
    expect(stack).toContain('image("classifier.handler")');
    expect(stack).toContain('image("api.handler")');
    // esbuild names the bundles after their folders: classifier.mjs and api.mjs.
    expect(dockerfile).toContain("--entry-names=[dir]");
  });
});
