# shellcheck shell=bash
# Shared by the infra scripts: errors, the AWS CLI, stack outputs. Sourced, not run.
# Every script honours the standard AWS settings: AWS_PROFILE, AWS_REGION /
# AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL (e.g. http://127.0.0.1:5000 for moto_server).

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Used by the scripts that source this file.
# shellcheck disable=SC2034
REPO_DIR=$(cd "$INFRA_DIR/.." && pwd)
# shellcheck disable=SC2034
TEMPLATE="$INFRA_DIR/cloudformation/pipeline.yaml"

die() { echo "error: $*" >&2; exit 1; }
usage_error() { echo "error: $*" >&2; echo "Run with --help for the options." >&2; exit 2; }

# Prints the comment block at the top of the calling script (its help text).
show_help() { sed -n '2,/^[^#]/p' "$1" | sed '$d' | sed 's/^# \{0,1\}//'; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed: $2"
}

# The AWS CLI, with a region even when none is configured.
awscli() {
  need aws "install the AWS CLI (pip install awscli, or AWS CLI v2)"
  local region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
  if [ -z "$region" ]; then
    region=$(aws configure get region 2>/dev/null || true)
  fi
  [ -n "$region" ] || die "no AWS region: set AWS_REGION (e.g. export AWS_REGION=us-east-1) or run 'aws configure'"
  # Passed explicitly: some CLI versions skip AWS_ENDPOINT_URL for some services (SQS).
  aws --region "$region" ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"
}

# The value of output $2 of stack $1 ("" when absent).
stack_output() {
  awscli cloudformation describe-stacks --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue | [0]" --output text 2>/dev/null | sed 's/^None$//'
}

# Fails with a clear message unless stack $1 exists.
require_stack() {
  local status
  status=$(awscli cloudformation describe-stacks --stack-name "$1" --query 'Stacks[0].StackStatus' --output text 2>&1) ||
    die "stack '$1' not found (${status##*: }). Deploy it with infra/scripts/deploy.sh, or name it with --stack-name"
  echo "$status"
}

# Reads a flag's value: value_of FLAG "$@" -> prints $2 or fails if missing.
value_of() {
  if [ $# -lt 2 ] || [ -z "$2" ] || [ "${2#--}" != "$2" ]; then usage_error "$1 needs a value"; fi
  printf '%s' "$2"
}
