#!/usr/bin/env bash
# Checks that nothing of a pipeline is left after destroy.sh: no stack, stream, table,
# queue, function, event source mapping, role, log group, alarms, dashboard or topic
# named PROJECT-ENV-…; the KMS key only pending deletion. Exit 0 when clean, 1 listing
# what is left (with the command to remove it).
#
# Usage: infra/scripts/verify-cleanup.sh [--project NAME] [--environment ENV] [--stack-name NAME]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

project=retail-analytics environment=dev stack=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --project) project=$(value_of "$@"); shift 2 ;;
    --environment) environment=$(value_of "$@"); shift 2 ;;
    --stack-name) stack=$(value_of "$@"); shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
prefix="$project-$environment"
stack=${stack:-$prefix-pipeline}
left=()

found() { left+=("$1  (remove: $2)"); }

if awscli cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
  found "stack $stack" "infra/scripts/destroy.sh --stack-name $stack"
fi
if awscli kinesis describe-stream-summary --stream-name "$prefix-events" >/dev/null 2>&1; then
  found "Kinesis stream $prefix-events" "aws kinesis delete-stream --stream-name $prefix-events"
fi
if awscli dynamodb describe-table --table-name "$prefix-events" >/dev/null 2>&1; then
  found "DynamoDB table $prefix-events" "aws dynamodb delete-table --table-name $prefix-events"
fi
if awscli sqs get-queue-url --queue-name "$prefix-dlq" >/dev/null 2>&1; then
  found "SQS queue $prefix-dlq" "aws sqs delete-queue --queue-url \$(aws sqs get-queue-url --queue-name $prefix-dlq --output text)"
fi
fn="$prefix-processor"
if awscli lambda get-function --function-name "$fn" >/dev/null 2>&1; then
  found "Lambda function $fn" "aws lambda delete-function --function-name $fn"
fi
for uuid in $(awscli lambda list-event-source-mappings --query "EventSourceMappings[?ends_with(FunctionArn, ':$fn')].UUID" --output text 2>/dev/null | sed 's/None//'); do
  found "event source mapping $uuid" "aws lambda delete-event-source-mapping --uuid $uuid"
done
if awscli iam get-role --role-name "$fn" >/dev/null 2>&1; then
  found "IAM role $fn" "aws iam delete-role-policy --role-name $fn --policy-name pipeline; aws iam delete-role --role-name $fn"
fi
groups=$(awscli logs describe-log-groups --log-group-name-prefix "/aws/lambda/$fn" --query 'logGroups[].logGroupName' --output text 2>/dev/null | sed 's/None//')
for g in $groups; do
  found "log group $g" "aws logs delete-log-group --log-group-name $g"
done
alarms=$(awscli cloudwatch describe-alarms --alarm-name-prefix "$prefix-" --query 'MetricAlarms[].AlarmName' --output text 2>/dev/null | sed 's/None//')
for a in $alarms; do
  found "alarm $a" "aws cloudwatch delete-alarms --alarm-names $a"
done
if awscli cloudwatch get-dashboard --dashboard-name "$prefix-pipeline" >/dev/null 2>&1; then
  found "dashboard $prefix-pipeline" "aws cloudwatch delete-dashboards --dashboard-names $prefix-pipeline"
fi
topics=$(awscli sns list-topics --query "Topics[?ends_with(TopicArn, ':$prefix-alarms')].TopicArn" --output text 2>/dev/null | sed 's/None//')
for t in $topics; do
  found "SNS topic $t" "aws sns delete-topic --topic-arn $t"
done
key_id=$(awscli kms list-aliases --query "Aliases[?AliasName=='alias/$prefix-pipeline'].TargetKeyId | [0]" --output text 2>/dev/null | sed 's/None//')
if [ -n "$key_id" ]; then
  state=$(awscli kms describe-key --key-id "$key_id" --query 'KeyMetadata.KeyState' --output text 2>/dev/null || echo unknown)
  if [ "$state" != PendingDeletion ]; then
    found "KMS key $key_id (alias/$prefix-pipeline, $state)" "aws kms schedule-key-deletion --key-id $key_id"
  fi
fi
if [ ${#left[@]} -eq 0 ]; then
  echo "clean: nothing of $prefix is left"
  exit 0
fi
echo "left over from $prefix:" >&2
printf '  %s\n' "${left[@]}" >&2
exit 1
