#!/usr/bin/env bash
# How the release profile's opt-level trades speed for size: for each level,
# a release build of the addon (CARGO_PROFILE_RELEASE_OPT_LEVEL overrides
# Cargo.toml), its size stripped and gzipped (about what npm packs), and the
# tracer benchmark's per-call overhead (ours, and strace's as a yardstick
# of the machine's load at that moment), repeated. The machine may be shared:
# compare levels within one run of this script.
#
#   bash scripts/measure-opt-level.sh [levels...]   (default: 3 2 s z)
set -euo pipefail
cd "$(dirname "$0")/.."
levels=("$@")
[ $# -gt 0 ] || levels=(3 2 s z)
repeat=${MEASURE_REPEAT:-3}
addon=iops-profiler.linux-x64-gnu.node
for level in "${levels[@]}"; do
  CARGO_PROFILE_RELEASE_OPT_LEVEL=$level npm run --silent build:native >/dev/null 2>&1
  size=$(stat -c %s "$addon")
  gz=$(gzip -9 -c "$addon" | wc -c)
  echo "opt-level=$level: addon $size bytes, gzip -9 $gz bytes"
  for i in $(seq "$repeat"); do
    BENCH_CALLS=${BENCH_CALLS:-50000} BENCH_REPEAT=1 node bench/run.mjs tracer 2>&1 |
      awk -v i="$i" '/^4 KiB preads/ {w="pread"} /^512 B writes/ {w="write"}
        /^  (iops launch \(default\)|iops launch --share-cpu|iops attach \(iops -p\)|strace -f \(launch\)) / {
          split($0, a, /  +/); print "  run " i " " w ": " a[2] " us/call over " a[5] }'
  done
done
