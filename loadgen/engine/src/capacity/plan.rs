//! `loadgen plan`: shards, Lambda settings, DynamoDB capacity and monthly cost for a
//! load, from parameters or from measured runs (`result.json`).
//!
//! Every figure is a formula over the documented quotas and prices, written out in the
//! report so a reader can check it:
//!
//! - **Shards**: [`crate::capacity::shards::plan_shards`] (records/s, bytes/s, hottest key), plus
//!   the read side: standard consumers share 2 MiB/s and 5 calls/s per shard.
//! - **Lambda**: concurrency = shards × parallelization factor; each lane of
//!   `r` records/s fills a batch of `b = min(B, r·W)` (W the batching window, or the ~1 s
//!   poll interval without one), waits `b/r` on average half of that, and takes
//!   `d = b·t_rec/s + ⌈b/25/c⌉·t_write` to process (`c` writes in flight, `s` the
//!   memory's share of a vCPU: memory ÷ 1,769 MB, at most 1). The lane keeps up while
//!   `ρ = r·d/b < 1`; at `ρ ≥ 1` the iterator age grows without bound. Past 70% the plan
//!   lists the smallest memory, batch size and parallelization factor that bring `ρ`
//!   under 70%, with the cost of each.
//! - **DynamoDB**: `⌈item/1 KB⌉` WCU per event; a hash key (one user) is served by one
//!   partition, 1,000 WCU/s at most.
//! - **Cost**: provisioned shard-hours + PUT units (25 KB) vs on-demand stream-hours + GB
//!   written (1 KB rounding) and read; Lambda requests + GB-s per architecture; DynamoDB
//!   on-demand write units vs provisioned WCU-hours (at 70% target), plus storage.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::capacity::prices::{Prices, HOURS_PER_MONTH, SECONDS_PER_MONTH};
use crate::capacity::quotas::{
    self, AWS_CALLS_US_PER_RECORD, DEFAULT_DYNAMODB_TABLE_WCU, DEFAULT_KINESIS_SHARDS_LARGE_REGIONS,
    DEFAULT_KINESIS_SHARDS_OTHER_REGIONS, DEFAULT_LAMBDA_CONCURRENCY, DYNAMODB_BATCH_WRITE_MAX, DYNAMODB_PARTITION_WCU,
    ESM_IDLE_POLL_MS, PROCESSOR_US_PER_RECORD, SHARD_READ_BYTES_PER_SEC, SHARD_READ_CALLS_PER_SEC,
};
use crate::capacity::shards::{plan_shards, Binding, KeyLoad, Load, ShardPlan};
use crate::checks::{check, check_range, ConfigError};
use crate::outcome::result::{LambdaOption, RunResult};

/// Target utilisation of provisioned DynamoDB capacity (AWS's auto-scaling default).
const DYNAMODB_TARGET_UTILIZATION: f64 = 0.7;
const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInput {
    /// Peak events per second (sizes shards and capacity).
    pub peak_rps: f64,
    /// Mean events per second over a month (sizes the bill).
    pub mean_rps: f64,
    /// Mean record data size, bytes.
    pub record_bytes: f64,
    /// Mean partition key size, bytes.
    pub key_bytes: f64,
    /// Share of events under the hottest partition key (and hash key), 0–1.
    pub hottest_key_share: Option<f64>,
    /// Share of a shard's quota to plan for.
    pub target_utilization: f64,
    /// Standard (shared-throughput) consumers of the stream.
    pub consumers: u32,
    /// Event source mapping batch size.
    pub batch_size: usize,
    /// Batching window.
    pub batching_window: Duration,
    /// Parallelization factor.
    pub parallelization: usize,
    /// Function memory, MB.
    pub memory_mb: u32,
    /// Processor CPU per record on one full vCPU (µs; the benchmark's figure, or a local
    /// run's measured one). The plan divides it by the memory's share of a vCPU
    /// ([`quotas::cpu_share`]).
    pub per_record_us: f64,
    /// One `BatchWriteItem` round trip.
    pub write_latency: Duration,
    /// `BatchWriteItem` calls in flight.
    pub write_concurrency: usize,
    /// Stored item size, bytes.
    pub item_bytes: f64,
    /// Days an item lives (TTL).
    pub ttl_days: f64,
    /// Plan the stream for KPL-aggregated records (the other way is planned too, as the
    /// alternative).
    #[serde(default)]
    pub aggregate: bool,
    /// An aggregated record's data at most, bytes (the KPL's `AggregationMaxSize`).
    #[serde(default = "default_aggregation_max_bytes")]
    pub aggregation_max_bytes: usize,
    /// How long the producer buffers records (an aggregate holds at most what one shard
    /// gets in this time).
    #[serde(default = "default_linger")]
    pub linger: Duration,
}

fn default_aggregation_max_bytes() -> usize {
    retail_events::aggregation::KPL_AGGREGATION_MAX_BYTES
}

fn default_linger() -> Duration {
    Duration::from_millis(5)
}

/// Protobuf bytes a user record adds to an aggregate beyond its data and key (field tags
/// and lengths, its key index).
const AGGREGATED_RECORD_OVERHEAD: f64 = 6.0;
/// Bytes of an aggregate's own framing: the magic bytes and the MD5.
const AGGREGATE_FRAMING_BYTES: f64 = 20.0;

/// The stream planned one way: one event per Kinesis record, or KPL aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSide {
    /// Whether records are aggregated.
    pub aggregated: bool,
    /// Events per Kinesis record (1 without aggregation).
    pub events_per_record: f64,
    /// Mean Kinesis record size, partition key included.
    pub record_bytes: f64,
    /// Shards by the write side.
    pub shards: ShardPlan,
    /// The stream's cost a month at those shards (the cheaper of provisioned and
    /// on-demand).
    pub cost_per_month: f64,
}

impl Default for PlanInput {
    fn default() -> Self {
        Self {
            peak_rps: 1000.0,
            mean_rps: 1000.0,
            record_bytes: 360.0,
            key_bytes: 12.0,
            hottest_key_share: None,
            target_utilization: 0.8,
            consumers: 1,
            batch_size: 100,
            batching_window: Duration::from_secs(5),
            parallelization: 1,
            memory_mb: 256,
            per_record_us: PROCESSOR_US_PER_RECORD + AWS_CALLS_US_PER_RECORD,
            write_latency: Duration::from_millis(8),
            write_concurrency: 8,
            item_bytes: 360.0 + ITEM_OVERHEAD_BYTES,
            ttl_days: 7.0,
            aggregate: false,
            aggregation_max_bytes: default_aggregation_max_bytes(),
            linger: default_linger(),
        }
    }
}

/// The Lambda side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaPlan {
    /// Concurrent executions.
    pub concurrency: u64,
    /// Records per lane per second at peak.
    pub lane_rps: f64,
    /// Expected records per invocation.
    pub batch_size: f64,
    /// Mean wait of a record for its batch, ms.
    pub batching_delay_ms: f64,
    /// Expected invocation duration, ms.
    pub invocation_ms: f64,
    /// Busy share of each lane (≥ 1: the iterator age grows).
    pub lane_utilization: f64,
    /// Invocations per month at the mean rate.
    pub invocations_per_month: f64,
    /// GB-seconds per month.
    pub gb_seconds_per_month: f64,
    /// Monthly cost on arm64.
    pub cost_arm64: f64,
    /// Monthly cost on x86_64.
    pub cost_x86_64: f64,
}

/// The DynamoDB side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamoPlan {
    /// Write units per event.
    pub wcu_per_event: f64,
    /// Write units per second at peak.
    pub peak_wcu: f64,
    /// Write units per second of the hottest hash key at peak.
    pub hottest_key_wcu: Option<f64>,
    /// Monthly on-demand cost (writes + storage).
    pub cost_on_demand: f64,
    /// Write capacity units to provision (the peak at the 70% auto-scaling target).
    pub provisioned_wcu: f64,
    /// Monthly provisioned cost (WCU-hours at 70% target + storage).
    pub cost_provisioned: f64,
    /// Stored data, GB (TTL-bounded).
    pub storage_gb: f64,
}

/// Enhanced fan-out against standard consumers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FanOut {
    /// Monthly cost with enhanced fan-out for every consumer (consumer-shard-hours plus
    /// data retrieved).
    pub cost: f64,
    /// Shards the read side adds over the write side with standard consumers.
    pub extra_read_shards: u64,
    /// Their monthly cost.
    pub extra_read_shards_cost: f64,
    /// Why fan-out is recommended (`None`: it is not).
    pub reason: Option<String>,
}

/// CloudWatch costs per month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudWatchCost {
    /// Bytes of EMF log lines per invocation (the function's own lines for a batch of
    /// the planned size; Lambda's START/END/REPORT lines are not counted).
    pub emf_bytes_per_invocation: f64,
    /// GB of EMF lines a month.
    pub log_gb_per_month: f64,
    /// Ingestion plus a month of storage.
    pub logs: f64,
    /// The function's custom metrics.
    pub metrics: f64,
}

/// The function's custom metrics (namespace `RetailEventProcessing`, one dimension set).
const EMF_METRICS: f64 = 5.0;

/// Bytes of the EMF lines the function writes for a batch of `records` written events.
fn emf_bytes(records: usize) -> f64 {
    let report = retail_function::BatchReport {
        outcomes: vec![retail_function::RecordOutcome::Written; records],
        // Four-digit millisecond latencies (a typical batching window's worth), for both
        // the pipeline latency and the event-time lag.
        end_to_end_ms: vec![1_234; records],
        pipeline_ms: vec![1_234; records],
        ..retail_function::BatchReport::default()
    };
    let emf =
        retail_function::emf::EmfMetrics::new("retail-analytics-prod-processor", Vec::new(), || 1_764_000_000_000);
    emf.lines(&report).iter().map(|l| l.len() + 1).sum::<usize>() as f64
}

/// Costs of the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KinesisCost {
    /// Provisioned: shard-hours.
    pub provisioned_shards: f64,
    /// Provisioned: PUT payload units.
    pub provisioned_put_units: f64,
    /// On-demand: stream-hours, GB written and read.
    pub on_demand: f64,
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The inputs.
    pub input: PlanInput,
    /// Shards by the write side.
    pub shards: ShardPlan,
    /// Shards the read side needs with standard consumers.
    pub read_shards: u64,
    /// Whether enhanced fan-out is recommended (see `fan_out`).
    pub enhanced_fan_out: bool,
    /// Enhanced fan-out: what it would cost, and why it is or is not recommended.
    pub fan_out: FanOut,
    /// CloudWatch: the function's EMF log lines and custom metrics.
    pub cloudwatch: CloudWatchCost,
    /// Lambda.
    pub lambda: LambdaPlan,
    /// When the lanes run busier than [`LANE_TARGET_UTILIZATION`]: the settings that
    /// bring them under it, cheapest first.
    #[serde(default)]
    pub lambda_options: Vec<LambdaOption>,
    /// DynamoDB.
    pub dynamodb: DynamoPlan,
    /// Kinesis costs per month.
    pub kinesis: KinesisCost,
    /// The write side planned without aggregation.
    pub plain_stream: StreamSide,
    /// The write side planned with KPL aggregation.
    pub aggregated_stream: StreamSide,
    /// The loadgen workers that offer the peak (`--workers N`).
    #[serde(default = "crate::capacity::workers::WorkerPlan::one")]
    pub load_workers: crate::capacity::workers::WorkerPlan,
    /// Cheapest monthly total (provisioned or on-demand stream, arm64, cheaper table mode).
    pub total_per_month: f64,
    /// That total per million events.
    pub per_million_events: f64,
    /// Warnings in words.
    pub warnings: Vec<String>,
    /// Prices used.
    pub prices: Prices,
}

/// The stream's monthly cost over `shards` shards for records of `record_bytes` (key
/// included) each carrying `events_per_record` events: provisioned shard-hours and PUT
/// payload units (25 KB each) against on-demand stream-hours and GB written (each record
/// rounded up to 1 KB) and read.
fn kinesis_cost(
    input: &PlanInput,
    events_per_record: f64,
    record_bytes: f64,
    shards: u64,
    prices: &Prices,
) -> KinesisCost {
    let records_per_month = input.mean_rps * SECONDS_PER_MONTH / events_per_record.max(1.0);
    let put_units = (record_bytes / (25.0 * 1024.0)).ceil().max(1.0);
    let data_bytes = (record_bytes - input.key_bytes).max(0.0);
    let kb_rounded = (data_bytes / 1024.0).ceil().max(1.0) * 1024.0;
    let written_gb = records_per_month * kb_rounded / GB;
    KinesisCost {
        provisioned_shards: shards as f64 * prices.kinesis_shard_hour * HOURS_PER_MONTH,
        provisioned_put_units: records_per_month * put_units / 1e6 * prices.kinesis_put_units_per_million,
        on_demand: prices.kinesis_on_demand_stream_hour * HOURS_PER_MONTH
            + written_gb * prices.kinesis_on_demand_gb_written
            + written_gb * f64::from(input.consumers.max(1)) * prices.kinesis_on_demand_gb_read,
    }
}

/// The write side one way. Aggregated: each user record costs its data, its key and
/// [`AGGREGATED_RECORD_OVERHEAD`] bytes inside an aggregate; an aggregate holds what one
/// shard receives in the producer's linger time, at most what fits in
/// `aggregation_max_bytes`, and adds its framing and its own partition key. The shards
/// and the events per aggregate depend on each other: a few rounds settle them.
fn stream_side(input: &PlanInput, aggregated: bool, prices: &Prices) -> StreamSide {
    let user_bytes = input.record_bytes + input.key_bytes;
    let per_user = user_bytes + AGGREGATED_RECORD_OVERHEAD;
    let cap =
        ((input.aggregation_max_bytes as f64 - AGGREGATE_FRAMING_BYTES - input.key_bytes) / per_user).floor().max(1.0);
    let sized = |ratio: f64| {
        let record_bytes =
            if aggregated { ratio * per_user + AGGREGATE_FRAMING_BYTES + input.key_bytes } else { user_bytes };
        let per_event = record_bytes / ratio;
        let shards = plan_shards(&Load {
            records_per_sec: input.peak_rps / ratio,
            mean_record_bytes: record_bytes,
            hottest_key: input.hottest_key_share.map(|share| KeyLoad {
                key: "hottest key".into(),
                records_per_sec: share * input.peak_rps / ratio,
                bytes_per_sec: share * input.peak_rps * per_event,
            }),
            target_utilization: input.target_utilization,
        });
        (record_bytes, shards)
    };
    let mut ratio = 1.0;
    let (mut record_bytes, mut shards) = sized(ratio);
    if aggregated {
        for _ in 0..4 {
            ratio = (input.peak_rps / shards.shards.max(1) as f64 * input.linger.as_secs_f64()).clamp(1.0, cap);
            (record_bytes, shards) = sized(ratio);
        }
    }
    let k = kinesis_cost(input, ratio, record_bytes, shards.shards, prices);
    StreamSide {
        aggregated,
        events_per_record: ratio,
        record_bytes,
        cost_per_month: (k.provisioned_shards + k.provisioned_put_units).min(k.on_demand),
        shards,
    }
}

/// Lanes busier than this build iterator age in bursts: the planner offers settings that
/// bring them under it.
pub const LANE_TARGET_UTILIZATION: f64 = 0.7;

/// The Lambda side of `input`'s load over `shards` shards: lanes, batches, the
/// invocation's duration (the processor's CPU at the memory's share of a vCPU, plus the
/// write rounds), the lanes' busy share and the monthly cost.
fn lambda_plan(input: &PlanInput, shards: u64, events_per_month: f64, prices: &Prices) -> LambdaPlan {
    let lanes = shards as f64 * input.parallelization.max(1) as f64;
    let lane_rps = input.peak_rps / lanes;
    let fill = if input.batching_window.is_zero() {
        Duration::from_millis(ESM_IDLE_POLL_MS).as_secs_f64()
    } else {
        input.batching_window.as_secs_f64()
    };
    let b = (lane_rps * fill).clamp(1.0, input.batch_size as f64);
    let write_rounds = ceil_div(b / DYNAMODB_BATCH_WRITE_MAX as f64, input.write_concurrency.max(1) as f64).max(1.0);
    let cpu_ms = b * input.per_record_us / quotas::cpu_share(input.memory_mb) / 1000.0;
    let invocation_ms = cpu_ms + write_rounds * input.write_latency.as_secs_f64() * 1000.0;
    let lane_utilization = lane_rps * invocation_ms / 1000.0 / b;
    let invocations = events_per_month / b;
    let gb_s = invocations * invocation_ms.ceil() / 1000.0 * f64::from(input.memory_mb) / 1024.0;
    let requests = invocations / 1e6 * prices.lambda_requests_per_million;
    LambdaPlan {
        concurrency: lanes as u64,
        lane_rps,
        batch_size: b,
        batching_delay_ms: (b / lane_rps).min(fill) * 1000.0 / 2.0,
        invocation_ms,
        lane_utilization,
        invocations_per_month: invocations,
        gb_seconds_per_month: gb_s,
        cost_arm64: requests + gb_s * prices.lambda_gb_second_arm64,
        cost_x86_64: requests + gb_s * prices.lambda_gb_second_x86_64,
    }
}

/// Settings that bring busy lanes under [`LANE_TARGET_UTILIZATION`], one per knob, each
/// the smallest change that does: more memory (a larger CPU share), a larger batch size
/// (fewer write rounds and invocations per record; only while the batching window fills
/// it), a higher parallelization factor (more lanes). Cheapest first; a knob that cannot
/// get there within its range is left out.
fn lambda_options(input: &PlanInput, shards: u64, events_per_month: f64, prices: &Prices) -> Vec<LambdaOption> {
    let mut options = Vec::new();
    let mut first_that_holds = |setting: &'static str, candidates: &mut dyn Iterator<Item = PlanInput>| {
        for candidate in candidates {
            let l = lambda_plan(&candidate, shards, events_per_month, prices);
            if l.lane_utilization <= LANE_TARGET_UTILIZATION {
                options.push(LambdaOption {
                    setting: setting.into(),
                    memory_mb: candidate.memory_mb,
                    batch_size: candidate.batch_size,
                    parallelization_factor: candidate.parallelization,
                    invocation_ms: l.invocation_ms,
                    lane_utilization: l.lane_utilization,
                    monthly_cost_usd: l.cost_arm64,
                });
                return;
            }
        }
    };
    // Past one vCPU more memory adds no speed to this one-thread batch path.
    const MEMORY_STEPS_MB: [u32; 4] = [256, 512, 1024, 1769];
    first_that_holds(
        "memory",
        &mut MEMORY_STEPS_MB
            .into_iter()
            .filter(|m| *m > input.memory_mb)
            .map(|memory_mb| PlanInput { memory_mb, ..input.clone() }),
    );
    first_that_holds(
        "batch size",
        &mut [200, 500, 1000, 2000, 5000, 10_000]
            .into_iter()
            .filter(|b| *b > input.batch_size)
            .map(|batch_size| PlanInput { batch_size, ..input.clone() }),
    );
    first_that_holds(
        "parallelization factor",
        &mut (input.parallelization + 1..=10).map(|parallelization| PlanInput { parallelization, ..input.clone() }),
    );
    options.sort_by(|a, b| a.monthly_cost_usd.total_cmp(&b.monthly_cost_usd));
    options
}

fn ceil_div(a: f64, b: f64) -> f64 {
    (a / b - 1e-9).ceil().max(0.0)
}

/// Plans `input` with `prices`.
pub fn plan(input: &PlanInput, prices: &Prices) -> Plan {
    let mut warnings = Vec::new();
    let quota_bytes = input.record_bytes + input.key_bytes;
    let plain_stream = stream_side(input, false, prices);
    let aggregated_stream = stream_side(input, true, prices);
    let chosen = if input.aggregate { &aggregated_stream } else { &plain_stream };
    let shards = chosen.shards.clone();
    if let Some(k) = &shards.unfixable_key {
        warnings.push(format!(
            "The hottest key sends {:.0} records/s, over one shard's quota: no shard count fixes it; spread the key.",
            k.records_per_sec
        ));
    }
    // Read side: all standard consumers share a shard's 2 MiB/s and 5 calls/s.
    let consumers = input.consumers.max(1);
    let read_bytes = input.peak_rps * quota_bytes * f64::from(consumers);
    let read_shards =
        ceil_div(read_bytes, f64::from(SHARD_READ_BYTES_PER_SEC) * input.target_utilization).max(1.0) as u64;
    let events_per_month = input.mean_rps * SECONDS_PER_MONTH;
    let extra_read_shards = read_shards.saturating_sub(shards.shards);
    let extra_read_shards_cost = extra_read_shards as f64 * prices.kinesis_shard_hour * HOURS_PER_MONTH;
    let fan_out_cost =
        f64::from(consumers) * shards.shards as f64 * prices.kinesis_efo_consumer_shard_hour * HOURS_PER_MONTH
            + events_per_month * quota_bytes * f64::from(consumers) / GB * prices.kinesis_efo_gb_retrieved;
    let reason = if consumers > SHARD_READ_CALLS_PER_SEC {
        Some(format!(
            "latency: {consumers} standard consumers share {SHARD_READ_CALLS_PER_SEC} GetRecords calls/s per shard, so each reads a shard less than once a second"
        ))
    } else if extra_read_shards > 0 && fan_out_cost < extra_read_shards_cost {
        Some(format!(
            "cost: ${fan_out_cost:.2}/month against ${extra_read_shards_cost:.2} for {extra_read_shards} more shards"
        ))
    } else {
        None
    };
    let enhanced_fan_out = reason.is_some();
    let fan_out = FanOut { cost: fan_out_cost, extra_read_shards, extra_read_shards_cost, reason };
    let n = if enhanced_fan_out { shards.shards } else { shards.shards.max(read_shards) };
    let binding = if n > shards.shards { Binding::ReadSide } else { shards.binding };
    if n > DEFAULT_KINESIS_SHARDS_LARGE_REGIONS {
        warnings.push(format!(
            "{n} shards is past the default quota of {DEFAULT_KINESIS_SHARDS_LARGE_REGIONS} shards per region (us-east-1, us-west-2, eu-west-1; {DEFAULT_KINESIS_SHARDS_OTHER_REGIONS} elsewhere): ask for more in Service Quotas before the sale."
        ));
    } else if n > DEFAULT_KINESIS_SHARDS_OTHER_REGIONS {
        warnings.push(format!(
            "{n} shards is past the default quota of {DEFAULT_KINESIS_SHARDS_OTHER_REGIONS} shards per region outside us-east-1, us-west-2 and eu-west-1."
        ));
    }

    // Lambda: an invocation's batch counts Kinesis records, each carrying
    // `events_per_record` events.
    let lambda_input = PlanInput {
        batch_size: (input.batch_size as f64 * chosen.events_per_record).round().max(1.0) as usize,
        ..input.clone()
    };
    let lambda = lambda_plan(&lambda_input, n, events_per_month, prices);
    let lanes = lambda.concurrency;
    if lambda.lane_utilization >= 1.0 {
        warnings.push(format!(
            "Each Lambda lane would be busy {:.0}% of the time: the iterator age grows without bound. Raise the batch size, the parallelization factor or the memory (see the Lambda options).",
            lambda.lane_utilization * 100.0
        ));
    } else if lambda.lane_utilization > LANE_TARGET_UTILIZATION {
        warnings.push(format!(
            "Lambda lanes run {:.0}% busy: bursts will build iterator age.",
            lambda.lane_utilization * 100.0
        ));
    }
    if lanes > DEFAULT_LAMBDA_CONCURRENCY {
        warnings.push(format!(
            "{lanes} concurrent executions is past Lambda's default {DEFAULT_LAMBDA_CONCURRENCY} per region: ask for more in Service Quotas."
        ));
    }
    let lambda_options = if lambda.lane_utilization > LANE_TARGET_UTILIZATION {
        lambda_options(&lambda_input, n, events_per_month, prices)
    } else {
        Vec::new()
    };
    let invocations = lambda.invocations_per_month;
    let b = lambda.batch_size;

    // DynamoDB.
    let wcu = ceil_div(input.item_bytes, 1024.0).max(1.0);
    let peak_wcu = input.peak_rps * wcu;
    let hottest_key_wcu = input.hottest_key_share.map(|s| s * peak_wcu);
    if let Some(h) = hottest_key_wcu.filter(|h| *h > f64::from(DYNAMODB_PARTITION_WCU)) {
        warnings.push(format!(
            "The hottest user writes {h:.0} WCU to one partition, over DynamoDB's 1,000 WCU per partition: it will throttle in either capacity mode."
        ));
    }
    let provisioned_wcu = (peak_wcu / DYNAMODB_TARGET_UTILIZATION).ceil();
    if provisioned_wcu > DEFAULT_DYNAMODB_TABLE_WCU {
        warnings.push(format!(
            "{provisioned_wcu:.0} WCU is past DynamoDB's default {DEFAULT_DYNAMODB_TABLE_WCU:.0} WCU per table: ask for more in Service Quotas."
        ));
    }
    let storage_gb = input.mean_rps * input.ttl_days * 86_400.0 * input.item_bytes / GB;
    let storage = storage_gb * prices.dynamodb_storage_gb_month;
    let dynamodb = DynamoPlan {
        wcu_per_event: wcu,
        peak_wcu,
        hottest_key_wcu,
        cost_on_demand: events_per_month * wcu / 1e6 * prices.dynamodb_write_units_per_million + storage,
        provisioned_wcu,
        cost_provisioned: provisioned_wcu * prices.dynamodb_wcu_hour * HOURS_PER_MONTH + storage,
        storage_gb,
    };

    // Kinesis.
    let kinesis = kinesis_cost(input, chosen.events_per_record, chosen.record_bytes, n, prices);
    let stream = (kinesis.provisioned_shards + kinesis.provisioned_put_units).min(kinesis.on_demand)
        + if enhanced_fan_out { fan_out.cost } else { 0.0 };

    // CloudWatch: one EMF line per invocation (more for batches over 100 records).
    let emf_bytes_per_invocation = emf_bytes(b.round() as usize);
    let log_gb_per_month = invocations * emf_bytes_per_invocation / GB;
    let cloudwatch = CloudWatchCost {
        emf_bytes_per_invocation,
        log_gb_per_month,
        logs: log_gb_per_month * (prices.cloudwatch_logs_gb_ingested + prices.cloudwatch_logs_gb_month),
        metrics: EMF_METRICS * prices.cloudwatch_metric_month,
    };
    let total = stream
        + lambda.cost_arm64
        + dynamodb.cost_on_demand.min(dynamodb.cost_provisioned)
        + cloudwatch.logs
        + cloudwatch.metrics;
    Plan {
        input: input.clone(),
        shards: ShardPlan { shards: n, binding, ..shards },
        read_shards,
        enhanced_fan_out,
        fan_out,
        cloudwatch,
        lambda,
        lambda_options,
        dynamodb,
        kinesis,
        plain_stream,
        aggregated_stream,
        load_workers: crate::capacity::workers::workers_for(input.peak_rps),
        total_per_month: total,
        per_million_events: if events_per_month > 0.0 { total / (events_per_month / 1e6) } else { 0.0 },
        warnings,
        prices: prices.clone(),
    }
}

/// What `loadgen plan` is asked: the load's figures, each overriding what measured runs
/// say, over the planner's defaults ([`PlanInput::default`]) for everything else.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanRequest {
    /// Peak events per second (else the runs' peak).
    pub rps: Option<f64>,
    /// Mean events per second over a month (else the peak).
    pub mean_rps: Option<f64>,
    /// Mean record data size, bytes (else the runs', else 360).
    pub record_bytes: Option<f64>,
    /// Share of events under the hottest key, 0–1 (else the runs').
    pub hot_key_share: Option<f64>,
    /// Stored item size, bytes (else the record size plus [`ITEM_OVERHEAD_BYTES`]).
    pub item_bytes: Option<f64>,
    /// Everything else; its load fields are replaced by the ones above.
    pub base: PlanInput,
}

/// Bytes the function adds to a record's data in the stored item (`processedAt`, the
/// arrival time, shard id, sequence number, key, insight and score).
pub const ITEM_OVERHEAD_BYTES: f64 = 340.0;

impl PlanRequest {
    /// The planner's input for this request and the measured `runs` (their peak rate,
    /// record size and hottest key, unless the request overrides them).
    pub fn input(&self, runs: &[RunResult]) -> Result<PlanInput, ConfigError> {
        let b = &self.base;
        let mut peak: Option<f64> = None;
        let mut bytes: Option<f64> = None;
        let mut hot: Option<f64> = None;
        for r in runs {
            peak = Some(peak.unwrap_or(0.0).max(r.rate.peak_target_rps));
            bytes = Some(bytes.unwrap_or(0.0).max(r.rate.mean_record_bytes - b.key_bytes));
            if let Some(h) = r.hot_keys.first() {
                hot = Some(hot.unwrap_or(0.0).max(h.share));
            }
        }
        // A figure that is wrong names where it came from: the option the user passed, or
        // the measured runs (`--from`) when no option overrode them.
        let from = |flag: &'static str, given: bool, what: &str| {
            if given {
                format!("--{flag}")
            } else {
                format!("the measured runs' {what} (from --from; override it with --{flag})")
            }
        };
        let peak_rps = self.rps.or(peak).ok_or_else(|| {
            ConfigError::new("rps", "give a rate (--rps 5000) or measured runs (--from results/run/result.json)")
        })?;
        check(peak_rps > 0.0 && peak_rps.is_finite(), "rps", || {
            format!("{} must be a positive rate, not {peak_rps}", from("rps", self.rps.is_some(), "peak rate"))
        })?;
        let record_bytes = self.record_bytes.or(bytes).unwrap_or(PlanInput::default().record_bytes);
        let record_bytes_from = from("record-bytes", self.record_bytes.is_some() || bytes.is_none(), "record size");
        let hottest_key_share = self.hot_key_share.or(hot);
        if let Some(h) = hottest_key_share {
            check((0.0..=1.0).contains(&h), "hot-key-share", || {
                format!(
                    "{} is a share from 0 to 1, not {h}",
                    from("hot-key-share", self.hot_key_share.is_some(), "hottest key's share")
                )
            })?;
        }
        check(b.target_utilization > 0.0 && b.target_utilization <= 1.0, "target-utilization", || {
            "--target-utilization is a share in (0, 1]".into()
        })?;
        check_range("parallelization-factor", b.parallelization, quotas::ESM_PARALLELIZATION, "Lambda's limit")?;
        check_range("batch-size", b.batch_size, quotas::ESM_BATCH_SIZE, "Lambda's limit")?;
        // Every other figure: a finite number in its range, or the plan prints nonsense.
        let finite = |option: &'static str, v: f64, lo: f64, hi: f64, what: &str| {
            check(v.is_finite() && (lo..=hi).contains(&v), option, || format!("--{option} must be {what}, not {v}"))
        };
        if let Some(m) = self.mean_rps {
            finite("mean-rps", m, 0.0, f64::MAX, "a rate of 0 or more events per second")?;
        }
        check(
            record_bytes.is_finite() && (1.0..=quotas::MAX_RECORD_BYTES as f64).contains(&record_bytes),
            "record-bytes",
            || format!("{record_bytes_from} must be from 1 byte to 1 MiB, not {record_bytes}"),
        )?;
        finite("key-bytes", b.key_bytes, 0.0, quotas::MAX_PARTITION_KEY_CHARS as f64 * 4.0, "from 0 to 1024 bytes")?;
        if let Some(i) = self.item_bytes {
            finite("item-bytes", i, 1.0, 400.0 * 1024.0, "from 1 byte to DynamoDB's 400 KB")?;
        }
        finite("per-record-us", b.per_record_us, 0.0, 1e9, "0 or more microseconds")?;
        finite("ttl-days", b.ttl_days, 0.0, 36_500.0, "0 or more days")?;
        check((128..=10_240).contains(&b.memory_mb), "memory-mb", || {
            format!("--memory-mb must be 128–10240 (Lambda's range), not {}", b.memory_mb)
        })?;
        check(b.consumers >= 1, "consumers", || "--consumers must be at least 1".into())?;
        crate::config::check_write_concurrency(b.write_concurrency)?;
        Ok(PlanInput {
            peak_rps,
            mean_rps: self.mean_rps.unwrap_or(peak_rps),
            record_bytes,
            hottest_key_share,
            consumers: b.consumers,
            write_concurrency: b.write_concurrency,
            item_bytes: self.item_bytes.unwrap_or(record_bytes + ITEM_OVERHEAD_BYTES),
            ..b.clone()
        })
    }
}

/// The capacity plan for a run's load: the run's rate, record size, hottest key and
/// event source mapping settings, at `target_utilization` of each shard; for a local run
/// also the modelled function's memory, measured CPU per record and table latency; the
/// planner's defaults for the rest (`None` when the run has no rate to plan for).
pub fn for_run(result: &RunResult, target_utilization: f64, prices: &Prices) -> Option<Plan> {
    let c = &result.config;
    let mut base = PlanInput {
        target_utilization,
        batch_size: c.batch_size,
        batching_window: Duration::from_secs_f64(c.batching_window_s.max(0.0)),
        parallelization: c.parallelization_factor,
        ..PlanInput::default()
    };
    // The producer's way: aggregated or not, and how long it buffers.
    if let Some(a) = &result.aggregation {
        base.aggregate = true;
        base.aggregation_max_bytes = a.max_bytes as usize;
    }
    base.linger = Duration::from_secs_f64(c.linger_ms.max(0.0) / 1000.0);
    // A local run modelled the function: plan with its memory, the CPU per record it
    // measured at that memory's share, and the table latency it ran with.
    if let Some((p, m)) = result.pipeline.as_ref().and_then(|p| p.lambda_model.as_ref().map(|m| (p, m))) {
        if p.delivered > 0 && p.invocations > 0 {
            base.memory_mb = m.memory_mb;
            // The run measured the processor; the AWS calls' share of the batch path is added.
            base.per_record_us =
                m.cpu_ms_per_invocation * 1000.0 * p.invocations as f64 / p.delivered as f64 + AWS_CALLS_US_PER_RECORD;
            base.write_latency = Duration::from_secs_f64(c.table_write_latency_ms.max(0.0) / 1000.0);
        }
    }
    let request = PlanRequest { base, ..PlanRequest::default() };
    let input = request.input(std::slice::from_ref(result)).ok()?;
    Some(plan(&input, prices))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(peak: f64, bytes: f64) -> PlanInput {
        PlanInput {
            peak_rps: peak,
            mean_rps: peak,
            record_bytes: bytes,
            key_bytes: 0.0,
            target_utilization: 1.0,
            ..PlanInput::default()
        }
    }

    /// Hand-computed: 5,000 records/s of 1 KiB = 5,000 KiB/s = 4.88 MiB/s → 5 shards by
    /// bytes, 5 by records.
    #[test]
    fn five_thousand_one_kib_records() {
        let p = plan(&input(5000.0, 1024.0), &Prices::default());
        assert_eq!((p.shards.by_records, p.shards.by_bytes, p.shards.shards), (5, 5, 5));
    }

    /// Hand-computed from the price table: 1 shard for a month = 0.015 × 730 = $10.95; 1,000
    /// records/s of ≤25 KB = 2.628e9 PUT units = $36.79.
    #[test]
    fn kinesis_provisioned_cost() {
        let p = plan(&input(1000.0, 1000.0), &Prices::default());
        assert_eq!(p.shards.shards, 1);
        assert!((p.kinesis.provisioned_shards - 10.95).abs() < 1e-9);
        assert!((p.kinesis.provisioned_put_units - 36.792).abs() < 1e-3, "{}", p.kinesis.provisioned_put_units);
    }

    /// Hand-computed: on-demand for 1,000 records/s of 1 KB: 0.04 × 730 = $29.20 a month
    /// for the stream; 2.628e9 KB written = 2,506.3 GB × ($0.08 + $0.04 read) = $300.76.
    #[test]
    fn kinesis_on_demand_cost() {
        let p = plan(&input(1000.0, 1000.0), &Prices::default());
        let gb = 1000.0 * SECONDS_PER_MONTH * 1024.0 / GB;
        assert!((p.kinesis.on_demand - (29.2 + gb * 0.12)).abs() < 1e-6);
        assert!((gb - 2506.26).abs() < 0.01);
    }

    /// Hand-computed: DynamoDB on-demand, 1,000 writes/s of ≤1 KB = 2.628e9 WRU = $1,642.50
    /// a month; provisioned at 70%: ⌈1000/0.7⌉ = 1,429 WCU × $0.00065 × 730 = $678.0605.
    #[test]
    fn dynamodb_costs() {
        let p = plan(&PlanInput { item_bytes: 900.0, ttl_days: 0.0, ..input(1000.0, 300.0) }, &Prices::default());
        assert!((p.dynamodb.cost_on_demand - 1642.5).abs() < 1e-6, "{}", p.dynamodb.cost_on_demand);
        assert!((p.dynamodb.cost_provisioned - 678.0605).abs() < 1e-6, "{}", p.dynamodb.cost_provisioned);
    }

    #[test]
    fn lambda_batches_and_falling_behind() {
        // 1 shard at 500 records/s with a 5 s window: batches of 100 (the batch size caps).
        let p = plan(&input(500.0, 300.0), &Prices::default());
        assert_eq!(p.lambda.concurrency, 1);
        assert!((p.lambda.batch_size - 100.0).abs() < 1e-9);
        assert!(p.lambda.lane_utilization < 1.0);
        // Slow writes: 100 records need 1 round of 4 calls at 8 in flight; at 2 s a round the
        // lane cannot keep up.
        let slow =
            plan(&PlanInput { write_latency: Duration::from_secs(2), ..input(500.0, 300.0) }, &Prices::default());
        assert!(slow.lambda.lane_utilization >= 1.0);
        assert!(slow.warnings.iter().any(|w| w.contains("grows without bound")));
    }

    /// CPU follows memory, and busy lanes get one option per knob. By hand: 1 shard at
    /// 1,000 records/s, 5 s window, batch size 100 → batches of 100; 20 µs per record on a
    /// vCPU; writes 50 ms a round (100 items = 4 calls, one round at 8 in flight).
    /// - 128 MB = 7.236% of a vCPU: 100 × 20 µs ÷ 0.07236 = 27.64 ms of CPU + 50 ms =
    ///   77.64 ms per invocation; ρ = 1,000 × 0.07764 s ÷ 100 = 0.776 > 0.7.
    /// - memory 256 MB (14.47%): 13.82 + 50 = 63.82 ms, ρ = 0.638;
    /// - batch size 200: 55.28 + 50 = 105.28 ms per 200 records, ρ = 0.526;
    /// - parallelization factor 2: 500 records/s a lane, ρ = 500 × 0.07764 ÷ 100 = 0.388.
    #[test]
    fn cpu_follows_memory_and_busy_lanes_get_options() {
        let busy = PlanInput {
            memory_mb: 128,
            per_record_us: 20.0,
            write_latency: Duration::from_millis(50),
            ..input(1000.0, 300.0)
        };
        let p = plan(&busy, &Prices::default());
        assert!((p.lambda.invocation_ms - 77.64).abs() < 0.01, "{}", p.lambda.invocation_ms);
        assert!((p.lambda.lane_utilization - 0.7764).abs() < 1e-3, "{}", p.lambda.lane_utilization);
        let mut got: Vec<(&str, u32, usize, usize, f64)> = p
            .lambda_options
            .iter()
            .map(|o| (o.setting.as_str(), o.memory_mb, o.batch_size, o.parallelization_factor, o.lane_utilization))
            .collect();
        got.sort_by(|a, b| a.0.cmp(b.0));
        let want = [
            ("batch size", 128, 200, 1, 0.526),
            ("memory", 256, 100, 1, 0.638),
            ("parallelization factor", 128, 100, 2, 0.388),
        ];
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((g.0, g.1, g.2, g.3), (w.0, w.1, w.2, w.3));
            assert!((g.4 - w.4).abs() < 1e-3, "{g:?}");
        }
        assert_eq!(got.len(), 3);
        let costs: Vec<f64> = p.lambda_options.iter().map(|o| o.monthly_cost_usd).collect();
        assert!(costs.windows(2).all(|w| w[0] <= w[1]), "cheapest first: {costs:?}");
        // Lanes that are not busy get none; 1,769 MB and more is one vCPU.
        assert!(plan(&input(1000.0, 300.0), &Prices::default()).lambda_options.is_empty());
        let full = |memory_mb| plan(&PlanInput { memory_mb, ..busy.clone() }, &Prices::default()).lambda.invocation_ms;
        assert!((full(1769) - 52.0).abs() < 1e-9 && (full(3008) - 52.0).abs() < 1e-9);
    }

    #[test]
    fn hot_users_warn_and_are_unfixable() {
        let p = plan(&PlanInput { hottest_key_share: Some(0.3), ..input(5000.0, 2000.0) }, &Prices::default());
        assert!(p.shards.unfixable_key.is_some(), "1,500 records/s on one key");
        assert_eq!(p.shards.by_hot_key, None, "unfixable, not 1");
        assert!(p.warnings.iter().any(|w| w.contains("WCU to one partition")));
    }

    /// `loadgen plan --rps 20000 --record-bytes 1024 --consumers 3`, by hand: records of
    /// 1,036 bytes with the key. Write side at 80%: 20,000 / 800 = 25 by records,
    /// 20,000 × 1,036 / 838,860.8 = 24.7 → 25 by bytes. Read side: three consumers read
    /// 62,160,000 B/s; / (2 MiB × 0.8) = 37.05 → 38 shards, 13 more than writing needs:
    /// 13 × 730 h × $0.015 = $142.35. Fan-out instead: 3 × 25 × 730 × $0.015 = $821.25 +
    /// 20,000 × 2,628,000 s × 1,036 B × 3 / 2³⁰ = 152,137.5 GB × $0.013 = $1,977.79, in all
    /// $2,799.04: more shards are cheaper, and three consumers poll each shard often enough.
    #[test]
    fn the_read_side_binds_and_fan_out_is_costed() {
        let i = PlanInput {
            peak_rps: 20_000.0,
            mean_rps: 20_000.0,
            record_bytes: 1024.0,
            consumers: 3,
            ..PlanInput::default()
        };
        let p = plan(&i, &Prices::default());
        assert_eq!((p.read_shards, p.shards.shards, p.shards.binding), (38, 38, Binding::ReadSide));
        assert_eq!(p.fan_out.extra_read_shards, 13);
        assert!((p.fan_out.extra_read_shards_cost - 142.35).abs() < 1e-6, "{}", p.fan_out.extra_read_shards_cost);
        assert!((p.fan_out.cost - 2799.04).abs() < 0.01, "{}", p.fan_out.cost);
        assert!(!p.enhanced_fan_out && p.fan_out.reason.is_none());
        // Six consumers share five GetRecords calls/s per shard: latency asks for fan-out,
        // and the write side's 25 shards are enough with it.
        let p = plan(&PlanInput { consumers: 6, ..i }, &Prices::default());
        assert!(p.enhanced_fan_out);
        assert!(p.fan_out.reason.as_deref().unwrap().starts_with("latency"));
        assert_eq!(p.shards.shards, 25);
    }

    /// 500,000 records/s of 300 bytes at 80%: 625 shards (past 500); 1,250 lanes at
    /// parallelization 2 (past 1,000); 500,000 WCU / 0.7 = 714,286 WCU (past 40,000).
    #[test]
    fn default_quotas_warn() {
        let i = PlanInput { parallelization: 2, target_utilization: 0.8, ..input(500_000.0, 300.0) };
        let p = plan(&i, &Prices::default());
        assert_eq!(p.shards.shards, 625);
        for needle in
            ["past the default quota of 500 shards", "past Lambda's default 1000", "past DynamoDB's default 40000 WCU"]
        {
            assert!(p.warnings.iter().any(|w| w.contains(needle)), "{needle}: {:?}", p.warnings);
        }
        let small = plan(&input(1000.0, 300.0), &Prices::default());
        assert!(small.warnings.is_empty(), "{:?}", small.warnings);
    }

    /// CloudWatch: the function's EMF line for a batch of 100 (about 1.5 KB: the metric
    /// definitions plus 100 values of each of its two latencies), one line per invocation; $0.50 + $0.03 per GB for
    /// ingestion and a month of storage; 5 custom metrics × $0.30 = $1.50.
    #[test]
    fn cloudwatch_costs_follow_the_emf_lines() {
        let p = plan(&input(1000.0, 300.0), &Prices::default());
        let cw = &p.cloudwatch;
        assert!((1000.0..2000.0).contains(&cw.emf_bytes_per_invocation), "{}", cw.emf_bytes_per_invocation);
        let gb = p.lambda.invocations_per_month * cw.emf_bytes_per_invocation / GB;
        assert!((cw.log_gb_per_month - gb).abs() < 1e-9);
        assert!((cw.logs - gb * 0.53).abs() < 1e-9);
        assert!((cw.metrics - 1.5).abs() < 1e-12);
    }

    /// A bad figure read from a measured run names the run as its source and the option
    /// that overrides it, not an option the user never passed.
    #[test]
    fn bad_figures_from_runs_name_the_runs() {
        let mut run = crate::outcome::fixture::sample_result();
        run.rate.peak_target_rps = 0.0;
        let e = PlanRequest::default().input(std::slice::from_ref(&run)).unwrap_err().to_string();
        assert!(e.contains("the measured runs' peak rate (from --from; override it with --rps)"), "{e}");
        let given = PlanRequest { rps: Some(-1.0), ..PlanRequest::default() }.input(&[]).unwrap_err().to_string();
        assert!(given.starts_with("--rps must be a positive rate, not -1"), "{given}");

        let mut run = crate::outcome::fixture::sample_result();
        run.rate.mean_record_bytes = 0.0;
        let e = PlanRequest::default().input(std::slice::from_ref(&run)).unwrap_err().to_string();
        assert!(e.contains("the measured runs' record size (from --from; override it with --record-bytes)"), "{e}");
        let fixed = PlanRequest { record_bytes: Some(300.0), ..PlanRequest::default() };
        assert!(fixed.input(std::slice::from_ref(&run)).is_ok());
    }

    /// A local run's plan bills the modelled function: its memory, and the CPU per record
    /// it measured on this machine's core, one vCPU (fixture: 0.05 ms per invocation of
    /// 100 records = 0.5 µs per record) plus the AWS calls' share of the batch path, with the
    /// run's table latency.
    #[test]
    fn a_local_runs_plan_uses_the_modelled_function() {
        let mut run = crate::outcome::fixture::sample_result();
        let p = run.pipeline.as_mut().unwrap();
        p.lambda_model.as_mut().unwrap().memory_mb = 512;
        let plan = for_run(&run, 0.8, &Prices::default()).unwrap();
        assert_eq!(plan.input.memory_mb, 512);
        assert!(
            (plan.input.per_record_us - (0.5 + AWS_CALLS_US_PER_RECORD)).abs() < 1e-9,
            "{}",
            plan.input.per_record_us
        );
        assert_eq!(plan.input.write_latency, Duration::from_secs_f64(run.config.table_write_latency_ms / 1000.0));
        // A result without the model keeps the planner's defaults.
        run.pipeline.as_mut().unwrap().lambda_model = None;
        assert_eq!(for_run(&run, 0.8, &Prices::default()).unwrap().input.memory_mb, PlanInput::default().memory_mb);
    }
}
