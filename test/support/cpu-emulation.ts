// Runs a bundled script on CPUs this machine is not: onnxruntime picks its integer kernels from the CPU's
// features at load time, so a kernel that misbehaves only on, say, AVX2 without VNNI can be caught on any x86-64
// host by running Node under qemu's user-mode emulator with that CPU model (TCG emulates up to AVX2, no
// AVX-512), and arm64's kernels by running arm64 Node under qemu-aarch64 (emulate-arm64.sh prepares it).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { arch } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);
const CACHE = join(import.meta.dirname, "../../.cache");
const QEMU_X86 = "/usr/bin/qemu-x86_64";

export interface EmulatedCpu {
  /** What onnxruntime sees, and which of its U8S8 kernels that selects. */
  label: string;
  isa: "x86-64" | "arm64";
  /** qemu's name for the CPU model. */
  model: string;
}

/** The CPUs emulated here; the x86 ones run this host's Node, so they need an x86-64 host (the project's kind). */
export const EMULATED_CPUS: EmulatedCpu[] =
  arch() === "x64"
    ? [
        { label: "Haswell (AVX2 + FMA, no AVX-512, no VNNI: PMADDUBSW int16 pair sums)", isa: "x86-64", model: "Haswell-v4" },
        { label: "Nehalem (SSE4.2, no AVX)", isa: "x86-64", model: "Nehalem-v2" },
        { label: "arm64 Cortex-A57 (NEON, no dot product)", isa: "arm64", model: "cortex-a57" },
        { label: "arm64 Neoverse N1, as Graviton2 (NEON dot product)", isa: "arm64", model: "neoverse-n1" },
        { label: "arm64 with i8mm and SVE, as Graviton3", isa: "arm64", model: "max" },
      ]
    : [];

let arm64: Promise<Map<string, string[]>> | undefined;

/** The command that runs `node <args…>` on that CPU; fails saying what is missing rather than skip. */
async function nodeOn(cpu: EmulatedCpu): Promise<string[]> {
  if (!existsSync(QEMU_X86)) throw new Error(`${QEMU_X86} is missing: install Debian's qemu-user (bash .ci/run does)`);
  if (cpu.isa === "x86-64") return [QEMU_X86, "-cpu", cpu.model, process.execPath];
  // One preparation for every arm64 model (arm64 Node from PyPI and Debian's arm64 runtime, cached in .cache/).
  arm64 ??= (async () => {
    const models = EMULATED_CPUS.filter((c) => c.isa === "arm64").map((c) => c.model);
    const { stdout } = await run("bash", [join(import.meta.dirname, "emulate-arm64.sh"), join(CACHE, "arm64"), ...models], { timeout: 300_000 });
    const lines = stdout.trim().split("\n");
    return new Map(models.map((m, i) => [m, lines[i]!.split(" ")]));
  })();
  return (await arm64).get(cpu.model)!;
}

/** Bundles a test-support entry point into one .mjs in .cache/ (onnxruntime-node stays external: it is native). */
export async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(CACHE, name);
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", external: ["onnxruntime-node"], outfile, logLevel: "warning" });
  return outfile;
}

/** Runs `node <args…>` on the emulated CPU and returns its standard output. */
export async function runOn(cpu: EmulatedCpu, args: string[]): Promise<string> {
  const [cmd, ...pre] = await nodeOn(cpu);
  const { stdout } = await run(cmd!, [...pre, ...args], { maxBuffer: 1 << 20, timeout: 180_000 });
  return stdout;
}
