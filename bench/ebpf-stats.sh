#!/bin/bash
# The eBPF source's programs' own run time per run (the kernel's BPF stats:
# `bpftool prog show`'s run_time_ns / run_cnt of the newest sys_enter and
# sys_exit programs), for two builds A and B alternating: while each traces
# the pread loop (bench/ebpf-floor/loop.c, 30 loops of 300,000; nearly every
# run is then one of its calls), and while each captures a `sleep` beside
# the same loop untraced (every run is then another process's). The stats'
# own clock reads are in every figure. Turns kernel.bpf_stats_enabled on for
# the run (machine-wide) and back off. Root, gcc, bpftool.
#   bash bench/ebpf-stats.sh A_DIR B_DIR [rounds (default 5)]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
A=$1 B=$2
ROUNDS=${3:-5}
TMP=$(mktemp -d /tmp/iops-ebpf-stats.XXXXXX)
sysctl -q kernel.bpf_stats_enabled=1
trap 'sysctl -q kernel.bpf_stats_enabled=0; rm -rf "$TMP"' EXIT
gcc -O2 -static -Wall -o "$TMP/loop" "$HERE/ebpf-floor/loop.c"
head -c 1048576 /dev/urandom > "$TMP/data"
stats() { # stats PID: the sys_enter (raw or typed) and sys_exit programs PID holds (other captures may run beside)
  local ids
  ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2 }' | sort -u | tr '\n' ' ')
  bpftool prog show --json | IDS="$ids" node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const ids = process.env.IDS.trim().split(/\s+/).map(Number);
      const mine = JSON.parse(s).filter((x) => ids.includes(x.id));
      console.log(["sys_enter", "sys_exit"].map((n) => { const x = mine.find((p) => p.name === n || p.name === `${n}_typed`); return x ? `${x.name} ${(x.run_time_ns / x.run_cnt).toFixed(1)} ns x ${x.run_cnt}` : `${n} not found`; }).join("  "));
    })'
}
echo "ebpf-stats: load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r); A=$A B=$B"
for r in $(seq "$ROUNDS"); do
  for d in "$A" "$B"; do
    node "$d/dist/cli.js" --method ebpf --json /dev/null -- "$TMP/loop" "$TMP/data" 300000 > /dev/null 2>&1 & p=$!
    sleep 3 # mid-run: 30 loops of 300,000 take 4 s or more
    echo "traced $d $(stats "$p")"
    wait "$p" || true
  done
  for d in "$A" "$B"; do
    sleep 600 & s=$!
    node "$d/dist/cli.js" --method ebpf --json /dev/null -p "$s" > /dev/null 2>&1 & p=$!
    sleep 3
    "$TMP/loop" "$TMP/data" 50000 > /dev/null
    echo "unrelated $d $(stats "$p")"
    kill -INT "$p"; wait "$p" || true
    kill "$s"; wait "$s" 2>/dev/null || true
  done
done
