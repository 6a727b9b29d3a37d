#!/usr/bin/env bash
# The code for platforms we cannot run here, checked from Linux:
#  1. `cargo check` of the binding and the platform crates for both Apple
#     targets and Windows (msvc): the cfg'd code type-checks.
#  2. The Windows crate's unit tests, built for x86_64-pc-windows-gnu with
#     mingw and run under wine (real Windows code paths, wine's kernel: wine
#     keeps no I/O counters, which the code detects and says).
# Needs the rustup targets and packages that scripts/setup-dev.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

for target in aarch64-apple-darwin x86_64-apple-darwin; do
  echo "check-targets: cargo check --target $target"
  cargo check --quiet --target "$target" -p iops-node -p iops-macos
done
echo "check-targets: cargo check --target x86_64-pc-windows-msvc"
cargo check --quiet --target x86_64-pc-windows-msvc -p iops-node -p iops-windows

# napi's build script on windows-gnu wants a libnode.dll to link against;
# with napi's dyn-symbols nothing is imported from it, so an empty one does.
stub=target/libnode-stub
if [ ! -f "$stub/libnode.dll" ]; then
  mkdir -p "$stub"
  echo 'void iops_libnode_stub(void) {}' > "$stub/stub.c"
  x86_64-w64-mingw32-gcc -shared -o "$stub/libnode.dll" "$stub/stub.c"
fi
echo "check-targets: cargo build --target x86_64-pc-windows-gnu -p iops-node (mingw, links; dev profile)"
LIBNODE_PATH="$PWD/$stub" cargo build --quiet --target x86_64-pc-windows-gnu -p iops-node

echo "check-targets: iops-windows unit tests under wine"
exe=$(cargo test --quiet --target x86_64-pc-windows-gnu -p iops-windows --no-run --message-format=json 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const m=JSON.parse(l);if(m.executable&&m.profile&&m.profile.test)console.log(m.executable)}catch{}}})')
wine=$(command -v wine || echo /usr/lib/wine/wine64)
prefix="$PWD/target/wineprefix"
export WINEPREFIX="$prefix" WINEDEBUG=-all
if [ ! -f "$prefix/drive_c/windows/system32/bcryptprimitives.dll" ]; then
  timeout 300 "$wine" cmd /c exit 0 >/dev/null 2>&1 || true
  # Wine 8 lacks bcryptprimitives.dll, which Rust's std imports (ProcessPrng).
  x86_64-w64-mingw32-gcc -shared -O2 -o "$prefix/drive_c/windows/system32/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32
fi
timeout 300 "$wine" "$exe"
