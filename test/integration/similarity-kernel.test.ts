import { describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { bundle, EMULATED_CPUS, runOn } from "../support/cpu-emulation.js";
import { checkSimilarity, type CheckResult } from "../support/similarity-check.js";

const modelsDir = loadConfig({}).MODELS_DIR;

// The search must find exactly the pairs brute force finds, whichever integer kernel onnxruntime picks.
// The vectors (similarity-check.ts) make every quantised product near its maximum; on AVX2 without VNNI the
// previous representation (±127 queries) saturated int16 pair sums there and missed 1,152 of 2,880 pairs.
function expectExact(r: CheckResult) {
  expect(r.expected).toBeGreaterThan(1000);
  expect({ missed: r.missed, extra: r.extra }).toEqual({ missed: 0, extra: 0 });
}

describe("dedup search is exact on every CPU kind", () => {
  it("on this machine's CPU", async () => {
    expectExact(await checkSimilarity(modelsDir));
  });

  let script: Promise<string> | undefined;
  for (const cpu of EMULATED_CPUS) {
    it(`on an emulated ${cpu.label}`, { timeout: 300_000 }, async () => {
      script ??= bundle(new URL("../support/similarity-check.ts", import.meta.url).pathname, "similarity-check.mjs");
      const out = await runOn(cpu, [await script, modelsDir]);
      expectExact(JSON.parse(out.trim().split("\n").pop()!) as CheckResult);
    });
  }
});
