//! `result.json`: everything a run measured, in a stable, schema-described format.
//!
//! The schema is derived from these types (`schemars`) and committed at
//! `loadgen/schema/result.schema.json`; a test fails when the two differ, and the CLI's
//! tests validate real results against it. Histograms are included in HdrHistogram's V2 compressed
//! form, base64-encoded, so that results of several runs or workers can be merged exactly.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::verify::VerifyResult;
use crate::capacity::shards::{KeyLoad, ShardPlan};
use crate::measure::{Ledger, Percentiles, TimelinePoint};
use crate::outcome::thresholds::ThresholdResult;

/// Version of the result format.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunResult {
    /// Format version.
    pub schema_version: u32,
    /// The tool and its version.
    pub tool: String,
    /// Start of the run, RFC 3339.
    pub started_at: String,
    /// Seconds from the first due event to the last acknowledgment.
    pub duration_s: f64,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// What was targeted.
    pub target: Target,
    /// The options that shaped the run.
    pub config: RunConfigSummary,
    /// Rates.
    pub rate: Rate,
    /// Where every event ended.
    pub ledger: Ledger,
    /// Latency percentiles, ms.
    pub latency_ms: LatencySet,
    /// Per shard.
    pub shards: Vec<ShardResult>,
    /// The pipeline behind the stream (the local model's; `None` when not observed).
    pub pipeline: Option<Pipeline>,
    /// End-to-end verification against a deployed pipeline (`--table`, `--dlq-url`).
    pub verify: Option<VerifyResult>,
    /// The hottest partition keys (with `--keys user`).
    pub hot_keys: Vec<HotKeyResult>,
    /// The shard recommendation.
    pub recommendation: ShardPlan,
    /// The verdict.
    pub verdict: Verdict,
    /// Thresholds and whether each passed.
    pub thresholds: Vec<ThresholdResult>,
    /// One point per second.
    pub timeline: Vec<TimelinePoint>,
    /// Full histograms, base64 of HdrHistogram V2 + DEFLATE, values in µs.
    pub histograms: BTreeMap<String, String>,
}

/// What kind of target a run had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// The embedded local pipeline model.
    Local,
    /// A Kinesis stream (AWS, LocalStack or an emulator).
    Kinesis,
}

impl std::fmt::Display for TargetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TargetKind::Local => "local",
            TargetKind::Kinesis => "kinesis",
        })
    }
}

/// The target of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Target {
    /// The embedded pipeline or a stream.
    pub kind: TargetKind,
    /// Shards of the stream.
    pub shards: usize,
    /// Stream name (`kinesis`).
    pub stream: Option<String>,
    /// `PROVISIONED` or `ON_DEMAND` (`kinesis`).
    pub mode: Option<String>,
}

/// The run's options, as they shape the figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunConfigSummary {
    /// The rate profile, as given.
    pub profile: String,
    /// `uniform` or `poisson`.
    pub arrivals: String,
    /// Seconds of load.
    pub duration_s: f64,
    /// The seed (repeat the run with `--seed`).
    pub seed: u64,
    /// `user`, `random` or `explicit-hash`.
    pub key_model: String,
    /// Distinct users.
    pub users: usize,
    /// User popularity, as given.
    pub user_popularity: String,
    /// Padding target, if any.
    pub payload_bytes: Option<usize>,
    /// Share of invalid records.
    pub invalid_rate: f64,
    /// Event source mapping batch size.
    pub batch_size: usize,
    /// Batching window, seconds.
    pub batching_window_s: f64,
    /// Parallelization factor.
    pub parallelization_factor: usize,
    /// Modelled table write latency, ms.
    pub table_write_latency_ms: f64,
    /// Records per PutRecords request.
    pub max_batch_records: usize,
    /// Producer linger, ms.
    pub linger_ms: f64,
    /// Requests in flight at most.
    pub max_in_flight: usize,
}

/// Rates over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rate {
    /// Mean rate the profile asked for over the run (events / scheduled seconds).
    pub target_rps: f64,
    /// Highest rate of the profile.
    pub peak_target_rps: f64,
    /// Events accepted per second of the run.
    pub achieved_rps: f64,
    /// Events handed over later than 10 ms after their due time.
    pub late_sends: u64,
    /// Mean record size, bytes (data plus partition key).
    pub mean_record_bytes: f64,
}

/// The latency histograms' percentiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LatencySet {
    /// Put latency from the intended send time (coordinated-omission corrected).
    pub put_corrected: Percentiles,
    /// Put latency from the actual first send.
    pub put_uncorrected: Percentiles,
    /// Duration of each PutRecords call.
    pub service_time: Percentiles,
    /// Intended send time to `processedAt`, for events the pipeline wrote.
    pub end_to_end: Option<Percentiles>,
}

/// One shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ShardResult {
    /// `shardId-000000000000`.
    pub shard_id: String,
    /// Records accepted.
    pub records: u64,
    /// Bytes accepted.
    pub bytes: u64,
    /// Throttling answers.
    pub throttled: u64,
    /// Mean utilisation of the write quota over the run (the larger of records and bytes).
    pub utilization: f64,
    /// Highest one-second utilisation.
    pub peak_utilization: f64,
}

impl ShardResult {
    /// A shard's totals over `elapsed_s` seconds, with the records of its busiest second.
    pub fn measured(
        shard_id: String,
        records: u64,
        bytes: u64,
        throttled: u64,
        elapsed_s: f64,
        peak_second_records: u64,
    ) -> Self {
        let mean_bytes = if records > 0 { bytes as f64 / records as f64 } else { 0.0 };
        let util =
            |records: f64, secs: f64| crate::capacity::quotas::shard_write_utilization(records / secs, mean_bytes);
        Self {
            shard_id,
            records,
            bytes,
            throttled,
            utilization: util(records as f64, elapsed_s),
            peak_utilization: util(peak_second_records as f64, 1.0),
        }
    }
}

/// What the pipeline behind the stream did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pipeline {
    /// Distinct items in the table.
    pub table_items: u64,
    /// Messages in the dead-letter queue.
    pub dlq_messages: u64,
    /// Dead letters by error kind.
    pub dlq_by_kind: BTreeMap<String, u64>,
    /// Lambda invocations.
    pub invocations: u64,
    /// Records delivered to the function (redeliveries included).
    pub delivered: u64,
    /// Records the function reported for retry.
    pub reported_for_retry: u64,
    /// Records the event source mapping discarded after its retries.
    pub discarded: u64,
    /// Invocations that failed as a whole.
    pub function_errors: u64,
    /// Largest iterator age, ms.
    pub max_iterator_age_ms: f64,
    /// Mean records per invocation.
    pub mean_batch_size: f64,
    /// Invocation duration percentiles, ms.
    pub invocation_ms: Percentiles,
    /// Accepted valid events that are neither in the table nor dead-lettered.
    pub lost: u64,
    /// Whether the pipeline finished processing within `--settle`.
    pub drained: bool,
    /// `BatchWriteItem` calls.
    pub table_write_calls: u64,
    /// Estimated memory per stored item in the local table, bytes.
    pub table_bytes_per_item: u64,
}

/// One hot key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HotKeyResult {
    /// The partition key.
    pub key: String,
    /// Events sent under it.
    pub events: u64,
    /// Its share of all events.
    pub share: f64,
    /// Its records/s at the profile's peak.
    pub peak_rps: f64,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Verdict {
    /// Whether the pipeline held the load: no throttling, nothing lost, consumer kept up.
    pub holds: bool,
    /// One sentence each.
    pub findings: Vec<String>,
    /// A key no shard count can carry, if any.
    pub unfixable_key: Option<KeyLoad>,
}

/// Accepted valid events that never reached the table: the local pipeline's count, plus
/// the tracer events verification could not find.
pub fn lost(pipeline: Option<&Pipeline>, verify: Option<&VerifyResult>) -> u64 {
    pipeline.map_or(0, |p| p.lost) + verify.map_or(0, |v| v.missing)
}

impl RunResult {
    /// Accepted valid events that never reached the table ([`lost`]).
    pub fn lost(&self) -> u64 {
        lost(self.pipeline.as_ref(), self.verify.as_ref())
    }

    /// Whether every threshold passed.
    pub fn thresholds_passed(&self) -> bool {
        self.thresholds.iter().all(|t| t.passed)
    }
}

/// Why a `result.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file (or `DIR/result.json`) is missing or unreadable.
    #[error("cannot read {path}: {source}. Give a result.json written by `loadgen --out DIR`, or that directory")]
    Read {
        /// The path tried.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a loadgen result (wrong file, or cut short).
    #[error("{path} is not a loadgen result.json: {detail}")]
    Parse {
        /// The file.
        path: String,
        /// What the JSON parser said.
        detail: String,
    },
    /// Written by a loadgen with another result format.
    #[error("{path} is in result format version {found}; this loadgen reads version {SCHEMA_VERSION}. Render it with the loadgen that wrote it")]
    Version {
        /// The file.
        path: String,
        /// Its `schema_version`.
        found: u64,
    },
}

/// Reads a result: `path` is a `result.json` or a directory holding one.
pub fn load(path: &Path) -> Result<RunResult, LoadError> {
    let file = if path.is_dir() { path.join("result.json") } else { path.to_path_buf() };
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(&file).map_err(|source| LoadError::Read { path: shown.clone(), source })?;
    serde_json::from_str(&text).map_err(|e| {
        // A result of another format version parses as JSON but not as this RunResult:
        // say which version it is rather than which field is missing.
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("schema_version").and_then(serde_json::Value::as_u64));
        match version {
            Some(found) if found != u64::from(SCHEMA_VERSION) => LoadError::Version { path: shown.clone(), found },
            _ => LoadError::Parse { path: shown.clone(), detail: e.to_string() },
        }
    })
}
