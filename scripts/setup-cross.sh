#!/usr/bin/env bash
# The tools `npm run build:cross`, `npm run pack:local` and `npm run
# test:win32` use, beyond the Debian packages in setup-dev.sh: Rust targets,
# cargo-zigbuild (crates.io) and zig (the PyPI package ziglang). Idempotent:
# what is already there at the pinned version is kept.
#
#   bash scripts/setup-cross.sh            install
#   bash scripts/setup-cross.sh --missing  print what is missing, one a line
set -euo pipefail

ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.17.1
TARGETS=(
  x86_64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-gnu
  x86_64-apple-darwin aarch64-apple-darwin
  x86_64-pc-windows-gnu
)
python=$(command -v python3)

if [ "${1:-}" = "--missing" ]; then
  installed=$(rustup target list --installed 2>/dev/null || true)
  for t in "${TARGETS[@]}"; do grep -qx "$t" <<<"$installed" || echo "rust-target:$t"; done
  [ "$(cargo-zigbuild --version 2>/dev/null)" = "cargo-zigbuild $ZIGBUILD_VERSION" ] || echo "cargo-zigbuild"
  [ "$("$python" -m ziglang version 2>/dev/null)" = "$ZIGLANG_VERSION" ] || echo "ziglang"
  exit 0
fi

rustup target add "${TARGETS[@]}" 2>&1 | grep -v "is up to date" || true

if [ "$(cargo-zigbuild --version 2>/dev/null)" != "cargo-zigbuild $ZIGBUILD_VERSION" ]; then
  cargo install --quiet --locked cargo-zigbuild --version "$ZIGBUILD_VERSION"
fi

if [ "$("$python" -m ziglang version 2>/dev/null)" != "$ZIGLANG_VERSION" ]; then
  "$python" -m pip install --quiet --disable-pip-version-check "ziglang==$ZIGLANG_VERSION" ||
    "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages "ziglang==$ZIGLANG_VERSION"
fi
echo "setup-cross: cargo-zigbuild $ZIGBUILD_VERSION, zig $("$python" -m ziglang version), Rust targets for linux (gnu, musl), darwin, windows-gnu"
