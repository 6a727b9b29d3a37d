#!/usr/bin/env bash
# One-time set-up for `npm run bench -- import`: a scratch virtualenv with the
# Python iops-profiler 0.2.0, whose strace parser the bench measures ours
# against. Benchmarks only: the test suite does not need it.
#
#   bash bench/setup-reference.sh        # venv at $IOPS_BENCH_VENV or bench/.reference-venv
#
# Not a fixed /tmp path: another user could have made it first, and pip and
# python run from it.
set -euo pipefail
venv="${IOPS_BENCH_VENV:-$(cd "$(dirname "$0")" && pwd)/.reference-venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "iops-profiler==0.2.0"
"$venv/bin/python" -c "from iops_profiler.collector import Collector; Collector(None).parse_strace_line"
echo "setup-reference: iops-profiler 0.2.0 in $venv"
