#!/usr/bin/env bash
# Installs what the tests need, pinned: the Node emulators (kinesalite, dynalite) and
# playwright-core from package-lock.json; the CDK TypeScript app's packages from
# infra/cdk-typescript/package-lock.json; a Python venv with moto_server and
# HdrHistogram_py (scripts/requirements-test.txt) and one with the infra tools
# (scripts/requirements-infra.txt: cfn-lint, checkov, aws-cdk-lib, python-hcl2, pytest,
# awscli); Debian's chromium, shellcheck and tmux when missing; cargo-fuzz (pinned) for
# scripts/fuzz.sh. Checks for terraform.
# Idempotent: a second run only checks. Usage: scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is not installed; $2" >&2; exit 1; }
}
need cargo "install Rust with rustup (https://rustup.rs)"
need node "install Node.js 20 or newer"
need npm "install npm (it comes with Node.js)"
need python3 "install Python 3.11 or newer"

# npm ci in directory $1 unless its node_modules were installed from the same lock file.
npm_ci() {
  if [ ! -f "$1/node_modules/.setup-lock" ] || ! cmp -s "$1/package-lock.json" "$1/node_modules/.setup-lock"; then
    echo "==> npm ci in $1 ($2)"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$1/package-lock.json" "$1/node_modules/.setup-lock"
  fi
}
npm_ci . "kinesalite, dynalite, playwright-core"
npm_ci infra/cdk-typescript "aws-cdk-lib, the cdk CLI, typescript"

# venv DIR REQUIREMENTS WHAT: a Python venv holding exactly the pinned requirements.
venv() {
  if [ ! -x "$1/bin/python" ] || ! cmp -s "$2" "$1/.requirements" 2>/dev/null; then
    echo "==> python venv ($1) with $3"
    python3 -m venv "$1"
    "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
    cp "$2" "$1/.requirements"
  fi
}
venv .venv scripts/requirements-test.txt "moto[server], HdrHistogram_py, aws-kinesis-agg"
venv .venv-infra scripts/requirements-infra.txt "cfn-lint, checkov, aws-cdk-lib, python-hcl2, pytest, awscli, kubernetes-validate, hadolint"

# Debian packages: Chromium for the HTML report's browser test, shellcheck for the scripts,
# tmux for the test that watches a run on 80- and 120-column terminals.
pkgs=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || pkgs+=(chromium)
command -v shellcheck >/dev/null 2>&1 || pkgs+=(shellcheck)
command -v tmux >/dev/null 2>&1 || pkgs+=(tmux)
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "==> Debian packages: ${pkgs[*]}"
  command -v apt-get >/dev/null 2>&1 || {
    echo "error: ${pkgs[*]} missing and no apt-get to install them; install them (for Chromium, or set CHROMIUM=/path/to/chromium)" >&2; exit 1; }
  SUDO=""
  if [ "$(id -u)" != 0 ]; then need sudo "run scripts/setup.sh as root, or install ${pkgs[*]} yourself"; SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# Terraform is not in the registries these machines reach: it must be on the machine.
need terraform "the infra tests run 'terraform fmt -check'; install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)"

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt 2>/dev/null || true
echo "setup done"

# cargo-fuzz, pinned, for the fuzz targets (scripts/fuzz.sh builds them on stable Rust
# with --sanitizer none: sanitizer-coverage needs no nightly flag).
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION"; then
  echo "==> cargo install cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
