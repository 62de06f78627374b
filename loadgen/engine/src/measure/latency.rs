//! Latency histograms and their percentiles.
//!
//! Latencies go into HdrHistograms in microseconds (3 significant digits, up to one
//! hour), so memory stays constant however long the run. `result.json` stores them in
//! HdrHistogram's V2 + DEFLATE form, base64-encoded ([`Latency::to_base64`]), so runs,
//! workers and seconds can be merged exactly later.

use std::time::Duration;

use hdrhistogram::Histogram;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        // 1 µs to 1 hour at 3 significant digits: ~180 KiB, fixed.
        Self(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"))
    }
}

impl Latency {
    /// The histogram itself (values in µs), for exporters that walk its buckets.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.0
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records one duration (clamped to the histogram's range).
    pub fn record(&mut self, d: Duration) {
        self.0.saturating_record((d.as_micros() as u64).max(1));
    }

    /// Records one duration `n` times (one value for every record of a batch).
    pub fn record_n(&mut self, d: Duration, n: u64) {
        self.0.saturating_record_n((d.as_micros() as u64).max(1), n);
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
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
        assert_eq!(back.histogram(), l.histogram());
        assert!(Latency::from_base64("").unwrap().is_empty());
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
}
