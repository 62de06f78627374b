//! A finished run's figures turned into its [`RunResult`], once: per-shard load, hot
//! keys, the shard recommendation, the pipeline's counts, the verdict and thresholds all
//! come from here, and every output renders what this computed.

use crate::aws::verify::{TracerLatency, VerifyResult};
use crate::capacity::plan;
use crate::capacity::prices::Prices;
use crate::capacity::shards::{plan_shards, KeyLoad, Load, ShardPlan};
use crate::config::RunConfig;
use crate::load::driver::Driven;
use crate::load::generator::user_key;
use crate::load::keys::KeyModel;
use crate::load::producer::ProducerModel;
use crate::load::schedule::RateProfile;
use crate::measure::{Latency, Stage};
use crate::outcome::histograms::Histograms;
use crate::outcome::result::{
    self, AggregationResult, HotKeyResult, LatencySet, Pipeline, ProducerResult, Rate, Recommendation,
    RunConfigSummary, RunResult, ShardResult, Target, Verdict, WorkerResult,
};
use crate::outcome::thresholds::Measured;
use crate::outcome::verdict::{judge, recommend};
use crate::sink::local::PipelineSnapshot;

/// Everything a run observed, for [`assemble`].
pub struct Observed<'a> {
    /// What was run.
    pub config: &'a RunConfig,
    /// What the driver measured.
    pub driven: &'a Driven,
    /// What was targeted.
    pub target: Target,
    /// The shards' ids, in hash-key order.
    pub shard_ids: &'a [String],
    /// The local pipeline's figures, when the target was the local model.
    pub pipeline: Option<PipelineSnapshot>,
    /// What verification found, with the sampled events' latencies.
    pub verified: Option<(VerifyResult, TracerLatency)>,
    /// The deployed pipeline's CloudWatch metrics, when they were read.
    pub pipeline_metrics: Option<crate::outcome::measured::PipelineMetrics>,
    /// When the load started, RFC 3339.
    pub started_at: String,
}

/// The identity of a split load: a digest of what every worker must share (the seed, the
/// rate profile, the arrivals, the duration and the worker count).
pub fn load_id(config: &RunConfig) -> String {
    use md5::{Digest, Md5};
    let d = &config.driver;
    let text = format!(
        "{}|{}|{:?}|{}|{}",
        config.seed,
        profile_text(&d.profile),
        d.arrivals,
        d.duration.as_nanos(),
        d.worker.count
    );
    Md5::digest(text.as_bytes())[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// How many hot keys a result lists.
const HOT_KEYS_LISTED: usize = 5;

/// The result of a finished run.
pub fn assemble(o: Observed<'_>) -> RunResult {
    let Observed { config, driven, target, shard_ids, pipeline, verified, pipeline_metrics, started_at } = o;
    let st = &driven.stats;
    let ledger = st.ledger.clone();
    let elapsed = driven.elapsed.as_secs_f64().max(1e-9);
    let scheduled = config.driver.duration.as_secs_f64();
    let profile = &config.driver.profile;
    let mean_record_bytes = if ledger.generated > 0 { st.offered_bytes as f64 / ledger.generated as f64 } else { 0.0 };
    // A worker of a split load is judged on its share of it.
    let split = config.driver.worker;
    let worker_share = split.share();
    let peak = profile.peak_rps() * worker_share;

    // Per-shard load, and the busiest second of each shard.
    let peaks = result::peak_shard_rates(&st.timeline, st.shards.len());
    let shards: Vec<ShardResult> = st
        .shards
        .iter()
        .zip(peaks)
        .enumerate()
        .map(|(i, (s, peak))| {
            let id = shard_ids.get(i).cloned().unwrap_or_else(|| format!("shardId-{i:012}"));
            ShardResult::measured(id, s.records, s.bytes, s.throttled, elapsed, peak)
        })
        .collect();

    // Hot keys: exact per-user counts (only user keys can be hot).
    let mut hot_keys = Vec::new();
    if config.generator.keys == KeyModel::User && ledger.generated > 0 {
        let mut users = driven.user_events.clone();
        // Busiest first, ties by index, whichever order the table holds them in.
        users.sort_by_key(|&(i, events)| (std::cmp::Reverse(events), i));
        for &(i, events) in users.iter().take(HOT_KEYS_LISTED) {
            let share = events as f64 / ledger.generated as f64;
            hot_keys.push(HotKeyResult { key: user_key(i), events, share, peak_rps: share * peak });
        }
    }
    let shard_plan = shard_plan(peak, mean_record_bytes, &hot_keys, config.target_utilization);

    let mut stages = Vec::new();
    let (pipeline_result, invocation, e2e) = match pipeline {
        None => (None, None, None),
        Some(p) => {
            let result = Pipeline {
                table_items: p.table_items,
                dlq_messages: p.dlq_messages,
                dlq_by_kind: p.dlq_by_kind,
                invocations: p.invocations,
                delivered: p.delivered,
                reported_for_retry: p.reported_for_retry,
                discarded: p.discarded,
                function_errors: p.function_errors,
                max_iterator_age_ms: p.max_iterator_age_ms,
                mean_batch_size: if p.invocations > 0 { p.delivered as f64 / p.invocations as f64 } else { 0.0 },
                invocation_ms: p.invocation.percentiles(),
                // Every accepted event is in the table, in the dead-letter queue, or still
                // in the stream; what is in none of them is lost.
                lost: ledger.accepted.saturating_sub(p.table_items + p.dlq_messages + p.backlog),
                not_processed: p.backlog,
                valid_dead_lettered: p.dlq_messages.saturating_sub(ledger.invalid_accepted),
                drained: p.drained,
                table_write_calls: p.table_write_calls,
                table_bytes_per_item: p.table_bytes_per_item,
                table_capacity: Some(table_capacity_result(&p.table_capacity)),
                lambda_model: Some(lambda_model_result(&p.lambda, p.invocations)),
            };
            stages.push((Stage::ArrivalToInvocation, p.arrival_to_invocation));
            stages.push((Stage::InvocationToWritten, p.invocation_to_written));
            (Some(result), Some(p.invocation), Some(p.end_to_end))
        }
    };
    let corrected = st.put_corrected.percentiles();
    let load_s = driven.load_elapsed.as_secs_f64().max(1e-9);
    let achieved_rps = driven.accepted_in_load as f64 / load_s;
    let (verify, e2e) = match verified {
        Some((v, latency)) => {
            stages.push((Stage::SendToArrival, latency.send_to_arrival));
            stages.push((Stage::ArrivalToWritten, latency.arrival_to_written));
            (Some(v), Some(latency.end_to_end))
        }
        None => (None, e2e),
    };
    stages.retain(|(_, h)| !h.is_empty());
    let histograms = Histograms {
        put_corrected: st.put_corrected.clone(),
        put_uncorrected: st.put_uncorrected.clone(),
        service_time: st.service_time.clone(),
        end_to_end: e2e.filter(|h| !h.is_empty()),
        invocation,
        stages,
    };
    let lost = result::lost(pipeline_result.as_ref(), verify.as_ref());
    let thresholds = config.thresholds.judge(&Measured {
        p99_ms: corrected.p99,
        throttle_rate: ledger.throttle_rate(),
        achieved_rps,
        lost: ledger.expired + lost,
    });

    let esm = &config.local.esm;
    let mut result = RunResult {
        schema_version: result::SCHEMA_VERSION,
        tool: format!("loadgen {}", env!("CARGO_PKG_VERSION")),
        started_at,
        duration_s: elapsed,
        interrupted: driven.interrupted,
        target,
        config: RunConfigSummary {
            profile: profile_text(profile),
            arrivals: format!("{:?}", config.driver.arrivals).to_lowercase(),
            duration_s: scheduled,
            seed: config.seed,
            key_model: config.generator.keys.name().into(),
            users: config.generator.users,
            user_popularity: format!("{:?}", config.generator.popularity),
            payload_bytes: config.generator.payload_bytes,
            invalid_rate: config.generator.invalid_rate,
            batch_size: esm.batch_size,
            batching_window_s: esm.batching_window.as_secs_f64(),
            parallelization_factor: esm.parallelization,
            table_write_latency_ms: config.local.table_write_latency.as_secs_f64() * 1000.0,
            max_batch_records: config.driver.batch.max_records,
            linger_ms: config.driver.batch.linger.as_secs_f64() * 1000.0,
            max_in_flight: config.driver.max_in_flight,
            record_ttl_s: config.driver.record_ttl.as_secs_f64(),
            producer: config.driver.producer.model.name().into(),
            scenario: config.scenario.clone(),
        },
        rate: Rate {
            target_rps: profile.expected_events(config.driver.duration) / scheduled.max(1e-9) * worker_share,
            peak_target_rps: peak,
            offered_rps: ledger.generated as f64 / load_s,
            achieved_rps,
            load_s,
            drain_s: (elapsed - load_s).max(0.0),
            late_sends: ledger.late_sends,
            missed_at_start: driven.missed_at_start,
            mean_record_bytes,
        },
        latency_ms: LatencySet {
            put_corrected: corrected,
            put_uncorrected: st.put_uncorrected.percentiles(),
            service_time: st.service_time.percentiles(),
            end_to_end: histograms.end_to_end.as_ref().map(Latency::percentiles),
            stages: histograms.stage_latencies(),
        },
        shards,
        pipeline: pipeline_result,
        verify,
        pipeline_metrics,
        worker: (split.count > 1).then(|| WorkerResult {
            index: split.index,
            count: split.count,
            load_id: load_id(config),
        }),
        aggregation: config.driver.aggregation.map(|a| {
            let kinesis_records: u64 = st.shards.iter().map(|s| s.records).sum();
            AggregationResult {
                max_bytes: a.max_bytes as u64,
                kinesis_records,
                user_records: ledger.accepted,
                ratio: if kinesis_records > 0 { ledger.accepted as f64 / kinesis_records as f64 } else { 0.0 },
            }
        }),
        producer: driven.producer.as_ref().map(|s| {
            let model = config.driver.producer.model;
            let adaptive = matches!(model, ProducerModel::Adaptive);
            ProducerResult {
                model: model.name().into(),
                rate_limit: match model {
                    ProducerModel::Kpl { rate_limit } => Some(rate_limit),
                    _ => None,
                },
                held_back: s.held_back,
                buffer_high_water: s.buffer_high_water as u64,
                buffer_full: s.buffer_full,
                expired_waiting: s.expired_waiting,
                rate_decreases: s.rate_decreases,
                lowest_rate_share: adaptive.then_some(s.lowest_rate_share),
                final_rate_share: adaptive.then_some(s.final_rate_share),
            }
        }),
        hot_keys,
        recommendation: Recommendation::from(&shard_plan),
        verdict: Verdict::pending(),
        thresholds,
        timeline: st.timeline.clone(),
        histograms: histograms.encode(),
        ledger,
    };
    conclude(&mut result, &shard_plan);
    result
}

/// Fills in a result's recommendation and verdict from its figures: the one place both
/// are computed, for runs and merged runs alike.
pub fn conclude(result: &mut RunResult, shard_plan: &ShardPlan) {
    let plan = plan::for_run(result, shard_plan.target_utilization, &Prices::default());
    result.recommendation = recommend(result, shard_plan, plan.as_ref());
    result.verdict = judge(result, plan.as_ref());
}

/// The write side's shard plan for a peak of `peak_rps` records of `mean_record_bytes`,
/// whose hottest key is the first of `hot_keys`: one rule for single and merged runs.
pub fn shard_plan(
    peak_rps: f64,
    mean_record_bytes: f64,
    hot_keys: &[HotKeyResult],
    target_utilization: f64,
) -> ShardPlan {
    let hottest = hot_keys.first().map(|k| KeyLoad::at_mean(k.key.clone(), k.peak_rps, mean_record_bytes));
    plan_shards(&Load { records_per_sec: peak_rps, mean_record_bytes, hottest_key: hottest, target_utilization })
}

/// The rate profile as the result describes it.
fn profile_text(p: &RateProfile) -> String {
    match p {
        RateProfile::Constant { rps } => format!("constant {rps} rps"),
        RateProfile::Ramp { from, to, over } => {
            format!("ramp {from}..{to} rps over {}", humantime::format_duration(*over))
        }
        RateProfile::Steps(steps) => format!(
            "steps {}",
            steps.iter().map(|(r, d)| format!("{r}@{}", humantime::format_duration(*d))).collect::<Vec<_>>().join(",")
        ),
        RateProfile::Spike { base, peak, at, lasting } => format!(
            "{base} rps with a spike to {peak} at {} for {}",
            humantime::format_duration(*at),
            humantime::format_duration(*lasting)
        ),
    }
}

fn table_capacity_result(t: &crate::sink::local::stores::TableCapacity) -> crate::outcome::result::TableCapacityResult {
    let s = &t.stats;
    crate::outcome::result::TableCapacityResult {
        mode: t.mode.name().into(),
        capacity_wcu: t.mode.capacity_wcu(),
        consumed_wcu: s.consumed_wcu,
        peak_wcu_per_sec: s.peak_wcu_per_sec,
        peak_demand_wcu_per_sec: s.peak_demand_wcu_per_sec,
        throttled_partition: s.throttled_partition,
        throttled_table: s.throttled_table,
        hottest_key: t.hottest_user.clone(),
        hottest_key_wcu_per_sec: s.hottest_key.map_or(0.0, |(_, wcu)| wcu),
        burst_exhausted_at_s: s.burst_exhausted_at_s,
    }
}

fn lambda_model_result(
    (config, stats): &(crate::sink::local::lambda_model::LambdaConfig, crate::sink::local::lambda_model::LambdaStats),
    invocations: u64,
) -> crate::outcome::result::LambdaModelResult {
    let per = |d: std::time::Duration| d.as_secs_f64() * 1000.0 / invocations.max(1) as f64;
    crate::outcome::result::LambdaModelResult {
        memory_mb: config.memory_mb,
        cpu_share: crate::sink::local::lambda_model::cpu_share(config.memory_mb),
        concurrency_limit: config.concurrency_limit,
        peak_concurrency: stats.peak_concurrency,
        throttled_invocations: stats.throttled_invocations,
        cold_starts: stats.cold_starts,
        cpu_ms_per_invocation: per(stats.cpu),
        modelled_cpu_ms_per_invocation: per(stats.cpu + stats.stretched),
    }
}
