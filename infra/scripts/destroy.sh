#!/usr/bin/env bash
# Deletes a deployed pipeline: the CloudFormation stack (stream, table, queue, function,
# mapping, role, log group, alarms, dashboard, topic; the KMS key is scheduled for
# deletion) and, with --delete-artifacts, the function zips in the artifact bucket.
# Events in the stream and items in the table are deleted with them.
#
# Usage: infra/scripts/destroy.sh [--stack-name NAME] [--yes] [--delete-artifacts]
#   --stack-name         default retail-analytics-dev-pipeline
#   --yes                do not ask for confirmation (required when not on a terminal)
#   --delete-artifacts   also empty and delete the artifact bucket deploy.sh created
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

stack=retail-analytics-dev-pipeline yes=false artifacts=false
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --stack-name) stack=$(value_of "$@"); shift 2 ;;
    --yes) yes=true; shift ;;
    --delete-artifacts) artifacts=true; shift ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
require_stack "$stack" >/dev/null
bucket=$(awscli cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Parameters[?ParameterKey=='LambdaCodeS3Bucket'].ParameterValue | [0]" --output text)

if [ "$yes" != true ]; then
  [ -t 0 ] || usage_error "not on a terminal: pass --yes to delete stack $stack"
  read -r -p "Delete stack $stack and all its data? Type the stack name to confirm: " answer
  [ "$answer" = "$stack" ] || die "not confirmed; nothing deleted"
fi

echo "==> deleting stack $stack" >&2
awscli cloudformation delete-stack --stack-name "$stack"
awscli cloudformation wait stack-delete-complete --stack-name "$stack" ||
  die "stack $stack did not delete cleanly; see: aws cloudformation describe-stack-events --stack-name $stack"
echo "stack $stack deleted"

if [ "$artifacts" = true ] && [ -n "$bucket" ] && [ "$bucket" != None ]; then
  echo "==> deleting s3://$bucket" >&2
  awscli s3 rb --force "s3://$bucket" >/dev/null
  echo "bucket $bucket deleted"
fi
