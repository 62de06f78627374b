#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo fuzz, libFuzzer) for SECONDS each (default 20),
# starting from the committed corpus in fuzz/corpus/TARGET; inputs the fuzzer finds go to
# a scratch directory, so the committed corpus changes only by hand. Fails on the first
# crash, with the reproducing input under fuzz/artifacts/TARGET/.
# Built on stable Rust with --sanitizer none (safe Rust needs no AddressSanitizer for
# memory safety; panics, overflow checks and debug assertions are what is caught).
# Usage: scripts/fuzz.sh [SECONDS]    e.g. scripts/fuzz.sh 600 for a longer hunt
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-20}
command -v cargo-fuzz >/dev/null 2>&1 || { echo "error: cargo-fuzz is not installed; run scripts/setup.sh" >&2; exit 1; }

cargo fuzz build --sanitizer none
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo fuzz list); do
  mkdir -p "$scratch/$target"
  echo "==> fuzz $target for ${seconds}s"
  cargo fuzz run --sanitizer none "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|thread|panicked|Done)' || true
  # grep hides libFuzzer's chatter; the exit status that matters is the fuzzer's.
  test "${PIPESTATUS[0]}" -eq 0 || { echo "error: fuzz target $target crashed; input in fuzz/artifacts/$target/" >&2; exit 1; }
done
