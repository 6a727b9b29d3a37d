#!/bin/bash
# What the eBPF source's exact O_APPEND offsets cost (docs/ebpf.md,
# "Appends"): a loop of 64-byte write()s to a tmpfs-or-/tmp file, by its
# thread CPU time per call (ebpf-append/wloop.c: least of 30 loops), untraced
# and under `iops --method ebpf`, on a plain fd (a process never marked: its
# writes look no further than an array read) and on an O_APPEND fd (a marked
# process: each write reads its fd's position through the fd table); rounds
# interleaved, each variant's least and median over the rounds printed.
# Needs root and gcc.
#   bash bench/ebpf-append.sh [rounds (default 5)] [calls per loop (default 20000)]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${1:-5}
CALLS=${2:-20000}
TMP=$(mktemp -d /tmp/iops-ebpf-append.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
gcc -O2 -static -Wall -o "$TMP/wloop" "$HERE/ebpf-append/wloop.c"
echo "ebpf-append: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "$ROUNDS rounds of: untraced and iops --method ebpf, plain and O_APPEND; each the least of 30 loops of $CALLS writes"
for r in $(seq "$ROUNDS"); do
  for how in plain append; do
    echo "bare-$how $("$TMP/wloop" "$TMP/out" "$CALLS" $how)"
    echo "iops-$how $(node "$HERE/../dist/cli.js" --method ebpf --json /dev/null -- "$TMP/wloop" "$TMP/out" "$CALLS" $how 2>/dev/null | head -1)"
  done
  echo "  [$r/$ROUNDS]" >&2
done > "$TMP/runs"
awk '
  { v[$1] = v[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    what["bare-plain"] = "untraced, plain fd"; what["iops-plain"] = "iops --method ebpf, plain fd"
    what["bare-append"] = "untraced, O_APPEND fd"; what["iops-append"] = "iops --method ebpf, O_APPEND fd"
    printf "  %-36s %10s %10s\n", "CPU ns per 64-byte write", "least", "median"
    for (i = 0; i < n; i++) {
      k = order[i]; m = split(substr(v[k], 2), xs, " ")
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] < xs[a]) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }
      med = m % 2 ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
      printf "  %-36s %10d %10d\n", what[k], xs[1], med
    }
  }' "$TMP/runs"
