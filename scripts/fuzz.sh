#!/usr/bin/env bash
# The parsers' fuzz targets (proptest: arbitrary input never panics, never
# loops) with fresh random seeds, ROUNDS times (default 10). `npm test` runs
# them once with a fixed seed so that CI is repeatable; this explores further.
# A failing case is saved by proptest under crates/iops-core/proptest-regressions/
# and replayed by every later run: commit it with the fix.
#
#   npm run fuzz [-- ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-10}"
unset PROPTEST_RNG_SEED
for ((i = 1; i <= rounds; i++)); do
  echo "fuzz: round $i of $rounds"
  cargo test -q -p iops-core --lib fuzz
done
