//! What a run measures: the ledger, latency histograms, per-shard counts and a
//! once-a-second timeline.
//!
//! Latencies go into HdrHistograms in microseconds (3 significant digits, up to one
//! hour), so memory stays constant however long the run. The put latency is recorded
//! twice: from the event's *intended* send time (coordinated-omission corrected, what a
//! user waiting on the pipeline experiences) and from its actual first send.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Where every generated event ended. After a settled run,
/// `generated == accepted + expired + rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Events the schedule produced.
    pub generated: u64,
    /// Events the stream stored (first try or after retries).
    pub accepted: u64,
    /// Of `accepted`, those that needed at least one retry.
    pub accepted_after_retry: u64,
    /// Throttling answers (`ProvisionedThroughputExceededException`), counting every
    /// attempt.
    pub throttled: u64,
    /// Distinct events throttled at least once.
    pub throttled_events: u64,
    /// Other per-record failures (`InternalFailure`) and failed requests, per attempt.
    pub failed_attempts: u64,
    /// Re-sends.
    pub retries: u64,
    /// Events given up on when their time-to-live ran out (or the run stopped) before the
    /// stream took them.
    pub expired: u64,
    /// Events the stream refused outright.
    pub rejected: u64,
    /// `rejected` by reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Events made invalid on purpose (`--invalid-rate`); part of `generated`.
    pub invalid_injected: u64,
    /// Of those, the ones the stream accepted (the pipeline must dead-letter them).
    pub invalid_accepted: u64,
    /// Events handed to the batcher later than `late_threshold` after their due time.
    pub late_sends: u64,
}

impl Ledger {
    /// Whether every generated event is in exactly one final bucket.
    pub fn balanced(&self) -> bool {
        self.generated == self.accepted + self.expired + self.rejected
    }

    /// Adds another ledger's counts (runs of several workers).
    pub fn add(&mut self, other: &Ledger) {
        self.generated += other.generated;
        self.accepted += other.accepted;
        self.accepted_after_retry += other.accepted_after_retry;
        self.throttled += other.throttled;
        self.throttled_events += other.throttled_events;
        self.failed_attempts += other.failed_attempts;
        self.retries += other.retries;
        self.expired += other.expired;
        self.rejected += other.rejected;
        for (k, v) in &other.rejected_by_reason {
            *self.rejected_by_reason.entry(k.clone()).or_default() += v;
        }
        self.invalid_injected += other.invalid_injected;
        self.invalid_accepted += other.invalid_accepted;
        self.late_sends += other.late_sends;
    }

    /// Throttling answers per put attempt.
    pub fn throttle_rate(&self) -> f64 {
        let attempts = self.accepted + self.throttled + self.failed_attempts + self.rejected;
        if attempts == 0 {
            0.0
        } else {
            self.throttled as f64 / attempts as f64
        }
    }
}

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct Latency(pub Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        // 1 µs to 1 hour at 3 significant digits: ~180 KiB, fixed.
        Self(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"))
    }
}

impl Latency {
    /// Records one duration (clamped to the histogram's range).
    pub fn record(&mut self, d: Duration) {
        self.0.saturating_record((d.as_micros() as u64).max(1));
    }

    /// Records one duration in milliseconds.
    pub fn record_ms(&mut self, ms: i64) {
        self.0.saturating_record((ms.max(0) as u64 * 1000).max(1));
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Latency) {
        // Same bounds everywhere, so `add` cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// HdrHistogram's V2 + DEFLATE form, base64-encoded: what `result.json` stores, so
    /// runs and intervals can be merged exactly later. Empty for an empty histogram.
    pub fn to_base64(&self) -> String {
        use base64::Engine;
        use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
        if self.0.is_empty() {
            return String::new();
        }
        let mut buf = Vec::new();
        // Serialising to memory only fails on histograms too large for the format.
        if V2DeflateSerializer::new().serialize(&self.0, &mut buf).is_err() {
            return String::new();
        }
        base64::engine::general_purpose::STANDARD.encode(buf)
    }

    /// Reads what [`Latency::to_base64`] wrote; an empty string is an empty histogram.
    /// `None` when the text is not a serialised HdrHistogram.
    pub fn from_base64(s: &str) -> Option<Latency> {
        use base64::Engine;
        if s.is_empty() {
            return Some(Latency::default());
        }
        let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        let h: Histogram<u64> =
            hdrhistogram::serialization::Deserializer::new().deserialize(&mut bytes.as_slice()).ok()?;
        // Re-home the counts in the standard bounds so histograms from any run merge.
        let mut l = Latency::default();
        l.0.add(&h).ok()?;
        Some(l)
    }

    /// The summary written to reports.
    pub fn percentiles(&self) -> Percentiles {
        let h = &self.0;
        let ms = |v: u64| v as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// Per-shard write counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardCounts {
    /// Records stored.
    pub records: u64,
    /// Bytes stored (data plus partition key).
    pub bytes: u64,
    /// Throttling answers.
    pub throttled: u64,
}

/// One second of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the start (end of the interval).
    pub t: f64,
    /// Rate the profile asked for at that time.
    pub target_rps: f64,
    /// Events generated in the interval, per second.
    pub generated_rps: f64,
    /// Events accepted in the interval, per second.
    pub achieved_rps: f64,
    /// Events handed over late in the interval.
    pub late: u64,
    /// Throttling answers in the interval.
    pub throttled: u64,
    /// Re-sends in the interval.
    pub retries: u64,
    /// Corrected put latency p50 in the interval, ms.
    pub put_p50_ms: f64,
    /// Corrected put latency p99 in the interval, ms.
    pub put_p99_ms: f64,
    /// Corrected put latency max in the interval, ms.
    pub put_max_ms: f64,
    /// Records stored in the stream, not yet processed, at the end of the interval.
    pub backlog: u64,
    /// Largest iterator age seen in the interval, ms.
    pub iterator_age_ms: f64,
    /// End-to-end latency p99 of events processed in the interval, ms.
    pub end_to_end_p99_ms: f64,
    /// Records accepted per shard in the interval.
    pub shard_records: Vec<u64>,
    /// The interval's corrected put latency histogram ([`Latency::to_base64`]): the source
    /// of HdrHistogram interval logs and of exact per-second percentiles when runs merge.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub put_histogram: String,
    /// The interval's end-to-end latency histogram, when the pipeline was observed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub end_to_end_histogram: String,
}

/// Counters of the current interval, reset every second.
#[derive(Debug, Default)]
pub struct Interval {
    /// Events generated.
    pub generated: u64,
    /// Late events.
    pub late: u64,
    /// Events accepted.
    pub accepted: u64,
    /// Throttling answers.
    pub throttled: u64,
    /// Re-sends.
    pub retries: u64,
    /// Corrected put latency.
    pub put: Latency,
    /// Accepted per shard.
    pub shard_records: Vec<u64>,
}

/// An event chosen to be looked up in the table after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracer {
    /// Its `userId` (the table's hash key).
    pub user_id: Arc<str>,
    /// Its `eventId`.
    pub event_id: u128,
    /// Its intended send time, epoch ms (the range key's time part).
    pub timestamp_ms: i64,
}

/// A uniform sample of bounded size over a stream of unknown length (Vitter's algorithm
/// R): memory does not grow with the run.
#[derive(Debug, Clone)]
pub struct Reservoir {
    capacity: usize,
    seen: u64,
    items: Vec<Tracer>,
    rng: SmallRng,
}

impl Reservoir {
    /// An empty sample of at most `capacity` events.
    pub fn new(capacity: usize, seed: u64) -> Self {
        Self { capacity, seen: 0, items: Vec::with_capacity(capacity.min(1 << 16)), rng: SmallRng::seed_from_u64(seed) }
    }

    /// Offers one event.
    pub fn offer(&mut self, t: Tracer) {
        if self.capacity == 0 {
            return;
        }
        self.seen += 1;
        if self.items.len() < self.capacity {
            self.items.push(t);
        } else {
            let j = self.rng.random_range(0..self.seen);
            if (j as usize) < self.capacity {
                self.items[j as usize] = t;
            }
        }
    }

    /// The sample.
    pub fn items(&self) -> &[Tracer] {
        &self.items
    }
}

/// Everything the driver records, behind one lock.
#[derive(Debug)]
pub struct RunStats {
    /// The ledger.
    pub ledger: Ledger,
    /// Put latency from the intended send time to the acknowledgment.
    pub put_corrected: Latency,
    /// Put latency from the first actual send to the acknowledgment.
    pub put_uncorrected: Latency,
    /// Duration of each `PutRecords` call.
    pub service_time: Latency,
    /// Per shard.
    pub shards: Vec<ShardCounts>,
    /// The current second.
    pub interval: Interval,
    /// Past seconds.
    pub timeline: Vec<TimelinePoint>,
    /// Offered load per second (generated events), for the planner.
    pub offered_bytes: u64,
    /// Accepted valid events sampled for end-to-end verification.
    pub tracers: Reservoir,
}

impl RunStats {
    /// Empty statistics for `shards` shards.
    pub fn new(shards: usize) -> Self {
        Self {
            ledger: Ledger::default(),
            put_corrected: Latency::default(),
            put_uncorrected: Latency::default(),
            service_time: Latency::default(),
            shards: vec![ShardCounts::default(); shards],
            interval: Interval { shard_records: vec![0; shards], ..Interval::default() },
            timeline: Vec::new(),
            offered_bytes: 0,
            tracers: Reservoir::new(0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_through_base64() {
        let mut l = Latency::default();
        for ms in 1..500 {
            l.record(Duration::from_millis(ms));
        }
        let back = Latency::from_base64(&l.to_base64()).unwrap();
        assert_eq!(back.0, l.0);
        assert!(Latency::from_base64("").unwrap().0.is_empty());
        assert!(Latency::from_base64("not a histogram").is_none());
    }

    #[test]
    fn percentiles_in_milliseconds() {
        let mut l = Latency::default();
        for ms in 1..=1000 {
            l.record(Duration::from_millis(ms));
        }
        let p = l.percentiles();
        assert_eq!(p.count, 1000);
        assert!((p.p50 - 500.0).abs() < 1.0, "{p:?}");
        assert!((p.p99 - 990.0).abs() < 1.0, "{p:?}");
        assert!((p.max - 1000.0).abs() < 1.0, "{p:?}");
    }

    #[test]
    fn the_reservoir_is_bounded_and_uniform() {
        let mut r = Reservoir::new(100, 1);
        let t = |i: i64| Tracer { user_id: Arc::from("u"), event_id: i as u128, timestamp_ms: i };
        for i in 0..100_000 {
            r.offer(t(i));
        }
        assert_eq!(r.items().len(), 100);
        let late = r.items().iter().filter(|x| x.timestamp_ms >= 50_000).count();
        assert!((30..=70).contains(&late), "about half from the second half: {late}");
    }

    #[test]
    fn ledger_balance_and_throttle_rate() {
        let l = Ledger { generated: 10, accepted: 7, expired: 2, rejected: 1, throttled: 3, ..Ledger::default() };
        assert!(l.balanced());
        assert!((l.throttle_rate() - 3.0 / 11.0).abs() < 1e-9);
    }
}
