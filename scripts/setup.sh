#!/usr/bin/env bash
# Installs what the tests need, pinned: the Node emulators (kinesalite, dynalite) and
# playwright-core from package-lock.json, a Python venv with moto_server and
# HdrHistogram_py from scripts/requirements-test.txt, and Debian's chromium (the HTML
# report's browser test) when it is missing.
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

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  echo "==> npm ci (kinesalite, dynalite)"
  npm ci --no-audit --no-fund --loglevel=error
fi

req=scripts/requirements-test.txt
if [ ! -x .venv/bin/moto_server ] || ! cmp -s "$req" .venv/.requirements 2>/dev/null; then
  echo "==> python venv (.venv) with moto[server]"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$req"
  cp "$req" .venv/.requirements
fi

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "==> chromium (Debian package) for the HTML report's browser test"
  command -v apt-get >/dev/null 2>&1 || {
    echo "error: no Chromium at ${CHROMIUM:-/usr/bin/chromium} and no apt-get to install it; install Chromium and set CHROMIUM=/path/to/chromium" >&2; exit 1; }
  SUDO=""
  if [ "$(id -u)" != 0 ]; then need sudo "run scripts/setup.sh as root, or install Debian's chromium package yourself"; SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt 2>/dev/null || true
echo "setup done"
