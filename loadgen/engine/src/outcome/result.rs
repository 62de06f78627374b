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
use crate::capacity::shards::KeyLoad;
use crate::measure::{Ledger, Percentiles, TimelinePoint};
use crate::outcome::thresholds::ThresholdResult;

/// Version of the result format. Version 1 results (no offered rate, no verdict state)
/// still load: [`load`] fills in what they lack.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// The deployed pipeline's CloudWatch metrics over the run's window (runs against a
    /// stream, unless `--no-pipeline-metrics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_metrics: Option<crate::outcome::measured::PipelineMetrics>,
    /// Which worker of a split load this was, if the load was split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<WorkerResult>,
    /// KPL aggregation, when the run aggregated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<AggregationResult>,
    /// What the producer model did, when it paced records per shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<ProducerResult>,
    /// The hottest partition keys (with `--keys user`).
    pub hot_keys: Vec<HotKeyResult>,
    /// What the load needs: shards (or the keys to spread first), table, Lambda, cost.
    pub recommendation: Recommendation,
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
    /// How long an event is retried, from its intended send time, seconds.
    #[serde(default = "default_record_ttl_s")]
    pub record_ttl_s: f64,
    /// The producer model: `naive`, `kpl` or `adaptive` (results written before the
    /// models existed were naive).
    #[serde(default = "default_producer")]
    pub producer: String,
    /// The scenario file the options came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<crate::config::ScenarioRecord>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn default_producer() -> String {
    "naive".into()
}

/// Which worker of a split load this run was (`--worker I/N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WorkerResult {
    /// Its index, `0..count`.
    pub index: usize,
    /// Workers in all.
    pub count: usize,
    /// The load's identity: the same on every worker of one load (a digest of the seed,
    /// the rate profile, the arrivals, the duration and the worker count).
    pub load_id: String,
}

/// KPL aggregation over the run (`--aggregate`): what the stream's quota charged (Kinesis
/// records) against the events they carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AggregationResult {
    /// An aggregated record's data at most, bytes.
    pub max_bytes: u64,
    /// Kinesis records the stream accepted.
    pub kinesis_records: u64,
    /// Events (user records) they carried.
    pub user_records: u64,
    /// User records per Kinesis record.
    pub ratio: f64,
}

/// What a pacing producer model did (`--producer kpl|adaptive`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ProducerResult {
    /// `kpl` or `adaptive`.
    pub model: String,
    /// The KPL's rate limit as a share of the shard quota (kpl).
    pub rate_limit: Option<f64>,
    /// Records the per-shard limiter made wait at least once.
    pub held_back: u64,
    /// Most events waiting in the producer's queues at once.
    pub buffer_high_water: u64,
    /// Events expired because the producer's buffer was full (`--max-buffered`).
    pub buffer_full: u64,
    /// Events expired waiting in the producer's queues (their time-to-live ran out).
    pub expired_waiting: u64,
    /// Times a shard's rate was cut after throttling (adaptive).
    pub rate_decreases: u64,
    /// The lowest rate a shard ran at, as a share of its quota (adaptive).
    pub lowest_rate_share: Option<f64>,
    /// The shards' mean rate at the end, as a share of the quota (adaptive).
    pub final_rate_share: Option<f64>,
}

fn default_record_ttl_s() -> f64 {
    30.0
}

/// Rates over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rate {
    /// Mean rate the profile asked for over the run (events / scheduled seconds).
    pub target_rps: f64,
    /// Highest rate of the profile.
    pub peak_target_rps: f64,
    /// Events generated per second of the load window: what was actually offered. Below
    /// the target, the generator or the endpoint fell behind and the run is inconclusive.
    #[serde(default)]
    pub offered_rps: f64,
    /// Events the stream accepted within the load window, per second of it (the drain
    /// after the schedule is not counted: retries that land then do not make the stream
    /// look faster or slower than it was).
    pub achieved_rps: f64,
    /// Seconds of the load window: from the first due event until the schedule ended.
    #[serde(default)]
    pub load_s: f64,
    /// Seconds after the load window until the last request settled.
    #[serde(default)]
    pub drain_s: f64,
    /// Events handed over later than 10 ms after their due time (beyond the linger, at
    /// rates too low to fill a request within it: the driver waits it on purpose).
    pub late_sends: u64,
    /// Events this worker missed because it joined the load after its start
    /// (`--start-at` in the past, `--late-start join`): never sent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub missed_at_start: u64,
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
    /// The end-to-end latency by stage, in the order events pass them (the stages the run
    /// could measure; see [`crate::measure::stages`]).
    #[serde(default)]
    pub stages: Vec<StageLatency>,
}

/// One stage's latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StageLatency {
    /// The stage.
    pub stage: crate::measure::Stage,
    /// Its percentiles, ms.
    pub latency: Percentiles,
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
    /// A shard's totals over `elapsed_s` seconds, with its busiest second's records/s
    /// ([`peak_shard_rates`]).
    pub fn measured(
        shard_id: String,
        records: u64,
        bytes: u64,
        throttled: u64,
        elapsed_s: f64,
        peak_records_per_sec: f64,
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
            peak_utilization: util(peak_records_per_sec, 1.0),
        }
    }
}

/// Each shard's highest records/s over the timeline's intervals, each divided by its own
/// length (an interval that closed late holds more than a second's records).
pub fn peak_shard_rates(timeline: &[TimelinePoint], shards: usize) -> Vec<f64> {
    let mut peaks = vec![0.0f64; shards];
    let mut previous = 0.0;
    for p in timeline {
        let secs = (p.t - previous).max(1.0);
        previous = p.t;
        for (peak, n) in peaks.iter_mut().zip(&p.shard_records) {
            *peak = peak.max(*n as f64 / secs);
        }
    }
    peaks
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
    /// Accepted events still in the stream when the run ended (an interrupted or
    /// undrained run): not yet processed, which is not lost.
    #[serde(default)]
    pub not_processed: u64,
    /// Valid events the function dead-lettered instead of storing (an item over
    /// DynamoDB's 400 KB, say): in the queue, not lost, and not in the table.
    #[serde(default)]
    pub valid_dead_lettered: u64,
    /// Whether the pipeline finished processing within `--settle`.
    pub drained: bool,
    /// `BatchWriteItem` calls.
    pub table_write_calls: u64,
    /// Estimated memory per stored item in the local table, bytes.
    pub table_bytes_per_item: u64,
    /// The table's write capacity as the local model ran it (absent in results written
    /// before the model existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_capacity: Option<TableCapacityResult>,
    /// The modelled function: its memory and CPU share, concurrency and cold starts
    /// (absent in results written before the model existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_model: Option<LambdaModelResult>,
}

/// The function as the local pipeline's model ran it (`docs/aws-quotas.md`, Lambda).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LambdaModelResult {
    /// Memory, MB.
    pub memory_mb: u32,
    /// Share of one vCPU that memory gives (1.0 from 1,769 MB).
    pub cpu_share: f64,
    /// Concurrent executions at most.
    pub concurrency_limit: u32,
    /// Most executions busy at once.
    pub peak_concurrency: u64,
    /// Invocations that found the limit reached and waited.
    pub throttled_invocations: u64,
    /// New execution environments started.
    pub cold_starts: u64,
    /// The processor's CPU time per invocation on this machine (one core as one vCPU), ms.
    pub cpu_ms_per_invocation: f64,
    /// The same work at the function's CPU share, ms per invocation.
    pub modelled_cpu_ms_per_invocation: f64,
}

/// DynamoDB's write capacity over the run, as the local pipeline's model enforced it
/// (`docs/aws-quotas.md`, DynamoDB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TableCapacityResult {
    /// `on-demand` or `provisioned`.
    pub mode: String,
    /// The table's write units per second before burst capacity: provisioned WCU, or the
    /// on-demand ceiling (double the previous peak, at least 4,000).
    pub capacity_wcu: f64,
    /// Write units consumed.
    pub consumed_wcu: f64,
    /// Most write units consumed in one second.
    pub peak_wcu_per_sec: f64,
    /// Most write units asked in one second, retries and throttled ones included.
    pub peak_demand_wcu_per_sec: f64,
    /// Items refused because their partition key was past 1,000 WCU in a second.
    pub throttled_partition: u64,
    /// Items refused because the table was past its capacity (and burst).
    pub throttled_table: u64,
    /// The user whose key asked most in one second, when that key was throttled.
    pub hottest_key: Option<String>,
    /// What that key asked in its busiest second, WCU.
    pub hottest_key_wcu_per_sec: f64,
    /// Seconds into the run when provisioned burst capacity ran out.
    pub burst_exhausted_at_s: Option<f64>,
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

/// Whether the pipeline held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictState {
    /// The load was offered as asked and every stage kept up.
    Holds,
    /// Some stage failed under the load (even if the load was not offered in full).
    DoesNotHold,
    /// Nothing failed, but the load was not offered as asked (the generator or the
    /// endpoint fell behind, or the run was stopped): the run says nothing about the
    /// pipeline at the asked rate.
    Inconclusive,
}

/// Where the pipeline gives way first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BottleneckKind {
    /// The stream's per-shard write quota (too few shards).
    StreamWriteQuota,
    /// One partition key over what one shard takes.
    HotKey,
    /// The stream's read side (standard consumers share 2 MiB/s per shard).
    StreamReadSide,
    /// Lambda's concurrency (lanes = shards × parallelization factor).
    LambdaConcurrency,
    /// Lambda's invocations take too long for the rate: the iterator age grows.
    LambdaDuration,
    /// The function's invocations fail (CloudWatch `Errors` of a deployed function).
    LambdaErrors,
    /// One DynamoDB partition (a hot user over 1,000 WCU).
    DynamodbPartition,
    /// The DynamoDB table's capacity: writes throttled, events not stored.
    DynamodbTable,
    /// The dead-letter path: invalid records not dead-lettered one for one.
    DeadLetterPath,
    /// The producer or the endpoint: the load was not offered as asked.
    Producer,
}

/// The bottleneck and the measured figure that shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Bottleneck {
    /// Which stage.
    pub kind: BottleneckKind,
    /// What was measured (or, for a DynamoDB partition, what the load puts on it).
    pub measured: f64,
    /// The limit it is measured against.
    pub limit: f64,
    /// The unit of both.
    pub unit: String,
    /// The key or shard concerned, if one.
    pub subject: Option<String>,
}

/// The verdict: computed once per run (or merged run); every output renders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Verdict {
    /// Holds, does not hold, or inconclusive.
    #[serde(default = "default_state")]
    pub state: VerdictState,
    /// `state == holds` (kept for readers of version 1 results).
    pub holds: bool,
    /// Where the pipeline gives way first, if it does.
    #[serde(default)]
    pub bottleneck: Option<Bottleneck>,
    /// The answer in one line: the first line of every output.
    #[serde(default)]
    pub headline: String,
    /// One sentence each, in a fixed order (the load, the stream, hot keys, the
    /// consumer, the table, the dead-letter queue, verification, the recommendation).
    pub findings: Vec<String>,
    /// A key no shard count can carry, if any.
    pub unfixable_key: Option<KeyLoad>,
}

fn default_state() -> VerdictState {
    VerdictState::Inconclusive
}

/// The DynamoDB table the load needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TableRecommendation {
    /// `on-demand` or `provisioned`: the cheaper for the load.
    pub mode: String,
    /// Write capacity units to provision (provisioned) or the peak write units per
    /// second the table must absorb (on-demand).
    pub units: f64,
    /// What the table costs a month in that mode (writes and storage).
    #[serde(default)]
    pub monthly_cost_usd: f64,
}

/// The Lambda settings the plan assumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LambdaRecommendation {
    /// Event source mapping batch size.
    pub batch_size: usize,
    /// Batching window, seconds.
    pub batching_window_s: f64,
    /// Parallelization factor.
    pub parallelization_factor: usize,
    /// Function memory, MB.
    pub memory_mb: u32,
    /// Share of the time each lane is busy (≥ 1: the iterator age grows).
    pub lane_utilization: f64,
    /// What the function costs a month on arm64 (requests and GB-seconds).
    #[serde(default)]
    pub monthly_cost_usd: f64,
    /// When these settings leave the lanes over 70% busy: the settings that would not,
    /// one per knob, cheapest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<LambdaOption>,
}

/// A Lambda setting that keeps the lanes under 70% busy, and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LambdaOption {
    /// The knob changed: `memory`, `batch size` or `parallelization factor`.
    pub setting: String,
    /// Function memory, MB.
    pub memory_mb: u32,
    /// Event source mapping batch size.
    pub batch_size: usize,
    /// Parallelization factor.
    pub parallelization_factor: usize,
    /// Expected invocation duration, ms.
    pub invocation_ms: f64,
    /// Busy share of each lane.
    pub lane_utilization: f64,
    /// What the function costs a month on arm64 with it.
    pub monthly_cost_usd: f64,
}

/// The stream with and without KPL aggregation, for the same load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AggregationRecommendation {
    /// Events per aggregated Kinesis record the plan expects.
    pub events_per_record: f64,
    /// Shards with aggregation.
    pub aggregated_shards: u64,
    /// The stream's monthly cost with aggregation.
    pub aggregated_stream_cost_usd: f64,
    /// Shards without aggregation.
    pub plain_shards: u64,
    /// The stream's monthly cost without aggregation.
    pub plain_stream_cost_usd: f64,
}

/// What the load needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Recommendation {
    /// Shards to provision; `null` when no shard count fixes the load (spread
    /// `spread_keys` first).
    pub shards: Option<u64>,
    /// Shards the record rate alone needs.
    pub by_records: u64,
    /// Shards the byte rate alone needs.
    pub by_bytes: u64,
    /// Shards the hottest key needs, when it carries a material share of a shard and some
    /// shard count can carry it.
    pub by_hot_key: Option<u64>,
    /// Shards the read side needs with standard consumers.
    #[serde(default)]
    pub by_read_side: Option<u64>,
    /// The bound that decided.
    pub binding: crate::capacity::shards::Binding,
    /// A key no shard count can carry, if any.
    pub unfixable_key: Option<KeyLoad>,
    /// Keys to spread (a suffix, or explicit hash keys) before shards can help: over one
    /// shard's write quota or one DynamoDB partition's.
    #[serde(default)]
    pub spread_keys: Vec<String>,
    /// Shards the rest of the load needs once `spread_keys` are spread.
    #[serde(default)]
    pub shards_after_spreading: Option<u64>,
    /// Share of each shard's quota planned for.
    pub target_utilization: f64,
    /// The table's capacity mode and units.
    #[serde(default)]
    pub table: Option<TableRecommendation>,
    /// The Lambda settings.
    #[serde(default)]
    pub lambda: Option<LambdaRecommendation>,
    /// What the recommended pipeline costs a month (cheapest options of the plan).
    #[serde(default)]
    pub monthly_cost_usd: Option<f64>,
    /// The stream with and without KPL aggregation (the shards above are for the way
    /// the run sent its records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<AggregationRecommendation>,
}

impl From<&crate::capacity::shards::ShardPlan> for Recommendation {
    /// The write side's plan alone (before the capacity plan adds the rest).
    fn from(p: &crate::capacity::shards::ShardPlan) -> Self {
        Recommendation {
            shards: p.unfixable_key.is_none().then_some(p.shards),
            by_records: p.by_records,
            by_bytes: p.by_bytes,
            by_hot_key: p.by_hot_key,
            by_read_side: None,
            binding: p.binding,
            unfixable_key: p.unfixable_key.clone(),
            spread_keys: p.unfixable_key.iter().map(|k| k.key.clone()).collect(),
            shards_after_spreading: p.unfixable_key.is_some().then_some(p.shards),
            target_utilization: p.target_utilization,
            table: None,
            lambda: None,
            monthly_cost_usd: None,
            aggregation: None,
        }
    }
}

impl Verdict {
    /// A verdict not yet judged.
    pub fn pending() -> Self {
        Verdict {
            state: VerdictState::Inconclusive,
            holds: false,
            bottleneck: None,
            headline: String::new(),
            findings: Vec::new(),
            unfixable_key: None,
        }
    }
}

impl Recommendation {
    /// The shards to provision: the count, or what the rest needs after spreading.
    pub fn planned_shards(&self) -> u64 {
        self.shards.or(self.shards_after_spreading).unwrap_or(self.by_records.max(self.by_bytes))
    }
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
    #[error("{path} is in result format version {found}; this loadgen reads versions 1 to {SCHEMA_VERSION}. Render it with the loadgen that wrote it")]
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
    parse(&text, &shown)
}

/// Reads a result from the text of a `result.json`; `shown` names it in errors.
pub fn parse(text: &str, shown: &str) -> Result<RunResult, LoadError> {
    let shown = shown.to_string();
    let mut result: RunResult = serde_json::from_str(text).map_err(|e| {
        // A result of another format version parses as JSON but not as this RunResult:
        // say which version it is rather than which field is missing.
        let version = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("schema_version").and_then(serde_json::Value::as_u64));
        match version {
            Some(found) if found != u64::from(SCHEMA_VERSION) => LoadError::Version { path: shown.clone(), found },
            _ => LoadError::Parse { path: shown.clone(), detail: e.to_string() },
        }
    })?;
    match result.schema_version {
        1 => upgrade_v1(&mut result),
        SCHEMA_VERSION => {}
        found => return Err(LoadError::Version { path: shown, found: u64::from(found) }),
    }
    Ok(result)
}

/// Fills in what a version 1 result lacks: its offered rate and load window (from the
/// scheduled duration) and its verdict's state. Its achieved rate keeps version 1's
/// meaning (accepted over the whole run, drain included).
fn upgrade_v1(r: &mut RunResult) {
    let load_s = r.config.duration_s.max(1e-9);
    r.rate.load_s = load_s;
    r.rate.drain_s = (r.duration_s - load_s).max(0.0);
    r.rate.offered_rps = r.ledger.generated as f64 / load_s;
    r.verdict.state = if r.verdict.holds { VerdictState::Holds } else { VerdictState::DoesNotHold };
    r.schema_version = SCHEMA_VERSION;
}
