#!/bin/bash
# Two builds of iops compared on the eBPF source's cost, interleaved in one
# run (issue 13, "Cheap"): the 4 KiB pread loop's least thread CPU time per
# call (bench/ebpf-floor/loop.c: the least of 30 loops) untraced, traced by
# A, traced by B; then the same loop untraced beside a capture of another
# process (`iops --method ebpf -p <a sleep>`) by A and by B: what an
# unrelated process pays. Each variant's least and median over the rounds.
# A and B are package directories holding dist/cli.js and the addon (copy
# dist/, package.json and the .node of a build aside to keep it).
# LOOP=read: a loop of read() at the fd's position instead (loop.c's `read`).
#   bash bench/ebpf-ab.sh A_DIR B_DIR [rounds (default 5)] [calls per loop (default 50000)]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
A=$1 B=$2
ROUNDS=${3:-5}
CALLS=${4:-50000}
TMP=$(mktemp -d /tmp/iops-ebpf-ab.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
gcc -O2 -static -Wall -o "$TMP/loop" "$HERE/ebpf-floor/loop.c"
head -c 1048576 /dev/urandom > "$TMP/data"
beside() { # beside DIR: the loop while DIR's iops captures a sleep
  sleep 600 & local s=$!
  node "$1/dist/cli.js" --method ebpf --json "$TMP/side.json" -p "$s" 2>/dev/null & local i=$!
  sleep 2
  "$TMP/loop" "$TMP/data" "$CALLS" ${LOOP:-}
  kill -INT "$i"; wait "$i" || true
  kill "$s"; wait "$s" 2>/dev/null || true
}
echo "ebpf-ab: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r); A=$A B=$B"
echo "$ROUNDS rounds; each figure the least thread CPU ns per ${LOOP:-pread} of 30 loops of $CALLS"
for r in $(seq "$ROUNDS"); do
  echo "bare $("$TMP/loop" "$TMP/data" "$CALLS" ${LOOP:-})"
  echo "A $(node "$A/dist/cli.js" --method ebpf --json /dev/null -- "$TMP/loop" "$TMP/data" "$CALLS" ${LOOP:-} 2>/dev/null | head -1)"
  echo "B $(node "$B/dist/cli.js" --method ebpf --json /dev/null -- "$TMP/loop" "$TMP/data" "$CALLS" ${LOOP:-} 2>/dev/null | head -1)"
  echo "alone $("$TMP/loop" "$TMP/data" "$CALLS" ${LOOP:-})"
  echo "besideA $(beside "$A")"
  echo "besideB $(beside "$B")"
  echo "  [$r/$ROUNDS] load $(cut -d' ' -f1 /proc/loadavg)" >&2
done > "$TMP/runs"
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
  { v[$1] = v[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    what["bare"] = "untraced"; what["A"] = "traced by A"; what["B"] = "traced by B"
    what["alone"] = "unrelated, alone"; what["besideA"] = "unrelated, beside A -p sleep"; what["besideB"] = "unrelated, beside B -p sleep"
    printf "  %-30s %8s %8s %8s %8s  %s\n", "CPU ns per call", "least", "median", "least/", "median/", "all"
    for (i = 0; i < n; i++) {
      k = order[i]; m = split(substr(v[k], 2), xs, " ")
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] + 0 < xs[a] + 0) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }
      med = m % 2 ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
      if (k == "bare" || k == "alone") { bl = xs[1]; bm = med }
      all = ""; for (a = 1; a <= m; a++) all = all " " xs[a]
      printf "  %-30s %8d %8d %7.2fx %7.2fx %s\n", what[k], xs[1], med, xs[1] / bl, med / bm, all
    }
  }' "$TMP/runs"
