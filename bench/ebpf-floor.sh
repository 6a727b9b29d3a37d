#!/bin/bash
# The floor of the eBPF source's per-call cost on this machine, one cost at a
# time (issue 13, "Cheap"): the 4 KiB pread loop's thread CPU time per call
# (ebpf-floor/loop.c: least of 30 loops) bare, under a sys_enter program doing
# more and more (ebpf-floor/probe.bpf.c, LEVEL 0..5, loaded by
# ebpf-floor/loader.c), and under `iops --method ebpf`; rounds interleaved,
# each variant's least and median over the rounds printed.
# Needs root, clang, gcc and libbpf-dev (the loader is the only libbpf user).
#   bash bench/ebpf-floor.sh [rounds (default 5)] [calls per loop (default 50000)]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${1:-5}
CALLS=${2:-50000}
TMP=$(mktemp -d /tmp/iops-ebpf-floor.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
gcc -O2 -static -Wall -o "$TMP/loop" "$HERE/ebpf-floor/loop.c"
gcc -O2 -Wall -o "$TMP/loader" "$HERE/ebpf-floor/loader.c" -lbpf -lpthread
LEVELS="0 1 3 4 5"
for l in $LEVELS; do clang -O2 -g -target bpfel -Wall -Wno-unused-variable -DLEVEL=$l -c "$HERE/ebpf-floor/probe.bpf.c" -o "$TMP/probe$l.o"; done
head -c 1048576 /dev/urandom > "$TMP/data"
echo "ebpf-floor: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "$ROUNDS rounds of: bare, LEVEL 0 1 3 4 5, iops --method ebpf; each the least of 30 loops of $CALLS preads"
for r in $(seq "$ROUNDS"); do
  echo "bare $("$TMP/loop" "$TMP/data" "$CALLS")"
  for l in $LEVELS; do echo "L$l $("$TMP/loader" "$TMP/probe$l.o" "$TMP/loop" "$TMP/data" "$CALLS")"; done
  echo "iops $(node "$HERE/../dist/cli.js" --method ebpf --json /dev/null -- "$TMP/loop" "$TMP/data" "$CALLS" 2>/dev/null | head -1)"
  echo "  [$r/$ROUNDS]" >&2
done > "$TMP/runs"
awk '
  { v[$1] = v[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    what["bare"] = "untraced"; what["L0"] = "+ tracepoint, program run"; what["L1"] = "+ tgid hash lookup"
    what["L3"] = "+ bpf_ktime_get_ns"; what["L4"] = "+ 64-byte probe_read of pt_regs"; what["L5"] = "+ ring-buffer record"
    what["iops"] = "iops --method ebpf (enter + exit)"
    printf "  %-36s %10s %10s %10s\n", "CPU ns per pread (one program at sys_enter)", "least", "median", "least-bare"
    for (i = 0; i < n; i++) {
      k = order[i]; m = split(substr(v[k], 2), xs, " ")
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] < xs[a]) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }
      med = m % 2 ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
      if (k == "bare") base = xs[1]
      printf "  %-36s %10d %10d %10d\n", what[k], xs[1], med, xs[1] - base
    }
  }' "$TMP/runs"
