#!/usr/bin/env bash
# What the test suite and the benchmarks use, on Debian or Ubuntu (run as
# root, or with sudo available): system packages, Rust targets for the
# macOS/Windows checks, and the cross-build tools (setup-cross.sh). Users of
# the package need none of this: `npm install` alone installs it.
#
#   bash scripts/setup-dev.sh               install (idempotent)
#   bash scripts/setup-dev.sh --if-missing  only when something is missing
#                                           (what `npm test` runs first)
set -euo pipefail

packages=(
  gcc libc6-dev        # static C ground-truth workloads
  gcc-multilib         # gcc -m32 -static: 32-bit ground-truth workloads (the compat ABI, unseen.spec.mjs)
  strace               # benchmarks against strace; the strace source's tests
  clang                # compiles the eBPF source's kernel program (crates/iops-ebpf/bpf); without it the addon builds without eBPF
  bpftool              # ebpf.spec.mjs: lists the kernel's BPF programs and links to check that none of ours stays loaded
  libcap2-bin          # capsh: root without CAP_SYS_ADMIN, where our seccomp filter is refused (launch-guarantees test); setcap/getcap: file capabilities under ptrace (leftovers test, the strace source)
  sudo                 # fs_usage-live.spec.mjs: stopping fs_usage's stand-in through `sudo -n`
  util-linux           # losetup (block-device test), script (pty test)
  llvm                 # llvm-readobj/nm/objdump: what the cross-built addons are (cross, packaging, win32 tests)
  musl-tools           # musl-gcc: loads the musl build of the addon with musl's dynamic linker (cross test)
  gcc-mingw-w64-x86-64 wine wine64   # the Windows build (mingw), its shim DLL, and running it under wine (check-targets.sh, test:win32)
  python3-nbclient python3-ipykernel  # notebook tests: Jupyter's nbclient drives tslab kernels
  python3-venv         # notebook-browser.spec.mjs: a venv with pip's jupyterlab (npm test makes it)
  openmpi-bin libopenmpi-dev  # merge.spec.mjs: a real launcher (mpirun, mpicc) running 4 ranks under iops
  sqlite3 git tar python3  # findings-corpus.spec.mjs: real programs whose findings are known (SQLite journals, tar, git add, mmap)
  chromium             # notebook tests and html.spec.mjs: HTML output rendered by headless Chromium (playwright-core drives /usr/bin/chromium)
)

# What is missing, one word each (nothing when all is here).
missing() {
  local p
  for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || echo "$p"
  done
  rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-msvc || echo "rust-target:x86_64-pc-windows-msvc"
  bash "$(dirname "$0")/setup-cross.sh" --missing
}

if [ "${1:-}" = "--if-missing" ]; then
  absent=$(missing | tr '\n' ' ')
  if [ -z "$absent" ]; then
    echo "setup-dev: everything the tests use is installed"
    exit 0
  fi
  echo "setup-dev: installing what the tests use; missing: $absent"
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null; then
  echo "setup-dev: no apt-get here; install these packages by hand: ${packages[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "setup-dev: installed ${packages[*]}"

# scripts/check-targets.sh type-checks macOS and Windows code and builds the
# Windows addon with mingw: the Rust standard libraries of those targets.
if command -v rustup >/dev/null; then
  rustup target add aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-msvc x86_64-pc-windows-gnu >/dev/null
  echo "setup-dev: rustup targets for macOS and Windows added"
fi

# Rust targets, cargo-zigbuild and zig for the cross builds (idempotent).
bash "$(dirname "$0")/setup-cross.sh"
