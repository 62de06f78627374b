#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the pinned test tools, starts the
# emulators on 127.0.0.1, runs cargo fmt --check, clippy -D warnings, the layering check
# (scripts/check-layers.py) and every Rust test, the fuzz targets for 20 s each
# (scripts/fuzz.sh), then the infra validation (infra/tests/run.sh), and stops the emulators it started
# (also when something fails).
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# One build from scratch: incremental caches would only take disk (about 1 GB).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

export KINESIS_PORT=${KINESIS_PORT:-4567} DYNAMODB_PORT=${DYNAMODB_PORT:-4569} MOTO_PORT=${MOTO_PORT:-5000}
export RETAIL_TEST_KINESIS_ENDPOINT="http://127.0.0.1:$KINESIS_PORT"
export RETAIL_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
export RETAIL_TEST_SQS_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

trap 'scripts/emulators.sh stop' EXIT INT TERM
scripts/emulators.sh start

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "==> layers (dependencies one way, no import circles)"
python3 scripts/check-layers.py
echo "==> cargo test"
cargo test --workspace --all-targets
echo "==> doc tests"
cargo test --workspace --doc
echo "==> fuzz targets (cargo fuzz, 20 s each from the committed corpus)"
scripts/fuzz.sh 20
echo "==> infra (shellcheck, terraform fmt, cdk synth, cfn-lint, checkov, equivalence, moto_server deploys)"
infra/tests/run.sh
echo "all tests passed"
