//! Measurement: what a run records while it runs.
//!
//! - [`ledger`]: where every event ended (the balance the summary checks);
//! - [`latency`]: HdrHistograms in µs and their percentiles, with the base64 codec
//!   `result.json` uses;
//! - [`timeline`]: the counters of the current second and the per-second points;
//! - [`sampling`]: the bounded tracer sample for end-to-end verification;
//! - [`stages`]: the stages of the end-to-end latency.
//!
//! The put latency is recorded twice: from the event's *intended* send time
//! (coordinated-omission corrected, what a user waiting on the pipeline experiences) and
//! from its actual first send.

pub mod latency;
pub mod ledger;
pub mod sampling;
pub mod stages;
pub mod timeline;

use serde::{Deserialize, Serialize};

pub use latency::{Latency, Percentiles};
pub use ledger::Ledger;
pub use sampling::{Reservoir, Tracer};
pub use stages::Stage;
pub use timeline::{Interval, TimelinePoint};

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

/// Everything the driver records, behind one lock.
#[derive(Debug)]
pub struct RunStats {
    /// The ledger.
    pub ledger: Ledger,
    /// Put latency from the intended send time to the acknowledgment: each second's
    /// histogram ([`Interval`]'s), added to it when that second closes.
    pub put_corrected: Latency,
    /// Put latency from the first actual send to the acknowledgment.
    pub put_uncorrected: Latency,
    /// Duration of each `PutRecords` call.
    pub service_time: Latency,
    /// Per shard.
    pub shards: Vec<ShardCounts>,
    /// The current second.
    pub interval: Interval,
    /// The stream window (seconds since the sink's origin) the current interval counts.
    pub window: u64,
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
            interval: Interval::default(),
            window: 0,
            timeline: Vec::new(),
            offered_bytes: 0,
            tracers: Reservoir::new(0, 0),
        }
    }
}
