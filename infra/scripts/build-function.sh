#!/usr/bin/env bash
# Builds the Lambda function's deployment package: a zip holding the `bootstrap`
# executable for the provided.al2023 runtime.
#
# With cargo-lambda installed: `cargo lambda build --release` for the chosen
# architecture (it cross-compiles with zig and links against the glibc AL2023 has).
# Without it: a plain `cargo build --release` for this machine's architecture (only
# when it matches --arch; the binary links against this machine's glibc, so build on a
# system whose glibc is not newer than AL2023's 2.34 — the script warns otherwise).
#
# Usage: infra/scripts/build-function.sh [--arch arm64|x86_64] [--out ZIP] [--plain]
#   --arch   instruction set (default arm64, as the stack's LambdaArchitecture)
#   --out    where to write the zip (default target/lambda/bootstrap.zip)
#   --plain  a plain cargo build even when cargo-lambda is installed
# Prints the zip's path and the binary's size.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

arch=arm64 plain=false
out="$REPO_DIR/target/lambda/bootstrap.zip"
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) show_help "$0"; exit 0 ;;
    --arch) arch=$(value_of "$@"); shift 2 ;;
    --out) out=$(value_of "$@"); shift 2 ;;
    --plain) plain=true; shift ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
case "$arch" in arm64|x86_64) ;; *) usage_error "--arch is arm64 or x86_64, not '$arch'" ;; esac
need cargo "install Rust with rustup (https://rustup.rs)"
need python3 "install Python 3 (it writes the zip)"

cd "$REPO_DIR"
if [ "$plain" = false ] && command -v cargo-lambda >/dev/null 2>&1; then
  flag=--arm64; [ "$arch" = x86_64 ] && flag=--x86-64
  cargo lambda build --release "$flag" -p retail-function --bin bootstrap >&2
  binary=target/lambda/bootstrap/bootstrap
else
  host=$(uname -m); [ "$host" = aarch64 ] && host=arm64
  if [ "$host" != "$arch" ]; then
    die "building for $arch on this $host machine needs cargo-lambda (cargo install cargo-lambda; it cross-compiles with zig). Or build for $host with --arch $host and deploy with LambdaArchitecture=$host"
  fi
  cargo build --release -p retail-function --bin bootstrap >&2
  binary=target/release/bootstrap
  glibc=$(ldd --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+$' || echo unknown)
  if [ "$glibc" != unknown ] && [ "$(printf '%s\n2.34\n' "$glibc" | sort -V | tail -1)" != 2.34 ]; then
    echo "warning: built against glibc $glibc; provided.al2023 has 2.34, so the function may fail to start there. Use cargo-lambda for a deployable build." >&2
  fi
fi
[ -x "$binary" ] || die "the build did not produce $binary"

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/bootstrap"
(cd "$stage" && python3 -m zipfile -c bootstrap.zip bootstrap)
mv "$stage/bootstrap.zip" "$out"
bytes=$(wc -c <"$binary")
echo "built $out ($arch): bootstrap is $((bytes / 1024)) KiB ($bytes bytes), zip $(($(wc -c <"$out") / 1024)) KiB"
