//! A small, fixed result: ten seconds, two shards, a throttling second, a pipeline,
//! histograms per second. The exporters' snapshot tests and the engine's own tests render
//! and compare it; tools built on the engine can use it the same way.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::capacity::shards::{Binding, ShardPlan};
use crate::measure::{Latency, Ledger, Stage, TimelinePoint};
use crate::outcome::result::*;
use crate::outcome::thresholds::{ThresholdName, ThresholdResult};

fn latency(from_us: u64, step_us: u64, n: u64) -> Latency {
    let mut l = Latency::default();
    for i in 0..n {
        l.record(Duration::from_micros(from_us + step_us * i));
    }
    l
}

/// The fixed result.
pub fn sample_result() -> RunResult {
    let shard_plan = ShardPlan {
        shards: 1,
        by_records: 1,
        by_bytes: 1,
        by_hot_key: None,
        binding: Binding::Records,
        unfixable_key: None,
        target_utilization: 0.8,
    };
    let mut put_all = Latency::default();
    let mut e2e_all = Latency::default();
    let timeline: Vec<TimelinePoint> = (1..=10u64)
        .map(|t| {
            let slow = if t == 6 { 40 } else { 1 };
            let put = latency(2_000 * slow, 10 * slow, 200);
            let e2e = latency(5_000_000, 1_000, 150);
            put_all.merge(&put);
            e2e_all.merge(&e2e);
            let q = put.percentiles();
            TimelinePoint {
                t: t as f64,
                target_rps: 200.0,
                generated_rps: 200.0,
                achieved_rps: if t == 6 { 150.0 } else { 200.0 },
                late: u64::from(t == 6) * 3,
                throttled: u64::from(t == 6) * 50,
                retries: u64::from(t == 6) * 50,
                put_p50_ms: q.p50,
                put_p99_ms: q.p99,
                put_max_ms: q.max,
                backlog: 100 + t * 10,
                iterator_age_ms: 1_000.0 + t as f64 * 100.0,
                end_to_end_p99_ms: e2e.percentiles().p99,
                shard_records: vec![120, 80],
                put_histogram: put.to_base64(),
                end_to_end_histogram: e2e.to_base64(),
            }
        })
        .collect();
    let uncorrected = latency(1_500, 9, 2_000);
    let service = latency(1_000, 5, 40);
    let invocation = latency(3_000, 100, 20);
    let mut histograms = BTreeMap::new();
    histograms.insert("put_corrected".to_string(), put_all.to_base64());
    histograms.insert("put_uncorrected".to_string(), uncorrected.to_base64());
    histograms.insert("service_time".to_string(), service.to_base64());
    histograms.insert("end_to_end".to_string(), e2e_all.to_base64());
    histograms.insert("invocation".to_string(), invocation.to_base64());
    let waited = latency(4_900_000, 1_000, 150);
    let written = latency(3_000, 100, 150);
    histograms.insert(Stage::ArrivalToInvocation.histogram_name().to_string(), waited.to_base64());
    histograms.insert(Stage::InvocationToWritten.histogram_name().to_string(), written.to_base64());
    let stages = vec![
        StageLatency { stage: Stage::SendToAccepted, latency: put_all.percentiles() },
        StageLatency { stage: Stage::ArrivalToInvocation, latency: waited.percentiles() },
        StageLatency { stage: Stage::InvocationToWritten, latency: written.percentiles() },
    ];
    let mut result = RunResult {
        schema_version: SCHEMA_VERSION,
        tool: "loadgen 0.1.0".into(),
        started_at: "2026-11-25T12:00:00Z".into(),
        duration_s: 10.0,
        interrupted: false,
        target: Target { kind: TargetKind::Local, shards: 2, stream: None, mode: None },
        config: RunConfigSummary {
            profile: "constant 200 rps".into(),
            arrivals: "uniform".into(),
            duration_s: 10.0,
            seed: 7,
            key_model: "user".into(),
            users: 1000,
            user_popularity: "Uniform".into(),
            payload_bytes: None,
            invalid_rate: 0.0,
            batch_size: 100,
            batching_window_s: 5.0,
            parallelization_factor: 1,
            table_write_latency_ms: 5.0,
            max_batch_records: 500,
            linger_ms: 50.0,
            max_in_flight: 64,
            record_ttl_s: 30.0,
            producer: "naive".into(),
            scenario: None,
        },
        rate: Rate {
            target_rps: 200.0,
            peak_target_rps: 200.0,
            offered_rps: 200.0,
            achieved_rps: 195.0,
            load_s: 10.0,
            drain_s: 0.0,
            late_sends: 3,
            missed_at_start: 0,
            mean_record_bytes: 340.0,
        },
        ledger: Ledger {
            generated: 2000,
            accepted: 2000,
            accepted_after_retry: 50,
            throttled: 50,
            throttled_events: 50,
            retries: 50,
            late_sends: 3,
            ..Ledger::default()
        },
        latency_ms: LatencySet {
            put_corrected: put_all.percentiles(),
            put_uncorrected: uncorrected.percentiles(),
            service_time: service.percentiles(),
            end_to_end: Some(e2e_all.percentiles()),
            stages,
        },
        shards: vec![
            ShardResult {
                shard_id: "shardId-000000000000".into(),
                records: 1200,
                bytes: 408_000,
                throttled: 50,
                utilization: 0.12,
                peak_utilization: 0.12,
            },
            ShardResult {
                shard_id: "shardId-000000000001".into(),
                records: 800,
                bytes: 272_000,
                throttled: 0,
                utilization: 0.08,
                peak_utilization: 0.08,
            },
        ],
        pipeline: Some(Pipeline {
            table_items: 2000,
            dlq_messages: 0,
            dlq_by_kind: BTreeMap::new(),
            invocations: 20,
            delivered: 2000,
            reported_for_retry: 0,
            discarded: 0,
            function_errors: 0,
            max_iterator_age_ms: 2_000.0,
            mean_batch_size: 100.0,
            invocation_ms: invocation.percentiles(),
            lost: 0,
            not_processed: 0,
            valid_dead_lettered: 0,
            drained: true,
            table_write_calls: 80,
            table_bytes_per_item: 24,
            table_capacity: Some(TableCapacityResult {
                mode: "on-demand".into(),
                capacity_wcu: 4000.0,
                consumed_wcu: 2000.0,
                peak_wcu_per_sec: 210.0,
                peak_demand_wcu_per_sec: 210.0,
                throttled_partition: 0,
                throttled_table: 0,
                hottest_key: None,
                hottest_key_wcu_per_sec: 3.0,
                burst_exhausted_at_s: None,
            }),
            lambda_model: Some(LambdaModelResult {
                memory_mb: 256,
                cpu_share: 256.0 / 1769.0,
                concurrency_limit: 1000,
                peak_concurrency: 1,
                throttled_invocations: 0,
                cold_starts: 1,
                cpu_ms_per_invocation: 0.05,
                modelled_cpu_ms_per_invocation: 0.35,
            }),
        }),
        verify: None,
        pipeline_metrics: None,
        producer: None,
        aggregation: None,
        worker: None,
        hot_keys: vec![HotKeyResult { key: "user-000042".into(), events: 12, share: 0.006, peak_rps: 1.2 }],
        recommendation: Recommendation::from(&shard_plan),
        verdict: Verdict::pending(),
        thresholds: vec![ThresholdResult { name: ThresholdName::MaxP99, limit: 250.0, value: 80.0, passed: true }],
        timeline,
        histograms,
    };
    crate::outcome::assemble::conclude(&mut result, &shard_plan);
    result
}
