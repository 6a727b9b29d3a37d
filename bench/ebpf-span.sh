#!/bin/bash
# What a launched command's elapsed time holds under `iops --method ebpf`
# beyond its calls' probes (issue 13, "Cheap", the real programs), for two
# builds A and B, interleaved: for /bin/true (the fixed part: gated fork,
# exec, exit) and for sqlite3 making 2,000 transactions on tmpfs (the bench's
# workload), each round runs it untraced and under A and B through
# bench/workloads/timed.c, which gives its elapsed time (untraced: before
# fork to reaped; under iops the report's elapsedSeconds is shown) and the
# command's own CPU time (user + system: under iops, the probes its calls
# run; what the rest of iops uses is not in it), and the CPU time of the
# whole run as bash's `time` says (under iops: node, the capture, the
# command). Then the command's syscalls by strace -c -f (how many run the
# probes).
# A and B are package directories (dist/cli.js and the addon).
#   bash bench/ebpf-span.sh A_DIR B_DIR [rounds (default 7)]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
A=$1 B=$2
ROUNDS=${3:-7}
TMP=$(mktemp -d /tmp/iops-ebpf-span.XXXXXX)
SHM=$(mktemp -d /dev/shm/iops-ebpf-span.XXXXXX)
trap 'rm -rf "$TMP" "$SHM"' EXIT
gcc -O2 -Wall -o "$TMP/timed" "$HERE/workloads/timed.c"
{ echo "CREATE TABLE t(a INTEGER, b BLOB);"; for i in $(seq 0 1999); do echo "BEGIN; INSERT INTO t VALUES($i, randomblob(200)); COMMIT;"; done; } > "$TMP/tx.sql"
TIMEFORMAT='%U %S'
cpu() { { time "$@" > /dev/null 2>&1; } 2>&1 | awk '{ printf "%.3f", $1 + $2 }'; }
own() { tr -d '\0' < "$TMP/r" | sed 's/elapsed_ns=//; s/cpu_ns=//' | awk -v f="$1" '{ printf "%.4f", $f / 1e9 }'; }
untraced() { head -c 64 /dev/zero > "$TMP/r"; local c; c=$(cpu "$TMP/timed" "$TMP/r" "$@"); echo "$(own 1) $(own 2) $c"; }
traced() { local dir=$1; shift; head -c 64 /dev/zero > "$TMP/r"; local c; c=$(cpu node "$dir/dist/cli.js" --method ebpf --json "$TMP/j.json" -- "$TMP/timed" "$TMP/r" "$@"); echo "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).elapsedSeconds.toFixed(4))' "$TMP/j.json") $(own 2) $c"; }
fresh() { rm -f "$SHM/db" "$SHM/db-journal"; }
echo "ebpf-span: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r); A=$A B=$B; $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
  echo "true-untraced $(untraced /bin/true)"
  echo "true-A $(traced "$A" /bin/true)"
  echo "true-B $(traced "$B" /bin/true)"
  fresh; echo "sqlite-untraced $(untraced sqlite3 "$SHM/db" ".read $TMP/tx.sql")"
  fresh; echo "sqlite-A $(traced "$A" sqlite3 "$SHM/db" ".read $TMP/tx.sql")"
  fresh; echo "sqlite-B $(traced "$B" sqlite3 "$SHM/db" ".read $TMP/tx.sql")"
  echo "  [$r/$ROUNDS] load $(cut -d' ' -f1 /proc/loadavg)" >&2
done > "$TMP/runs"
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
  function sorted(s, xs,   m, a, b, t) { m = split(substr(s, 2), xs, " "); for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] + 0 < xs[a] + 0) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }; return m }
  function med(xs, m) { return m % 2 ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2 }
  { e[$1] = e[$1] " " $2; o[$1] = o[$1] " " $3; c[$1] = c[$1] " " $4; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    printf "  %-16s %10s %17s %18s %17s %12s\n", "median (least)", "elapsed s", "range", "command CPU s", "range", "whole CPU s"
    for (i = 0; i < n; i++) {
      k = order[i]; m = sorted(e[k], xs); m2 = sorted(o[k], os); m3 = sorted(c[k], cs)
      printf "  %-16s %10.4f %8.4f-%-8.4f %10.4f (%.4f) %8.4f-%-8.4f %12.3f\n", k, med(xs, m), xs[1], xs[m], med(os, m2), os[1], os[1], os[m2], med(cs, m3)
    }
  }' "$TMP/runs"
fresh
echo "sqlite3's syscalls (strace -c -f), the top ten:"
strace -c -f -o "$TMP/strace" sqlite3 "$SHM/db" ".read $TMP/tx.sql" > /dev/null
head -n 14 "$TMP/strace"; tail -n 1 "$TMP/strace"
