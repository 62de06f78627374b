//! Inputs and stand-ins shared by the benchmarks: realistic Kinesis batches and stores
//! that isolate the cost being measured.

#![forbid(unsafe_code)]

pub mod fast_endpoint;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use retail_events::StoredItem;
use retail_function::{EventStore, KinesisEventRecord, KinesisRecord, ServiceError};

/// A seeded xorshift64 generator: benchmark inputs need no `rand` and never change.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A deterministic batch of `n` retail events shaped like the Python baseline's (same
/// fields and sizes, plus the `eventId` this contract carries), a third of them cart or
/// purchase events with prices.
pub fn retail_batch(n: usize, now_ms: i64) -> Vec<KinesisEventRecord> {
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let users: Vec<String> = (0..20).map(|_| format!("user-{}", uuid_like(next(), next()))).collect();
    (0..n)
        .map(|i| {
            let user = &users[(next() % 20) as usize];
            let kind = ["view", "add_to_cart", "purchase"][(next() % 3) as usize];
            let money = if kind == "view" {
                String::new()
            } else {
                format!(r#","price":{}.99,"quantity":{},"currency":"USD""#, next() % 200, 1 + next() % 3)
            };
            let json = format!(
                r#"{{"eventId":"{}","userId":"{user}","eventType":"{kind}","productId":"P{:04}","timestamp":{},"sessionId":"{}","userAgent":"Mozilla/5.0","ipAddress":"10.0.{}.{}"{money}}}"#,
                uuid_like(next(), next()),
                1 + next() % 100,
                now_ms - 250,
                uuid_like(next(), next()),
                1 + next() % 255,
                1 + next() % 255,
            );
            record(i, json, user)
        })
        .collect()
}

/// The events of [`retail_batch`]`(n)` packed `per_record` to a KPL aggregate (the last
/// one may hold fewer): the same user records, fewer Kinesis records.
pub fn aggregated_batch(n: usize, per_record: usize, now_ms: i64) -> Vec<KinesisEventRecord> {
    use base64::Engine;
    let plain = retail_batch(n, now_ms);
    let decoded: Vec<(String, Vec<u8>)> = plain
        .iter()
        .map(|r| {
            let data = base64::engine::general_purpose::STANDARD.decode(&r.kinesis.data).expect("base64");
            (r.kinesis.partition_key.clone(), data)
        })
        .collect();
    decoded
        .chunks(per_record.max(1))
        .enumerate()
        .map(|(i, chunk)| {
            let data = retail_events::aggregation::encode(chunk.iter().map(|(k, d)| (k.as_str(), d.as_slice())));
            let mut r = record(i, String::new(), &chunk[0].0);
            r.kinesis.data = base64::engine::general_purpose::STANDARD.encode(data);
            r
        })
        .collect()
}

/// A deterministic batch of `n` events exactly as the Python baseline builds them
/// (`recipe_handler_bench.py`'s `make_batch`: the same seven fields, no `eventId`, no
/// prices, `json.dumps` spacing), so the two handlers are timed on the same input.
pub fn python_shaped_batch(n: usize, now_ms: i64) -> Vec<KinesisEventRecord> {
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let users: Vec<String> = (0..20).map(|_| format!("user-{}", uuid_like(next(), next()))).collect();
    (0..n)
        .map(|i| {
            let user = &users[(next() % 20) as usize];
            let kind = ["view", "add_to_cart", "purchase"][(next() % 3) as usize];
            let json = format!(
                r#"{{"userId": "{user}", "eventType": "{kind}", "productId": "P{:04}", "timestamp": {}, "sessionId": "{}", "userAgent": "Mozilla/5.0", "ipAddress": "10.0.{}.{}"}}"#,
                1 + next() % 100,
                now_ms - 250,
                uuid_like(next(), next()),
                1 + next() % 255,
                1 + next() % 255,
            );
            record(i, json, user)
        })
        .collect()
}

fn record(i: usize, json: String, partition_key: &str) -> KinesisEventRecord {
    let seq = format!("4959033827149025660855969253836157109592157598913{:07}", i);
    KinesisEventRecord {
        event_id: format!("shardId-000000000000:{seq}"),
        kinesis: KinesisRecord {
            data: base64::engine::general_purpose::STANDARD.encode(json),
            partition_key: partition_key.to_string(),
            sequence_number: seq,
            approximate_arrival_timestamp: 1_764_000_000.0,
            kinesis_schema_version: Some("1.0".into()),
            ..Default::default()
        },
        event_source_arn: Some("arn:aws:kinesis:us-east-1:123456789012:stream/bench".into()),
        ..Default::default()
    }
}

fn uuid_like(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// A store that accepts every item at once and keeps only a checksum of what it saw, so
/// a benchmark measures the processor, not a map's growth.
#[derive(Debug, Default)]
pub struct CountingStore {
    bytes: AtomicU64,
}

impl CountingStore {
    /// Total key bytes seen (keeps the work observable to the optimiser).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl EventStore for CountingStore {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        let n: usize = items.iter().map(|i| i.user_id.len() + i.event.event_id.as_deref().map_or(0, str::len)).sum();
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(Vec::new())
    }
}

/// A store whose every call takes a fixed time (a DynamoDB round trip) and succeeds.
#[derive(Debug)]
pub struct SlowStore {
    /// Time per call.
    pub latency: Duration,
}

impl EventStore for SlowStore {
    async fn put_batch(&self, _items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        tokio::time::sleep(self.latency).await;
        Ok(Vec::new())
    }
}

/// The original function's write pattern: one `PutItem` per record, in sequence, against
/// `store`. Returns the number of items written.
pub async fn write_one_by_one<S: EventStore>(store: &S, records: &[KinesisEventRecord], now_ms: i64) -> usize {
    let decoded = retail_function::decode::DecodedBatch::decode(records);
    let mut written = 0;
    for i in 0..records.len() {
        if let Ok(item) = decoded.item(records, i, now_ms, 86_400) {
            if store.put_batch(&[&item]).await.is_ok() {
                written += 1;
            }
        }
    }
    written
}

/// The committed sample run (`reports/sample/7-shards`, a real two-minute local run),
/// stretched to `seconds` by repeating its seconds: the size of a run that long, with
/// real per-second histograms.
pub fn sample_run_stretched(seconds: usize) -> loadgen_engine::RunResult {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/sample/7-shards/result.json");
    let mut r =
        loadgen_engine::outcome::result::load(std::path::Path::new(path)).expect("the committed sample result loads");
    let source = std::mem::take(&mut r.timeline);
    // Skip the drain seconds at the end: repeat the seconds under load.
    let loaded: Vec<_> = source.iter().filter(|p| p.target_rps > 0.0).cloned().collect();
    r.timeline = (0..seconds)
        .map(|i| loadgen_engine::measure::TimelinePoint { t: (i + 1) as f64, ..loaded[i % loaded.len()].clone() })
        .collect();
    r.duration_s = seconds as f64;
    r
}
