#!/usr/bin/env bash
# Prints a deployed pipeline's outputs: stream, function, table, dead-letter queue,
# dashboard, and the loadgen command that tests it.
#
# Usage: infra/scripts/show-outputs.sh [--stack-name NAME] [--format table|env|json]
#   --stack-name   default retail-analytics-dev-pipeline
#   --format       table (default); env: KEY=value lines to `eval`; json
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

stack=retail-analytics-dev-pipeline format=table
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --stack-name) stack=$(value_of "$@"); shift 2 ;;
    --format) format=$(value_of "$@"); shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
case "$format" in table|env|json) ;; *) usage_error "--format is table, env or json, not '$format'" ;; esac
require_stack "$stack" >/dev/null

case "$format" in
  json)
    awscli cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output json ;;
  env)
    # KinesisStreamName -> KINESIS_STREAM_NAME
    awscli cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text |
      while IFS=$'\t' read -r k v; do
        name=$(printf '%s' "$k" | sed -E 's/DynamoDB/Dynamodb/; s/([a-z0-9])([A-Z])/\1_\2/g' | tr '[:lower:]' '[:upper:]')
        printf "%s=%q\n" "$name" "$v"
      done ;;
  table)
    echo "Stack $stack"
    awscli cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text |
      while IFS=$'\t' read -r k v; do printf '  %-22s %s\n' "$k" "$v"; done
    echo
    echo "Test it with loadgen (infra/scripts/test-pipeline.sh --stack-name $stack does this):"
    echo "  loadgen --stream $(stack_output "$stack" KinesisStreamName) --table $(stack_output "$stack" DynamoDBTableName) \\"
    echo "          --dlq-url $(stack_output "$stack" DeadLetterQueueUrl) --rps 500 --duration 1m" ;;
esac
