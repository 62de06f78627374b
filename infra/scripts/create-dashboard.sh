#!/usr/bin/env bash
# (Re)creates the pipeline's CloudWatch dashboard from infra/dashboards/pipeline.json for
# a deployed stack: after editing the file, or for a pipeline deployed without one. The
# dashboard shows stream throughput and throttles, iterator age, processed and
# dead-lettered events, function duration/errors/throttles, end-to-end latency, table
# writes and the DLQ depth.
#
# Usage: infra/scripts/create-dashboard.sh [--stack-name NAME] [--dashboard-name NAME]
#   --stack-name       default retail-analytics-dev-pipeline
#   --dashboard-name   default: the stack's DashboardName output
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

stack=retail-analytics-dev-pipeline name=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --stack-name) stack=$(value_of "$@"); shift 2 ;;
    --dashboard-name) name=$(value_of "$@"); shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
require_stack "$stack" >/dev/null
name=${name:-$(stack_output "$stack" DashboardName)}
[ -n "$name" ] || die "stack $stack has no DashboardName output; name the dashboard with --dashboard-name"
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}
stream=$(stack_output "$stack" KinesisStreamName)
function=$(stack_output "$stack" LambdaFunctionName)
table=$(stack_output "$stack" DynamoDBTableName)
queue=$(stack_output "$stack" DeadLetterQueueUrl); queue=${queue##*/}
body=$(sed -e "s|\${Region}|$region|g" -e "s|\${StreamName}|$stream|g" -e "s|\${FunctionName}|$function|g" \
  -e "s|\${TableName}|$table|g" -e "s|\${QueueName}|$queue|g" "$INFRA_DIR/dashboards/pipeline.json")
awscli cloudwatch put-dashboard --dashboard-name "$name" --dashboard-body "$body" >/dev/null
echo "dashboard $name: https://$region.console.aws.amazon.com/cloudwatch/home?region=$region#dashboards:name=$name"
