//! The once-a-second timeline: the counters of the current second, and the points
//! `result.json` keeps for every finished second.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::latency::Latency;

/// One second of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
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
    /// Accepted per shard, by the stream's one-second window of acceptance: the front is
    /// this interval's window, later entries windows that began before it closed.
    pub shard_windows: std::collections::VecDeque<Vec<u64>>,
}

impl Interval {
    /// Counts a record accepted by `shard` in window `offset` after this interval's.
    pub fn count_accepted(&mut self, shard: usize, offset: usize, shards: usize) {
        while self.shard_windows.len() <= offset {
            self.shard_windows.push_back(vec![0; shards]);
        }
        if let Some(n) = self.shard_windows[offset].get_mut(shard) {
            *n += 1;
        }
    }
}
