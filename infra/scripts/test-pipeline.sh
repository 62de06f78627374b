#!/usr/bin/env bash
# Runs loadgen against a deployed pipeline with end-to-end verification: events go into
# the stack's stream, a sample is looked up in its table after the run, the DLQ's growth
# is checked against the invalid events injected, and loadgen prints its verdict. The
# results (result.json, report.html, …) go to results/STACK-TIME/ unless --out says.
#
# Usage: infra/scripts/test-pipeline.sh [--stack-name NAME] [--rps N] [--duration D] [--out DIR]
#                                       [--allow-loss] [-- LOADGEN_OPTIONS…]
#   --stack-name   default retail-analytics-dev-pipeline
#   --rps          events per second (default 100)
#   --duration     e.g. 2m (default 1m)
#   --out          where loadgen writes its results
#   --allow-loss   do not fail when sampled events are missing from the table
#                  (by default loadgen runs with --max-lost 0)
#   after --, options passed to loadgen as they are (e.g. --invalid-rate 0.01 --max-p99 500ms)
# Uses $LOADGEN, else loadgen on PATH, else cargo run --release -p loadgen.
# Exit code: loadgen's (0 holds, 3 a threshold missed, e.g. events lost; 1 error).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

stack=retail-analytics-dev-pipeline rps=100 duration=1m out="" loss=(--max-lost 0) extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --stack-name) stack=$(value_of "$@"); shift 2 ;;
    --rps) rps=$(value_of "$@"); shift 2 ;;
    --duration) duration=$(value_of "$@"); shift 2 ;;
    --out) out=$(value_of "$@"); shift 2 ;;
    --allow-loss) loss=(); shift ;;
    --) shift; extra=("$@"); break ;;
    *) usage_error "unknown option '$1' (loadgen's own options go after --)" ;;
  esac
done
require_stack "$stack" >/dev/null
stream=$(stack_output "$stack" KinesisStreamName)
table=$(stack_output "$stack" DynamoDBTableName)
dlq=$(stack_output "$stack" DeadLetterQueueUrl)
if [ -z "$stream" ] || [ -z "$table" ] || [ -z "$dlq" ]; then die "stack $stack lacks the stream, table or queue outputs"; fi

if [ -n "${LOADGEN:-}" ]; then
  loadgen=("$LOADGEN")
elif command -v loadgen >/dev/null 2>&1; then
  loadgen=(loadgen)
else
  need cargo "install Rust, or put loadgen on PATH, or set LOADGEN=/path/to/loadgen"
  loadgen=(cargo run --quiet --release --manifest-path "$REPO_DIR/Cargo.toml" -p loadgen --)
fi
out=${out:-$REPO_DIR/results/$stack-$(date -u +%Y%m%dT%H%M%SZ)}
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}
echo "==> loadgen: $rps events/s for $duration into $stream, verifying in $table" >&2
status=0
"${loadgen[@]}" --stream "$stream" --table "$table" --dlq-url "$dlq" ${region:+--region "$region"} \
  --rps "$rps" --duration "$duration" --out "$out" "${loss[@]}" "${extra[@]}" || status=$?
echo "results: $out (open report.html)" >&2
exit "$status"
