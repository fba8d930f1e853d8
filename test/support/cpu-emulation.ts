// Runs a bundled script on CPUs this machine is not: onnxruntime picks its integer kernels from CPUID at load
// time, so a kernel that misbehaves only on, say, AVX2 without VNNI can be caught on any x86-64 host by running
// Node under qemu's user-mode emulator with that CPU model (TCG emulates up to AVX2; it has no AVX-512).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { arch } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);
export const CACHE = join(import.meta.dirname, "../../.cache");

export interface EmulatedCpu {
  /** What onnxruntime sees, and which U8S8 kernel it then uses. */
  label: string;
  /** The command that runs `node <args…>` on that CPU. */
  node: string[];
}

const QEMU_X86 = "/usr/bin/qemu-x86_64";

/** The CPU kinds the tests emulate on this host (x86-64 hosts only: the emulator runs this host's Node). */
export function emulatedCpus(): EmulatedCpu[] {
  if (arch() !== "x64") return [];
  return [
    { label: "Haswell (AVX2 + FMA, no AVX-512, no VNNI: PMADDUBSW int16 pair sums)", node: [QEMU_X86, "-cpu", "Haswell-v4", process.execPath] },
    { label: "Nehalem (SSE4.2, no AVX)", node: [QEMU_X86, "-cpu", "Nehalem-v2", process.execPath] },
  ];
}

/** Whether the emulator is installed; the tests that need it say how to get it rather than skip. */
export function emulatorMissing(): string | null {
  return arch() === "x64" && !existsSync(QEMU_X86)
    ? `${QEMU_X86} is missing: install Debian's qemu-user (bash .ci/run does) to check the kernels of other CPUs`
    : null;
}

/** Bundles a test-support entry point into one .mjs (onnxruntime-node stays external: it is native). */
export async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(CACHE, name);
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", external: ["onnxruntime-node"], outfile, logLevel: "warning" });
  return outfile;
}

export async function runOn(cpu: EmulatedCpu, args: string[]): Promise<string> {
  const [cmd, ...pre] = cpu.node;
  const { stdout } = await run(cmd!, [...pre, ...args], { maxBuffer: 1 << 20, timeout: 180_000 });
  return stdout;
}
