#!/usr/bin/env python3
"""Where a loadgen run's CPU goes, by thread and by pipeline stage.

Reads the text of `perf script` for a run recorded with DWARF call graphs and prints,
for each thread (loadgen's driver thread carries the binary's name, the embedded
pipeline's thread is `local-pipeline`), the share of its samples in each stage. A sample
belongs to the stage of the innermost frame of its stack (inlined frames included) that
names one; kernel samples are counted apart. Use it to compare two binaries side by
side (docs/performance.md):

    perf record -F 1000 --call-graph dwarf,16384 -o run.data \\
        target/release/loadgen --rps 1000000 --duration 3s --shards 1250 ... --quiet
    perf script -i run.data > run.txt
    scripts/perf-stages.py run.txt

The stages are matched on names that appear only in their own frames: a frame's generic
arguments name other types (every frame under an ESM lane names the table's type), so
type names are not used.
"""

import collections
import sys

# (stage, substrings): the first stage with a substring in a frame's text wins; frames are
# read from the innermost outwards.
STAGES = [
    ("generator", ["Generator::next_record", "Generator::encode_event"]),
    ("driver: histograms", ["hdrhistogram::"]),
    ("driver: KPL aggregation", ["load::aggregat"]),
    ("stream model: put", ["Stream::put", "Shared<S>::send", "driver::Shared::send"]),
    ("driver: schedule, batching, accounting", ["load::driver::drive"]),
    # The table's `put_batch` is inlined as an anonymous `{async_fn#0}`: its digest set
    # (the only `HashSet<u128, FixedState>`) and its key hash name it.
    ("table model: digests, capacity", [
        "stores::{impl#1}::put_batch", "CompactTable as retail_function", "TableModel::write",
        "insert<u128, foldhash::fast::FixedState", "partition_key_hash", "write_units",
    ]),
    ("function: base64 and UTF-8", [
        "retail_events::base64::", "base64_simd::multiversion::decode", "validate_utf8", "utf8::from_utf8", "is_ascii",
    ]),
    ("function: JSON and item", ["decode_into", "StoredItem::"]),
    ("function: batch, retries, writes", ["process_batch", "retry::run_batched", "CpuTimed"]),
    ("ESM: Lambda event (base64 encoding)", ["KinesisEventRecord::refill", "base64_simd::multiversion::encode"]),
    ("ESM: reading records", ["Delivery::read"]),
    ("stream model: checkpoint, freeing", ["Lane::checkpoint", "checkpoint+", "Retired::"]),
    ("ESM: lane loop", ["esm::run_lane"]),
    ("tokio: timers, scheduling", ["tokio::runtime"]),
]


def stage_of(frames):
    if frames and "[kernel.kallsyms]" in frames[0]:
        return "kernel"
    for frame in frames:
        for stage, needles in STAGES:
            if any(n in frame for n in needles):
                return stage
    leaf = frames[0] if frames else ""
    if any(n in leaf for n in ("mi_", "malloc", "free")):
        return "allocator (elsewhere)"
    return "other"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/perf-stages.py PERF_SCRIPT_TEXT (the output of `perf script`)")
    try:
        text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    except OSError as e:
        sys.exit(f"error: cannot read {sys.argv[1]}: {e.strerror}")
    counts = collections.defaultdict(collections.Counter)
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        if len(lines) < 2:
            continue
        thread = lines[0].split()[0]
        counts[thread][stage_of([line.strip() for line in lines[1:]])] += 1
    if not counts:
        sys.exit(f"error: no samples with call stacks in {sys.argv[1]}: record with --call-graph dwarf")
    for thread, stages in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(stages.values())
        print(f"{thread}: {total} samples")
        for stage, n in stages.most_common():
            print(f"  {100 * n / total:5.1f}%  {stage}")


if __name__ == "__main__":
    main()
