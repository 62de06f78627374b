#!/usr/bin/env bash
# Re-renders the sample report set from its committed result.json files: run it after
# any change to the report formats (a test fails until you do). It does not repeat the
# load runs; reports/README.md has the commands that made those.
# Usage: reports/render.sh [PATH_TO_LOADGEN]   (default: cargo run --release -p loadgen)
# Writes into reports/sample, or into $REPORTS_OUT when set (the test compares the two).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
if [ -n "${1:-}" ]; then loadgen=("$1"); else loadgen=(cargo run --quiet --release -p loadgen --); fi
in=reports/sample
out=${REPORTS_OUT:-$in}

for run in 7-shards 4-shards worker-0 worker-1; do
  "${loadgen[@]}" report "$in/$run" --out "$out/$run" >/dev/null
done

# 4 shards against the 7-shard baseline: regresses, so loadgen exits 3.
status=0
"${loadgen[@]}" report "$in/4-shards" --baseline "$in/7-shards" \
  --max-regression p99=10% --max-regression achieved-rps=2% --max-regression lost=+0 \
  --out "$out/4-vs-7-shards" >/dev/null 2>&1 || status=$?
if [ "$status" != 3 ]; then echo "error: the comparison should exit 3 (a regression), not $status" >&2; exit 1; fi

# Two workers of one load, merged.
"${loadgen[@]}" report "$in/worker-0" "$in/worker-1" --out "$out/workers-merged" --write-result >/dev/null
echo "sample reports rendered into $out"
