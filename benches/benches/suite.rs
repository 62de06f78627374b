//! `cargo bench`: the function's batch path.
//!
//! - `handler/process_batch/<n>`: CPU per record of the whole processor (decode,
//!   validate, score, build items, plan and issue the writes) against a store that
//!   answers at once. Read it as elements/s.
//! - `handler/process_aggregated/<n>`: the same `n` events packed 50 to a KPL aggregate
//!   (de-aggregation included): elements are user records, to compare with the plain path;
//!   `handler/md5_of_aggregates/100` is the part the format's MD5 check takes.
//! - `handler/base64_decode/<path>`: base64-decoding 100 records' data, the decoder the
//!   batch path uses on this CPU (`avx2_blocks`) beside `base64-simd`'s.
//! - `write_path/<plan>`: wall time of a 100-record batch against a store that takes
//!   5 ms per call: this function's batched, concurrent plan versus the original
//!   function's one put per record in sequence.
//!
//! - `generator/generate_and_encode`: loadgen's event generator, events built and JSON
//!   encoded per second on one core.
//! - `stages/<stage>/500`: the local pipeline's stages per element (batcher, stream
//!   model put, table model write), each from a fresh model; `stages/esm_event/100`, the
//!   event source mapping building a 100-record Lambda event from a lane.
//!
//! - `report/<format>/600s`: rendering each report format from a 10-minute run (the
//!   committed sample stretched to 600 seconds, real per-second histograms); the target is
//!   well under a second for all of them together (`report/all/600s`).
//! - `plan/from_parameters`: `loadgen plan` from its parameters to Markdown.
//!
//! `baseline_ratio` (the other bench target) measures the Python baselines side by side.

use std::time::Duration;

use benches::{aggregated_batch, python_shaped_batch, retail_batch, write_one_by_one, CountingStore, SlowStore};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use retail_function::memory::InMemoryDlq;
use retail_function::{BatchContext, NoMetrics, Processor, ProcessorConfig};
use tokio::time::Instant;

type Decoder = fn(&[u8], &mut Vec<u8>) -> Result<(), retail_events::base64::InvalidBase64>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
}

fn handler(c: &mut Criterion) {
    let now = retail_function::now_ms();
    let rt = runtime();
    let processor = Processor::new(CountingStore::default(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    // The input is written whole before anything is timed (this holds whichever
    // benchmarks a filter selects).
    let check = retail_batch(10, now);
    let ctx = BatchContext { now_ms: now, deadline: Instant::now() + Duration::from_secs(60) };
    assert_eq!(rt.block_on(processor.process_batch(&check, ctx)).written(), 10);
    assert!(processor.store().bytes() > 0);
    let mut group = c.benchmark_group("handler");
    for size in [1usize, 100, 1000, 10_000] {
        let records = retail_batch(size, now);
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("process_batch", size), &records, |b, records| {
            b.to_async(&rt).iter(|| async {
                let ctx = BatchContext { now_ms: now, deadline: Instant::now() + Duration::from_secs(60) };
                let report = processor.process_batch(records, ctx).await;
                debug_assert_eq!(report.written(), records.len());
                report
            })
        });
    }
    // What the format's checksum alone costs: the MD5 of two aggregates' protobuf bodies
    // (100 user records), which de-aggregation must verify.
    {
        use base64::Engine;
        let bodies: Vec<Vec<u8>> = aggregated_batch(100, 50, now)
            .iter()
            .map(|r| base64::engine::general_purpose::STANDARD.decode(&r.kinesis.data).unwrap())
            .collect();
        group.throughput(Throughput::Elements(100));
        group.bench_function("md5_of_aggregates/100", |b| {
            b.iter(|| {
                use md5::Digest;
                bodies.iter().map(|d| md5::Md5::digest(&d[4..d.len() - 16])[0]).fold(0u8, |a, x| a ^ x)
            })
        });
    }
    // The batch path's base64 decoding of 100 Python-shaped records (about 320 characters
    // each), the AVX2 path beside `base64-simd`'s, which it replaced, in the same run.
    {
        use retail_events::base64::{decode_append, decodes_with_avx2, portable_decode_append};
        let records = python_shaped_batch(100, now);
        let path = if decodes_with_avx2() { "avx2_blocks" } else { "portable_only" };
        let mut arena = Vec::with_capacity(records.iter().map(|r| r.kinesis.data.len()).sum());
        group.throughput(Throughput::Elements(100));
        let decoders: [(&str, Decoder); 2] = [(path, decode_append), ("base64_simd", portable_decode_append)];
        for (name, decode) in decoders {
            group.bench_function(BenchmarkId::new("base64_decode", name), |b| {
                b.iter(|| {
                    arena.clear();
                    for r in &records {
                        decode(r.kinesis.data.as_bytes(), &mut arena).expect("valid base64");
                    }
                    arena.len()
                })
            });
        }
    }
    for size in [100usize, 1000] {
        let records = aggregated_batch(size, 50, now);
        let ctx = BatchContext { now_ms: now, deadline: Instant::now() + Duration::from_secs(60) };
        assert_eq!(rt.block_on(processor.process_batch(&records, ctx)).written(), size, "every user record written");
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("process_aggregated", size), &records, |b, records| {
            b.to_async(&rt).iter(|| async {
                let ctx = BatchContext { now_ms: now, deadline: Instant::now() + Duration::from_secs(60) };
                processor.process_batch(records, ctx).await
            })
        });
    }
    group.finish();
}

fn write_path(c: &mut Criterion) {
    let now = retail_function::now_ms();
    let rt = runtime();
    let records = retail_batch(100, now);
    let latency = Duration::from_millis(5);
    let processor = Processor::new(SlowStore { latency }, InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let mut group = c.benchmark_group("write_path");
    group.sample_size(10).throughput(Throughput::Elements(100));
    group.bench_function("batched_parallel", |b| {
        b.to_async(&rt).iter(|| async {
            let ctx = BatchContext { now_ms: now, deadline: Instant::now() + Duration::from_secs(60) };
            processor.process_batch(&records, ctx).await
        })
    });
    let store = SlowStore { latency };
    group.bench_function("one_put_per_record", |b| b.to_async(&rt).iter(|| write_one_by_one(&store, &records, now)));
    group.finish();
}

fn generator(c: &mut Criterion) {
    use loadgen_engine::load::generator::{Generator, GeneratorConfig};
    let mut group = c.benchmark_group("generator");
    const N: u64 = 10_000;
    group.throughput(Throughput::Elements(N));
    // The default population (100,000 users: per-user state of several MB, so each event
    // touches lines outside the core's caches) and a small one that fits in L2, side by
    // side: the gap is what the per-user working set costs.
    for users in [GeneratorConfig::default().users, 1_000] {
        let mut g = Generator::new(GeneratorConfig { users, ..GeneratorConfig::default() });
        let mut seq = 0u64;
        group.bench_function(BenchmarkId::new("generate_and_encode", format!("{users}_users")), |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for _ in 0..N {
                    let r = g.next_record(1_764_000_000_000 + seq as i64, seq);
                    bytes += r.data.len();
                    seq += 1;
                }
                bytes
            })
        });
    }
    group.finish();
}

/// The local pipeline's stages one by one, each per element, so that a regression points
/// at its stage: the batcher (records into `PutRecords` requests), the stream model's put
/// (routing, the per-shard quota, the lanes), and the table model's `BatchWriteItem`
/// (the capacity model and one digest per item). Each timed batch starts from a fresh
/// stream or table (made outside the timing), so no state grows across iterations. The
/// generator and the processor (`handler/process_batch`) are the groups above.
fn stages(c: &mut Criterion) {
    use criterion::BatchSize;
    use loadgen_engine::load::batcher::{BatchLimits, Batcher};
    use loadgen_engine::load::generator::{Generator, GeneratorConfig};
    use loadgen_engine::sink::local::stores::CompactTable;
    use loadgen_engine::sink::local::stream::{Stream, WriteQuota};
    use loadgen_engine::sink::local::table_model::TableMode;
    use loadgen_engine::sink::{PutEntry, Route};
    use retail_events::{Event, RecordMeta, StoredItem};
    use retail_function::EventStore;

    const RECORDS: usize = 500;
    let mut g = Generator::new(GeneratorConfig::default());
    let entries: Vec<PutEntry> = (0..RECORDS as u64)
        .map(|i| {
            let r = g.next_record(1_764_000_000_000 + i as i64, i);
            PutEntry { data: r.data, partition_key: r.partition_key, route: Route::KEY, user_records: 1 }
        })
        .collect();
    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function(BenchmarkId::new("batcher", RECORDS), |b| {
        let mut batcher = Batcher::new(BatchLimits::default());
        let now = std::time::Instant::now();
        b.iter(|| {
            let mut requests = 0usize;
            for e in &entries {
                requests += usize::from(batcher.push(e.clone(), e.quota_bytes(), now).is_some());
            }
            requests + batcher.take().map_or(0, |r| r.len())
        })
    });
    // 64 shards, quotas no bench reaches: the put path, not throttling, is measured.
    let unlimited = WriteQuota { records_per_sec: 1e12, bytes_per_sec: 1e15 };
    group.bench_function(BenchmarkId::new("stream_put", RECORDS), |b| {
        b.iter_batched(
            // The stream takes the data of what it stores: each put gets its own entries.
            || (Stream::new(64, 1, unlimited, usize::MAX), entries.clone()),
            |(stream, mut entries)| stream.put(&mut entries, std::time::Instant::now(), 1_764_000_000_000),
            BatchSize::SmallInput,
        )
    });

    // The event source mapping's own work per record: reading a lane's records into the
    // Lambda event (envelope, base64 of the data), kept and refilled as each lane does.
    // The invocation it feeds is `handler/process_batch`.
    {
        use loadgen_engine::sink::local::esm::Delivery;
        const BATCH: usize = 100;
        let stream = Stream::new(1, 1, unlimited, usize::MAX);
        stream.put(&mut entries[..BATCH].to_vec(), std::time::Instant::now(), 1_764_000_000_000);
        let lane = &stream.shards[0].lanes[0];
        let records = lane.records.lock().expect("an unpoisoned lane");
        let mut delivery = Delivery::default();
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(BenchmarkId::new("esm_event", BATCH), |b| {
            b.iter(|| {
                delivery.read("shardId-000000000000", &records, BATCH);
                delivery.records().len()
            })
        });
        group.throughput(Throughput::Elements(RECORDS as u64));
    }

    const META: RecordMeta<'static> = RecordMeta {
        shard_id: "shardId-000000000003",
        sequence_number: "49590338271490256608559692538361571095921575989136588898",
        arrival_ms: 1_764_000_000_000,
        sub_sequence: None,
    };
    let events: Vec<Event<'_>> = entries
        .iter()
        .map(|e| Event::from_json(std::str::from_utf8(&e.data).expect("JSON")).expect("an event"))
        .collect();
    let items: Vec<StoredItem<'_>> = events
        .iter()
        .map(|e| StoredItem::build(e.clone(), &META, 1_764_000_000_500, 86_400).expect("a valid event"))
        .collect();
    let item_refs: Vec<&StoredItem<'_>> = items.iter().collect();
    let rt = runtime();
    group.bench_function(BenchmarkId::new("table_write", RECORDS), |b| {
        b.iter_batched(
            || {
                let provisioned = TableMode::Provisioned { wcu: 1e12 };
                CompactTable::new(Duration::ZERO, 0.0, provisioned, std::time::Instant::now(), 0)
            },
            |table| {
                rt.block_on(async {
                    let mut unprocessed = 0;
                    for call in item_refs.chunks(retail_function::ports::MAX_STORE_BATCH) {
                        unprocessed += table.put_batch(call).await.expect("the model answers").len();
                    }
                    (table, unprocessed)
                })
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn report(c: &mut Criterion) {
    use loadgen_report::{Format, Report};
    let result = benches::sample_run_stretched(600);
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    let report = Report::of(result.clone(), "sample").unwrap();
    for format in Format::ALL {
        let exporter = format.exporter();
        group.bench_function(BenchmarkId::new(format!("{format:?}").to_lowercase(), "600s"), |b| {
            b.iter(|| exporter.render(&report).unwrap().len())
        });
    }
    // What `loadgen report` does end to end, short of the disk: decode, then every format.
    group.bench_function(BenchmarkId::new("all", "600s"), |b| {
        b.iter(|| {
            let report = Report::of(result.clone(), "sample").unwrap();
            Format::ALL.iter().map(|f| f.exporter().render(&report).unwrap().len()).sum::<usize>()
        })
    });
    group.finish();
}

fn planning(c: &mut Criterion) {
    use loadgen_engine::capacity::plan::{plan, PlanRequest};
    use loadgen_engine::capacity::prices::Prices;
    // What `loadgen plan --rps 5000 --hot-key-share 0.01` plans.
    let request = PlanRequest { rps: Some(5000.0), hot_key_share: Some(0.01), ..PlanRequest::default() };
    let input = request.input(&[]).unwrap();
    let prices = Prices::default();
    c.bench_function("plan/from_parameters", |b| b.iter(|| loadgen_report::plan::render(&plan(&input, &prices)).len()));
}

criterion_group!(benches, handler, write_path, generator, stages, report, planning);
criterion_main!(benches);
