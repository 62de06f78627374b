#!/usr/bin/env bash
# Two loadgen binaries side by side: PAIRS pairs of `whole-process.sh` runs, each pair in
# the opposite order of the one before. These machines are shared and drift by 10-25%
# within an hour, so a figure from another hour compares nothing, and one pair proves
# little: read the means and in how many pairs one binary was lower.
#
# Prints every run as whole-process.sh does, then for each figure (the process's CPU,
# each thread's CPU, peak RSS, late sends) each binary's mean and range and the number of
# pairs in which B was lower than A. Fails if any run did not put every event in the
# table.
#
# Usage: benches/compare.sh [--pairs N] [--only rate|5k] [--rate R] [--seconds S] A B
#   A, B: loadgen binaries (copy each build aside, e.g. cp target/release/loadgen /tmp/lg-a)
#   --pairs N: pairs of runs (default 6)
#   --only, --rate, --seconds: as whole-process.sh (default here: --only rate --seconds 3)
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=6 only=rate rate=1000000 seconds=3
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) binaries+=("$1"); shift ;;
  esac
done
if [ ${#binaries[@]} -ne 2 ]; then
  echo "error: give two loadgen binaries, A and B (see --help)" >&2
  exit 2
fi
for b in "${binaries[@]}"; do
  [ -x "$b" ] || { echo "error: '$b' is not an executable loadgen binary" >&2; exit 2; }
done
case "$only" in rate|5k) ;; *) echo "error: --only takes rate or 5k, not '$only'" >&2; exit 2 ;; esac
case "$pairs" in ''|*[!0-9]*|0) echo "error: --pairs takes a whole number above 0, not '$pairs'" >&2; exit 2 ;; esac

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((i = 0; i < pairs; i++)); do
  if ((i % 2 == 0)); then order="A B"; else order="B A"; fi
  for which in $order; do
    if [ "$which" = A ]; then bin=${binaries[0]}; else bin=${binaries[1]}; fi
    echo "== pair $((i + 1)), $which ($bin)"
    out=$(benches/whole-process.sh --loadgen "$bin" --only "$only" --rate "$rate" --seconds "$seconds" 2>&1) || {
      echo "$out"
      echo "error: the run of $bin failed" >&2
      exit 1
    }
    echo "$out"
    printf '%s\t%s\t%s\n' "$i" "$which" "$(echo "$out" | tr '\n' ' ')" >>"$log"
  done
done

python3 - "$log" "${binaries[0]}" "${binaries[1]}" <<'EOF'
import re, statistics, sys

log, a_name, b_name = sys.argv[1:4]
runs = {"A": {}, "B": {}}
complete = True
for line in open(log):
    pair, which, text = line.rstrip("\n").split("\t", 2)
    figures = {
        "process CPU (s)": float(re.search(r"CPU ([0-9.]+) s", text).group(1)),
        "peak RSS (MiB)": float(re.search(r"peak RSS ([0-9,]+) MiB", text).group(1).replace(",", "")),
        "late sends": float(re.search(r"late sends ([0-9,]+)", text).group(1).replace(",", "")),
    }
    threads = text.split("per thread:", 1)[1] if "per thread:" in text else ""
    for thread, seconds in re.findall(r"([\w-]+) ([0-9.]+) s \(", threads):
        figures[f"{thread} thread CPU (s)"] = float(seconds)
    complete &= "every event in the table" in text and "NOT every event" not in text
    runs[which][int(pair)] = figures

print(f"\nA = {a_name}\nB = {b_name}")
common = sorted(set(runs["A"]) & set(runs["B"]))
names = sorted({n for r in runs["A"].values() for n in r} & {n for r in runs["B"].values() for n in r})
for name in names:
    a = [runs["A"][p][name] for p in common if name in runs["A"][p] and name in runs["B"][p]]
    b = [runs["B"][p][name] for p in common if name in runs["A"][p] and name in runs["B"][p]]
    if not a:
        continue
    change = 100 * (statistics.mean(b) / statistics.mean(a) - 1) if statistics.mean(a) else 0.0
    lower = sum(y < x for x, y in zip(a, b))
    print(
        f"{name:>28}: A mean {statistics.mean(a):,.2f} ({min(a):,.2f}-{max(a):,.2f}), "
        f"B mean {statistics.mean(b):,.2f} ({min(b):,.2f}-{max(b):,.2f}), B {change:+.1f}%, "
        f"B lower in {lower} of {len(a)} pairs"
    )
if not complete:
    print("error: a run did not put every event in the table (see above)", file=sys.stderr)
    sys.exit(1)
EOF
