#!/usr/bin/env bash
# The two whole-process figures of loadgen against its embedded local pipeline, measured
# with /usr/bin/time on the release binary (a measured run, not a test: these machines
# are shared, and a figure can swing between runs; compare runs made side by side):
#
#   1. overhead at a common load: 5,000 events/s into 7 shards for 60 s, the models on
#      (the table warm: a previous peak of 5,000 WCU/s).
#      Prints CPU seconds, the share of one core over the whole run (wall time includes
#      the drain), CPU per event, voluntary context switches and peak RSS, and each
#      thread's CPU (the driver's and the pipeline's each bound the rate on its core).
#   2. throughput: RATE events/s (default 1,000,000) for 20 s into enough shards. Prints
#      the same, plus late sends and whether every event reached the table (the ledger's
#      accepted count against the table's items).
#
# Usage: benches/whole-process.sh [--rate R] [--seconds S] [--loadgen PATH] [--only 5k|rate]
# Needs /usr/bin/time and python3; builds target/release/loadgen unless --loadgen is given.
set -euo pipefail
cd "$(dirname "$0")/.."

rate=1000000 seconds=20 loadgen="" only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if [ -z "$loadgen" ]; then
  cargo build --release -p loadgen >&2
  loadgen=target/release/loadgen
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME ARGS...: runs loadgen under /usr/bin/time and prints one line of figures.
measure() {
  local name=$1
  shift
  local code=0
  /usr/bin/time -f '%e %U %S %M %w' -o "$work/$name.time" "$loadgen" "$@" --quiet --out "$work/$name" >"$work/$name.log" 2>&1 &
  local timer=$! pid=""
  # Each thread's CPU (user + system clock ticks), the largest seen while it lived: the
  # driver's thread (named after the binary) and the pipeline's bound the rate each on
  # its own core. Polled every 0.1 s, so a thread's last tenth of a second may be missed.
  declare -A ticks=()
  for _ in $(seq 50); do pid=$(pgrep -P "$timer" | head -1) && [ -n "$pid" ] && break; sleep 0.02; done
  local main=""
  [ -n "$pid" ] && main=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  while [ -n "$pid" ] && [ -d "/proc/$pid" ]; do
    for task in /proc/"$pid"/task/*; do
      local thread stat utime stime
      if ! thread=$(cat "$task/comm" 2>/dev/null) || ! stat=$(cut -d' ' -f14,15 "$task/stat" 2>/dev/null); then
        continue # the thread ended
      fi
      read -r utime stime <<<"$stat"
      if [ $(( utime + stime )) -gt "${ticks[$thread]:-0}" ]; then ticks[$thread]=$(( utime + stime )); fi
    done
    sleep 0.1
  done
  wait "$timer" || code=$?
  local threads=""
  for thread in "${!ticks[@]}"; do
    if [ "$thread" = "$main" ]; then threads="$threads driver=${ticks[$thread]}"; else threads="$threads $thread=${ticks[$thread]}"; fi
  done
  python3 - "$name" "$work/$name.time" "$work/$name/result.json" "$code" "$(getconf CLK_TCK)" "$threads" <<'EOF'
import json, sys
name, time_file, result_file, code = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
clk_tck, threads = int(sys.argv[5]), [t.split("=") for t in sys.argv[6].split()]
wall, user, sys_s, rss_kb, switches = open(time_file).read().split()[-5:]
wall, cpu = float(wall), float(user) + float(sys_s)
r = json.load(open(result_file))
ledger, pipeline = r["ledger"], r.get("pipeline") or {}
events = ledger["generated"]
items = pipeline.get("table_items")
print(
    f"{name}: exit {code}; {events:,} events; /usr/bin/time: wall {wall:.1f} s, CPU {cpu:.2f} s "
    f"(user {float(user):.2f} + sys {float(sys_s):.2f}) = {100 * cpu / wall:.2f}% of one core over the run, "
    f"{1e6 * cpu / max(events, 1):.2f} us CPU per event, {int(switches):,} voluntary context switches, "
    f"peak RSS {int(rss_kb) / 1024:.0f} MiB; late sends {ledger['late_sends']:,}; "
    f"accepted {ledger['accepted']:,}, table items {items if items is None else f'{items:,}'}"
    + ("; every event in the table" if items == ledger["accepted"] == events else "; NOT every event in the table")
)
if threads:
    print(f"  per thread: " + ", ".join(
        f"{t} {int(n) / clk_tck:.2f} s ({1e6 * int(n) / clk_tck / max(events, 1):.2f} us per event)"
        for t, n in sorted(threads, key=lambda t: -int(t[1]))))
EOF
}

# Both runs size the table and the function for the load, so that they measure loadgen
# rather than a pipeline that cannot hold it: a new on-demand table takes 4,000 WCU/s,
# less than 5,000 events/s of 1-WCU items, and the throughput run needs a table quota and
# a concurrency limit far past the defaults (an account that asked Service Quotas).
if [ "$only" != rate ]; then
  measure 5k-overhead --rps 5000 --shards 7 --duration 60s --table-previous-peak-wcu 5000
fi
if [ "$only" != 5k ]; then
  shards=$(( (rate + 799) / 800 ))
  wcu=$(( rate * 3 / 2 ))
  measure "${rate}-throughput" --rps "$rate" --shards "$shards" --duration "${seconds}s" \
    --table-mode provisioned --table-quota-wcu "$wcu" --table-wcu "$wcu" --lambda-concurrency-limit $(( shards * 2 ))
fi
