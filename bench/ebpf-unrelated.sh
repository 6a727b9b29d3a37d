#!/usr/bin/env bash
# What an unrelated process pays while an eBPF capture runs (issue 13): a
# 200,000 x 4 KiB pread loop alone, then while `iops --method ebpf -p` traces
# another process (a sleep). Prints the minimum loop time of 7 runs each and
# their ratio. Needs root (BPF), gcc, a built iops (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -Ibench/workloads -o "$tmp/pread" bench/workloads/pread.c
head -c 1048576 /dev/zero > "$tmp/data"
cat "$tmp/data" > /dev/null
loop() {
  head -c 256 /dev/zero > "$tmp/res"
  "$tmp/pread" "$tmp/data" 200000 "$tmp/res"
  grep -ao 'loop_ns=[0-9]*' "$tmp/res" | cut -d= -f2
}
min() { sort -n | head -1; }
alone=$(for i in $(seq 7); do loop; done | min)
sleep 600 & sleeper=$!
node dist/cli.js --method ebpf --json /dev/null -p "$sleeper" --duration 120 2>/dev/null & iops=$!
sleep 2
during=$(for i in $(seq 7); do loop; done | min)
kill -INT "$iops"; wait "$iops" || true; kill "$sleeper"
echo "unrelated pread loop: alone ${alone} ns, during an ebpf capture of another process ${during} ns, ratio $(echo "scale=2; $during/$alone" | bc)"
