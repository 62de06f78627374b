#!/usr/bin/env bash
# Deploys the pipeline (infra/cloudformation/pipeline.yaml) as a CloudFormation stack:
# uploads the function's zip to S3 (creating the bucket if needed), then creates or
# updates the stack and prints its outputs.
#
# Usage: infra/scripts/deploy.sh [options]
#   --project NAME        project name (default retail-analytics)
#   --environment ENV     dev, staging or prod (default dev)
#   --stack-name NAME     stack name (default PROJECT-ENV-pipeline)
#   --shards N            Kinesis shards (default 1; `loadgen plan` says how many)
#   --memory MB           Lambda memory (default 256)
#   --timeout SECONDS     Lambda timeout (default 120)
#   --arch arm64|x86_64   Lambda architecture (default arm64)
#   --billing-mode MODE   PAY_PER_REQUEST (default) or PROVISIONED
#   --read-capacity N     table read units with PROVISIONED (default 5)
#   --write-capacity N    table write units with PROVISIONED (default 5)
#   --notify EMAIL        send alarms to an SNS topic with this e-mail subscribed
#   --zip PATH            the function zip (default target/lambda/bootstrap.zip,
#                         built by build-function.sh when missing)
#   --bucket NAME         artifact bucket (default PROJECT-ENV-artifacts-ACCOUNT)
#   VPC mode (off unless --vpc is given): the function in private subnets, AWS reached
#   through VPC endpoints scoped to the pipeline's resources:
#   --vpc VPC_ID          the VPC (vpc-...)
#   --subnets IDS         private subnets, comma-separated, two or more AZs
#   --route-tables IDS    their route tables, comma-separated (DynamoDB gateway endpoint)
#   --security-group ID   the function's security group (default: one is created)
#   --loadgen-results s3://BUCKET/PREFIX/
#                         where loadgen workers write results: the stack's
#                         LoadgenWorkerPolicy (output LoadgenWorkerPolicyArn) then also
#                         grants S3 on that prefix (default: no S3 access)
# Honours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL (moto_server: http://127.0.0.1:5000).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

project=retail-analytics environment=dev stack="" shards=1 memory=256 timeout=120 arch=arm64
billing=PAY_PER_REQUEST rcu=5 wcu=5 email="" zip="$REPO_DIR/target/lambda/bootstrap.zip" bucket=""
vpc="" subnets="" route_tables="" security_group="" results=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --project) project=$(value_of "$@"); shift 2 ;;
    --environment) environment=$(value_of "$@"); shift 2 ;;
    --stack-name) stack=$(value_of "$@"); shift 2 ;;
    --shards) shards=$(value_of "$@"); shift 2 ;;
    --memory) memory=$(value_of "$@"); shift 2 ;;
    --timeout) timeout=$(value_of "$@"); shift 2 ;;
    --arch) arch=$(value_of "$@"); shift 2 ;;
    --billing-mode) billing=$(value_of "$@"); shift 2 ;;
    --read-capacity) rcu=$(value_of "$@"); shift 2 ;;
    --write-capacity) wcu=$(value_of "$@"); shift 2 ;;
    --notify) email=$(value_of "$@"); shift 2 ;;
    --zip) zip=$(value_of "$@"); shift 2 ;;
    --bucket) bucket=$(value_of "$@"); shift 2 ;;
    --vpc) vpc=$(value_of "$@"); shift 2 ;;
    --subnets) subnets=$(value_of "$@"); shift 2 ;;
    --route-tables) route_tables=$(value_of "$@"); shift 2 ;;
    --security-group) security_group=$(value_of "$@"); shift 2 ;;
    --loadgen-results) results=$(value_of "$@"); shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
[[ "$project" =~ ^[a-z][a-z0-9-]{1,30}$ ]] || usage_error "--project must be 2-31 lower-case letters, digits or hyphens, starting with a letter"
case "$environment" in dev|staging|prod) ;; *) usage_error "--environment is dev, staging or prod, not '$environment'" ;; esac
for n in shards memory timeout rcu wcu; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || usage_error "--${n/rcu/read-capacity} must be a positive whole number, not '${!n}'"
done
[ "$shards" -le 500 ] || usage_error "--shards is at most 500 in this template"
if [ "$memory" -lt 128 ] || [ "$memory" -gt 10240 ]; then usage_error "--memory must be 128-10240 MB"; fi
[ "$timeout" -le 900 ] || usage_error "--timeout is at most 900 seconds"
case "$arch" in arm64|x86_64) ;; *) usage_error "--arch is arm64 or x86_64, not '$arch'" ;; esac
case "$billing" in PAY_PER_REQUEST|PROVISIONED) ;; *) usage_error "--billing-mode is PAY_PER_REQUEST or PROVISIONED, not '$billing'" ;; esac
if [ -n "$email" ] && ! [[ "$email" =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]]; then
  usage_error "--notify needs an e-mail address, not '$email'"
fi
if [ -n "$vpc$subnets$route_tables$security_group" ]; then
  [[ "$vpc" =~ ^vpc-[0-9a-f]{8,17}$ ]] || usage_error "VPC mode needs --vpc with a VPC id (vpc-...), not '$vpc'"
  [[ "$subnets" =~ ^subnet-[0-9a-f]{8,17}(,subnet-[0-9a-f]{8,17})*$ ]] ||
    usage_error "VPC mode needs --subnets with comma-separated subnet ids (subnet-...,subnet-...), not '$subnets'"
  [[ "$route_tables" =~ ^rtb-[0-9a-f]{8,17}(,rtb-[0-9a-f]{8,17})*$ ]] ||
    usage_error "VPC mode needs --route-tables with comma-separated route table ids (rtb-...), not '$route_tables'"
  if [ -n "$security_group" ] && ! [[ "$security_group" =~ ^sg-[0-9a-f]{8,17}$ ]]; then
    usage_error "--security-group needs a security group id (sg-...), not '$security_group'"
  fi
fi
results_bucket="" results_prefix="loads/"
if [ -n "$results" ]; then
  [[ "$results" =~ ^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(([A-Za-z0-9!_.*\'\(\)/-]*/)?)$ ]] ||
    usage_error "--loadgen-results needs s3://BUCKET/PREFIX/ (a bucket name, then a prefix ending in /), not '$results'"
  results_bucket=${BASH_REMATCH[1]} results_prefix=${BASH_REMATCH[2]}
fi
stack=${stack:-$project-$environment-pipeline}

if [ ! -f "$zip" ]; then
  echo "==> no $zip yet: building it" >&2
  "$(dirname "$0")/build-function.sh" --arch "$arch" --out "$zip" >&2
fi
if [ -z "$bucket" ]; then
  account=$(awscli sts get-caller-identity --query Account --output text) ||
    die "cannot reach AWS to find the account (check credentials, AWS_REGION and AWS_ENDPOINT_URL)"
  bucket="$project-$environment-artifacts-$account"
fi
if ! awscli s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "==> creating bucket s3://$bucket" >&2
  region=$(awscli configure get region 2>/dev/null || true); region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$region}}
  if [ "$region" = us-east-1 ]; then
    awscli s3api create-bucket --bucket "$bucket" >/dev/null
  else
    awscli s3api create-bucket --bucket "$bucket" --create-bucket-configuration "LocationConstraint=$region" >/dev/null
  fi
fi
# A key per content, so that an update of the code is an update of the stack.
digest=$(sha256sum "$zip" | cut -c1-16)
key="retail-function/bootstrap-$digest.zip"
echo "==> uploading $zip to s3://$bucket/$key" >&2
awscli s3 cp --only-show-errors "$zip" "s3://$bucket/$key" >&2

notify=false; [ -n "$email" ] && notify=true
use_vpc=false; [ -n "$vpc" ] && use_vpc=true
params=(
  "ParameterKey=ProjectName,ParameterValue=$project" "ParameterKey=Environment,ParameterValue=$environment"
  "ParameterKey=KinesisShardCount,ParameterValue=$shards" "ParameterKey=LambdaMemorySize,ParameterValue=$memory"
  "ParameterKey=LambdaTimeout,ParameterValue=$timeout" "ParameterKey=LambdaArchitecture,ParameterValue=$arch"
  "ParameterKey=LambdaCodeS3Bucket,ParameterValue=$bucket" "ParameterKey=LambdaCodeS3Key,ParameterValue=$key"
  "ParameterKey=DynamoDBBillingMode,ParameterValue=$billing" "ParameterKey=DynamoDBReadCapacity,ParameterValue=$rcu"
  "ParameterKey=DynamoDBWriteCapacity,ParameterValue=$wcu" "ParameterKey=EnableNotifications,ParameterValue=$notify"
  "ParameterKey=NotificationEmail,ParameterValue=$email" "ParameterKey=EnableVpc,ParameterValue=$use_vpc"
  "ParameterKey=VpcId,ParameterValue=$vpc" "ParameterKey=VpcSecurityGroupId,ParameterValue=$security_group"
  "ParameterKey=LoadgenResultsBucket,ParameterValue=$results_bucket" "ParameterKey=LoadgenResultsPrefix,ParameterValue=$results_prefix"
  # CommaDelimitedList values: the commas escaped for the CLI's shorthand syntax.
  "ParameterKey=VpcSubnetIds,ParameterValue=${subnets//,/\\,}"
  "ParameterKey=VpcRouteTableIds,ParameterValue=${route_tables//,/\\,}"
)
# create-stack / update-stack rather than `cloudformation deploy`: the same on AWS, and
# moto_server reports outputs only for stacks made this way.
if awscli cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
  echo "==> updating stack $stack" >&2
  if ! result=$(awscli cloudformation update-stack --stack-name "$stack" --template-body "file://$TEMPLATE" \
      --capabilities CAPABILITY_NAMED_IAM --parameters "${params[@]}" 2>&1); then
    case "$result" in
      *"No updates are to be performed"*) echo "stack $stack is already up to date" >&2 ;;
      *) die "update of $stack refused: $result" ;;
    esac
  else
    awscli cloudformation wait stack-update-complete --stack-name "$stack" || true
  fi
else
  echo "==> creating stack $stack" >&2
  awscli cloudformation create-stack --stack-name "$stack" --template-body "file://$TEMPLATE" \
    --capabilities CAPABILITY_NAMED_IAM --parameters "${params[@]}" >/dev/null
  awscli cloudformation wait stack-create-complete --stack-name "$stack" || true
fi
status=$(require_stack "$stack")
case "$status" in
  CREATE_COMPLETE|UPDATE_COMPLETE) ;;
  *) die "stack $stack ended in $status; see: aws cloudformation describe-stack-events --stack-name $stack" ;;
esac
"$(dirname "$0")/show-outputs.sh" --stack-name "$stack"
