//! The answer: did the pipeline hold the load, where does it give way first, and what
//! does the load need — one [`Verdict`] and one [`Recommendation`], computed once from a
//! run's (or a merged run's) figures and its capacity plan. Every output renders these
//! two objects; none recomputes them.
//!
//! The state:
//! - **does not hold** when any stage failed: the stream throttled or let events expire,
//!   a key is over one shard's or one DynamoDB partition's limit, the consumer fell
//!   behind, events were lost, invalid records were not dead-lettered one for one, or a
//!   deployed pipeline's CloudWatch metrics show Lambda throttles or errors, table
//!   throttles that reached the event source mapping, or a growing iterator age —
//!   even if the load was not offered in full (it failed at less);
//! - otherwise **inconclusive** when the load was not offered as asked: the offered rate
//!   below [`OFFERED_SHARE`] of the target, more than [`LATE_SHARE`] of the events sent
//!   late, or the run stopped early;
//! - otherwise **holds**.
//!
//! The bottleneck is the first failing stage in pipeline order (producer, hot key,
//! stream write quota, stream read side, Lambda, DynamoDB partition, DynamoDB table,
//! dead-letter path). Findings come in that order too, and the recommendation's sentence
//! is built from the recommendation itself, so no line contradicts another.

use crate::capacity::plan::Plan;
use crate::capacity::quotas::{DYNAMODB_PARTITION_WCU, SHARD_WRITE_RECORDS_PER_SEC};
use crate::capacity::shards::{Binding, ShardPlan};
use crate::outcome::measured::PipelineMetrics;
use crate::outcome::result::{
    AggregationRecommendation, Bottleneck, BottleneckKind, LambdaOption, LambdaRecommendation, Pipeline,
    Recommendation, RunResult, TableCapacityResult, TableRecommendation, Verdict, VerdictState,
};

/// The share of the target rate that must be offered for a run to say anything.
pub const OFFERED_SHARE: f64 = 0.995;
/// The share of events that may be sent late (more than 10 ms after their due time, or
/// after the linger the driver waits on purpose at a low rate): a
/// few late sends are scheduling noise on a busy host, a twentieth of the load is a
/// producer that fell behind.
pub const LATE_SHARE: f64 = 0.05;
/// The share of put attempts a pacing producer may see throttled (retried and accepted)
/// without the stream counting as short.
pub const PACED_THROTTLE_SHARE: f64 = 0.01;
/// The consumer falls behind when the iterator age passes the batching window by this.
pub const ITERATOR_AGE_SLACK_S: f64 = 5.0;

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `$1,234` (whole dollars, thousands separated), or `$0.42` under ten dollars.
pub fn dollars(v: f64) -> String {
    if v < 10.0 {
        return format!("${v:.2}");
    }
    let digits = format!("{:.0}", v);
    let mut out = String::with_capacity(digits.len() + 4);
    out.push('$');
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The write units the hottest user puts on its DynamoDB partition, when the plan has
/// them above the partition's limit.
fn over_partition(plan: Option<&Plan>) -> Option<f64> {
    plan?.dynamodb.hottest_key_wcu.filter(|w| *w > f64::from(DYNAMODB_PARTITION_WCU))
}

/// The recommendation for `r`'s load: its shard plan (`shard_plan`, the write side) and
/// its capacity plan (`plan`, for the read side, the table, Lambda and the cost).
pub fn recommend(r: &RunResult, shard_plan: &ShardPlan, plan: Option<&Plan>) -> Recommendation {
    let mut spread_keys: Vec<String> = shard_plan.unfixable_key.iter().map(|k| k.key.clone()).collect();
    if let (Some(_), Some(hot)) = (over_partition(plan), r.hot_keys.first()) {
        if !spread_keys.contains(&hot.key) {
            spread_keys.push(hot.key.clone());
        }
    }
    // With a plan, the shard count is the plan's (write and read side); without, the
    // write side's.
    let planned = plan.map_or(shard_plan.shards, |p| p.shards.shards);
    let by_read_side = plan.map(|p| p.read_shards);
    let binding = plan.map_or(shard_plan.binding, |p| p.shards.binding);
    let spread = !spread_keys.is_empty();
    // With a plan, its write side (which knows whether records are aggregated).
    let write_side = plan.map_or(shard_plan, |p| &p.shards);
    Recommendation {
        shards: (!spread).then_some(planned),
        by_records: write_side.by_records,
        by_bytes: write_side.by_bytes,
        by_hot_key: write_side.by_hot_key,
        by_read_side,
        binding,
        unfixable_key: shard_plan.unfixable_key.clone(),
        spread_keys,
        shards_after_spreading: spread.then_some(planned),
        target_utilization: shard_plan.target_utilization,
        table: plan.map(|p| {
            let provisioned = p.dynamodb.cost_provisioned <= p.dynamodb.cost_on_demand;
            TableRecommendation {
                mode: if provisioned { "provisioned" } else { "on-demand" }.into(),
                units: if provisioned { p.dynamodb.provisioned_wcu } else { p.dynamodb.peak_wcu.ceil() },
                monthly_cost_usd: p.dynamodb.cost_provisioned.min(p.dynamodb.cost_on_demand),
            }
        }),
        lambda: plan.map(|p| LambdaRecommendation {
            batch_size: p.input.batch_size,
            batching_window_s: p.input.batching_window.as_secs_f64(),
            parallelization_factor: p.input.parallelization,
            memory_mb: p.input.memory_mb,
            lane_utilization: p.lambda.lane_utilization,
            monthly_cost_usd: p.lambda.cost_arm64,
            options: p.lambda_options.clone(),
        }),
        monthly_cost_usd: plan.map(|p| p.total_per_month),
        aggregation: plan.map(|p| AggregationRecommendation {
            events_per_record: p.aggregated_stream.events_per_record,
            aggregated_shards: p.aggregated_stream.shards.shards,
            aggregated_stream_cost_usd: p.aggregated_stream.cost_per_month,
            plain_shards: p.plain_stream.shards.shards,
            plain_stream_cost_usd: p.plain_stream.cost_per_month,
        }),
    }
}

/// What makes the consumer keep up, in words: the plan's Lambda options with their
/// monthly cost when it has them, else the knobs to turn.
fn lambda_fix(rec: &Recommendation) -> String {
    match rec.lambda.as_ref().map(|l| l.options.as_slice()).unwrap_or_default() {
        [] => "raise the parallelization factor, the batch size or the memory".into(),
        options => format!("to keep up, set {}", lambda_options_text(options)),
    }
}

/// The plan's Lambda options as one phrase ("memory 1024 MB (52% busy, $3.10/month),
/// or parallelization factor 2 (…)"), as every output shows them.
pub fn lambda_options_text(options: &[LambdaOption]) -> String {
    let each: Vec<String> = options
        .iter()
        .map(|o| {
            let value = match o.setting.as_str() {
                "memory" => format!("{} MB", o.memory_mb),
                "batch size" => o.batch_size.to_string(),
                _ => o.parallelization_factor.to_string(),
            };
            format!(
                "{} {value} ({:.0}% busy, {}/month)",
                o.setting,
                o.lane_utilization * 100.0,
                dollars(o.monthly_cost_usd)
            )
        })
        .collect();
    match each.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}, or {last}", rest.join(", ")),
    }
}

/// Whether the local table's throttles reached the event source mapping. Throttles the
/// function's own retries absorbed cost latency, not events: a finding. Once the function
/// reports records for redelivery, the shard waits on them: the table holds the pipeline
/// back, and a consumer that fell behind meanwhile is its symptom.
fn table_held_the_shards(p: &Pipeline) -> bool {
    p.reported_for_retry > 0 && p.table_capacity.as_ref().is_some_and(|t| t.throttled_partition + t.throttled_table > 0)
}

/// What failed, in pipeline order, each with its figure.
struct Failure {
    bottleneck: Bottleneck,
    headline: String,
}

/// What the local table's capacity model measured: a partition key over 1,000 WCU/s, a
/// table past its capacity (and burst), or a table that took the writes.
fn judge_table(
    r: &RunResult,
    t: &TableCapacityResult,
    plan: Option<&Plan>,
    cost: &str,
    findings: &mut Vec<String>,
    failures: &mut Vec<Failure>,
) {
    let rec = &r.recommendation;
    let redelivered = r.pipeline.as_ref().map_or(0, |p| p.reported_for_retry);
    let reached_the_mapping = r.pipeline.as_ref().is_some_and(table_held_the_shards);
    let absorbed = if redelivered > 0 {
        format!("the function reported {redelivered} records for redelivery")
    } else {
        "the function's own retries absorbed them".into()
    };
    if t.throttled_partition > 0 {
        let who = t.hottest_key.clone().or_else(|| r.hot_keys.first().map(|k| k.key.clone())).unwrap_or_default();
        findings.push(format!(
            "DynamoDB throttled {} writes on the partition of user '{who}': its key asked up to {:.0} WCU in one second (the function's retries included), over one partition's {} WCU (in either capacity mode: adaptive capacity isolates the key, not past that limit); {absorbed}.",
            t.throttled_partition, t.hottest_key_wcu_per_sec, DYNAMODB_PARTITION_WCU
        ));
        failures.extend(reached_the_mapping.then(|| Failure {
            bottleneck: Bottleneck {
                kind: BottleneckKind::DynamodbPartition,
                measured: t.hottest_key_wcu_per_sec,
                limit: f64::from(DYNAMODB_PARTITION_WCU),
                unit: "WCU/s".into(),
                subject: Some(who.clone()),
            },
            headline: format!(
                "Does not hold: user {who} asks up to {:.0} WCU/s of one DynamoDB partition (limit 1,000), {} writes throttled — spread its key; the rest needs {} shard{}{cost}.",
                t.hottest_key_wcu_per_sec,
                t.throttled_partition,
                rec.planned_shards(),
                plural(rec.planned_shards())
            ),
        }));
    }
    if t.throttled_table > 0 {
        let provisioned = t.mode == "provisioned";
        let burst = t
            .burst_exhausted_at_s
            .map(|s| format!("; its burst capacity ran out {s:.0} s into the run"))
            .unwrap_or_default();
        let fix = match plan {
            Some(p) => format!(
                "provision {:.0} WCU (the peak at a 70% target, {}/month) or use on-demand ({}/month)",
                p.dynamodb.provisioned_wcu,
                dollars(p.dynamodb.cost_provisioned),
                dollars(p.dynamodb.cost_on_demand)
            ),
            None => "raise the table's capacity".into(),
        };
        let what = if provisioned {
            format!("{:.0} provisioned WCU", t.capacity_wcu)
        } else {
            format!(
                "the on-demand table's {:.0} WCU/s (double its previous peak; DynamoDB takes about 30 minutes to scale further, so pre-warm it or ramp up)",
                t.capacity_wcu
            )
        };
        findings.push(format!(
            "DynamoDB throttled {} writes on the table's capacity: up to {:.0} WCU asked in one second (retries included) of {what}{burst}; {absorbed}. To hold: {fix}.",
            t.throttled_table, t.peak_demand_wcu_per_sec
        ));
        failures.extend(reached_the_mapping.then(|| Failure {
            bottleneck: Bottleneck {
                kind: BottleneckKind::DynamodbTable,
                measured: t.peak_demand_wcu_per_sec,
                limit: t.capacity_wcu,
                unit: "WCU/s".into(),
                subject: None,
            },
            headline: format!(
                "Does not hold: the DynamoDB table ({}, {:.0} WCU/s) throttled {} writes at {:.0} WCU/s asked{burst} — {fix}.",
                t.mode, t.capacity_wcu, t.throttled_table, t.peak_demand_wcu_per_sec
            ),
        }));
    }
    if t.throttled_partition == 0 && t.throttled_table == 0 {
        findings.push(format!(
            "DynamoDB took every write: at most {:.0} WCU in one second of the {} table's {:.0} WCU/s, no partition key over 1,000.",
            t.peak_wcu_per_sec, t.mode, t.capacity_wcu
        ));
    }
}

/// What the deployed pipeline's CloudWatch metrics measured: a Lambda that throttled or
/// failed, a table that throttled (a failure once the function had to hand records back
/// for redelivery, as for the local model), an iterator age that grew. Each failure
/// carries CloudWatch's own figure.
fn judge_measured(r: &RunResult, m: &PipelineMetrics, findings: &mut Vec<String>, failures: &mut Vec<Failure>) {
    let function = m.function_name.as_deref().unwrap_or("the function");
    let f = &m.function;
    let count = |v: Option<f64>| v.unwrap_or(0.0);
    let mut summary = vec![format!(
        "CloudWatch over {} to {}: {} records into the stream",
        m.start,
        m.end,
        m.stream.incoming_records.map_or_else(|| "no figure for the".into(), |v| format!("{v:.0}"))
    )];
    if let Some(i) = f.invocations {
        summary.push(format!(
            "{i:.0} invocations of {function}{}",
            f.duration_p99_ms.map(|d| format!(" (p99 {d:.0} ms)")).unwrap_or_default()
        ));
    }
    if let Some(w) = m.table.peak_wcu_per_sec {
        summary.push(format!("at most {w:.0} WCU/s on the table"));
    }
    findings.push(format!("{}.", summary.join(", ")));
    if !m.warnings.is_empty() {
        findings.push(format!(
            "Some CloudWatch figures are missing ({} warning{}; the report lists them): {}",
            m.warnings.len(),
            plural(m.warnings.len() as u64),
            m.warnings[0]
        ));
    }
    if count(f.throttles) > 0.0 {
        let at_once =
            f.concurrent_executions_max.map(|c| format!(" with at most {c:.0} running at once")).unwrap_or_default();
        failures.push(Failure {
            bottleneck: Bottleneck {
                kind: BottleneckKind::LambdaConcurrency,
                measured: count(f.throttles),
                limit: 0.0,
                unit: "throttled invocations (CloudWatch)".into(),
                subject: m.function_name.clone(),
            },
            headline: format!(
                "Does not hold: Lambda throttled {:.0} invocations of {function}{at_once} (CloudWatch Throttles) — raise its reserved concurrency or the account's limit, or lower shards × parallelization factor.",
                count(f.throttles)
            ),
        });
    }
    if count(f.errors) > 0.0 {
        failures.push(Failure {
            bottleneck: Bottleneck {
                kind: BottleneckKind::LambdaErrors,
                measured: count(f.errors),
                limit: 0.0,
                unit: "failed invocations (CloudWatch)".into(),
                subject: m.function_name.clone(),
            },
            headline: format!(
                "Does not hold: {function} failed {:.0} invocations (CloudWatch Errors); the event source mapping retries their whole batches — read the function's logs.",
                count(f.errors)
            ),
        });
    }
    let throttled_writes = count(m.table.write_throttle_events);
    if throttled_writes > 0.0 {
        let retried = count(m.processing.retried_events);
        findings.push(format!(
            "DynamoDB throttled {throttled_writes:.0} write requests on {} (CloudWatch WriteThrottleEvents; at most {} WCU/s consumed); {}.",
            m.table_name.as_deref().unwrap_or("the table"),
            m.table.peak_wcu_per_sec.map_or_else(|| "an unknown".into(), |w| format!("{w:.0}")),
            if retried > 0.0 {
                format!("the function reported {retried:.0} events for redelivery")
            } else {
                "the function's own retries absorbed them".into()
            }
        ));
        if retried > 0.0 {
            failures.push(Failure {
                bottleneck: Bottleneck {
                    kind: BottleneckKind::DynamodbTable,
                    measured: throttled_writes,
                    limit: 0.0,
                    unit: "write requests throttled (CloudWatch)".into(),
                    subject: m.table_name.clone(),
                },
                headline: format!(
                    "Does not hold: DynamoDB throttled {throttled_writes:.0} write requests (CloudWatch WriteThrottleEvents) and the function handed {retried:.0} events back for redelivery — raise the table's capacity or use on-demand, and spread hot users."
                ),
            });
        }
    }
    let age_limit_s = r.config.batching_window_s + ITERATOR_AGE_SLACK_S;
    if let Some(age_ms) = f.iterator_age_max_ms.or(m.stream.iterator_age_max_ms) {
        let age_s = age_ms / 1000.0;
        if age_s > age_limit_s {
            failures.push(Failure {
                bottleneck: Bottleneck {
                    kind: BottleneckKind::LambdaDuration,
                    measured: age_s,
                    limit: age_limit_s,
                    unit: "s of iterator age (CloudWatch)".into(),
                    subject: m.function_name.clone(),
                },
                headline: format!(
                    "Does not hold: the deployed consumer fell behind (CloudWatch iterator age {age_s:.1} s against a {:.0} s batching window{}); raise the parallelization factor, the batch size or the memory.",
                    r.config.batching_window_s,
                    f.duration_p99_ms.map(|d| format!("; invocations {d:.0} ms at p99")).unwrap_or_default()
                ),
            });
        }
    }
}

/// Judges `r` (its figures, with `recommendation` already filled in by [`recommend`]):
/// the verdict, its findings and its headline.
pub fn judge(r: &RunResult, plan: Option<&Plan>) -> Verdict {
    let l = &r.ledger;
    let rec = &r.recommendation;
    let used = r.shards.len() as u64;
    let peak = r.rate.peak_target_rps;
    let cost = rec.monthly_cost_usd.map(|c| format!(", about {}/month", dollars(c))).unwrap_or_default();
    let mut findings = Vec::new();
    let mut failures: Vec<Failure> = Vec::new();
    // Failures caused by another one (a consumer that lagged because the table throttled):
    // judged after every cause.
    let mut symptoms: Vec<Failure> = Vec::new();

    // The load: offered as asked?
    let target = r.rate.target_rps;
    let offered_short = target > 0.0 && r.rate.offered_rps < OFFERED_SHARE * target;
    let late_share = if l.generated > 0 { r.rate.late_sends as f64 / l.generated as f64 } else { 0.0 };
    let late = late_share > LATE_SHARE;
    if offered_short || late {
        findings.push(format!(
            "The load was not offered as asked: {:.0} of {:.0} events/s offered, {} events ({:.1}%) sent more than 10 ms late — the generator or the endpoint fell behind.",
            r.rate.offered_rps,
            target,
            r.rate.late_sends,
            late_share * 100.0
        ));
    }

    if r.rate.missed_at_start > 0 {
        findings.push(format!(
            "This worker joined the load after its start (--start-at): {} events due before it began were not sent.",
            r.rate.missed_at_start
        ));
    }

    // The stream.
    let hot = rec.unfixable_key.as_ref();
    if let Some(k) = hot {
        let share = r.hot_keys.iter().find(|h| h.key == k.key).map_or(0.0, |h| h.share);
        let partition = over_partition(plan).is_some();
        failures.push(Failure {
            bottleneck: Bottleneck {
                kind: BottleneckKind::HotKey,
                measured: k.records_per_sec,
                limit: f64::from(SHARD_WRITE_RECORDS_PER_SEC),
                unit: "records/s".into(),
                subject: Some(k.key.clone()),
            },
            headline: format!(
                "Does not hold: {} sends {:.1}% of events ({:.0}/s), more than one shard{} take{} — spread it; the rest needs {} shard{}{cost}.",
                k.key,
                share * 100.0,
                k.records_per_sec,
                if partition { " and one DynamoDB partition" } else { "" },
                if partition { "" } else { "s" },
                rec.planned_shards(),
                plural(rec.planned_shards()),
            ),
        });
    }
    // A producer that paces itself per shard may see a few throttles at the edges of the
    // stream's one-second windows; retried and accepted, they cost nothing.
    let paced = r.producer.as_ref();
    let absorbed = paced.is_some() && l.expired == 0 && l.throttle_rate() <= PACED_THROTTLE_SHARE;
    if absorbed && l.throttled_events > 0 {
        findings.push(format!(
            "The {} producer paced every shard: {:.2}% of put attempts were throttled at the edges of the stream's one-second windows, all retried and accepted.",
            r.config.producer,
            l.throttle_rate() * 100.0
        ));
    }
    if !absorbed && (l.throttled_events > 0 || l.expired > 0) {
        let busiest = r.shards.iter().max_by_key(|s| s.throttled).map(|s| s.shard_id.clone()).unwrap_or_default();
        let rate = l.throttle_rate();
        if l.throttled_events > 0 {
            let why = match (hot, rec.shards) {
                (Some(k), _) => format!("the shard of '{}'", k.key),
                (None, Some(n)) if n > used => format!("{used} shard{} cannot take {peak:.0} events/s", plural(used)),
                _ => "the load is uneven across the shards".into(),
            };
            findings.push(format!(
                "The stream throttled {:.1}% of put attempts ({} events at least once; most on {busiest}): {why}.{}",
                rate * 100.0,
                l.throttled_events,
                if paced.is_none() {
                    " The naive producer does not pace itself: it sends when due and retries throttled records, as no deployed producer should (--producer adaptive or kpl pace each shard)."
                } else {
                    ""
                }
            ));
        }
        if let Some(p) = paced.filter(|p| p.expired_waiting + p.buffer_full > 0) {
            findings.push(format!(
                "The stream's capacity is short even for a producer that paces itself ({}): {} events expired waiting for their shard{}, {:.0} of {peak:.0} events/s accepted.",
                p.model,
                p.expired_waiting + p.buffer_full,
                if p.buffer_full > 0 { format!(" ({} because the producer buffer was full)", p.buffer_full) } else { String::new() },
                r.rate.achieved_rps,
            ));
        }
        if hot.is_none() {
            failures.push(Failure {
                bottleneck: match paced {
                    // A paced producer is not throttled much: what shows is the rate the
                    // shards took against the rate asked.
                    Some(_) => Bottleneck {
                        kind: BottleneckKind::StreamWriteQuota,
                        measured: r.rate.achieved_rps,
                        limit: peak,
                        unit: "events/s accepted of those asked".into(),
                        subject: Some(busiest),
                    },
                    None => Bottleneck {
                        kind: BottleneckKind::StreamWriteQuota,
                        measured: rate,
                        limit: 0.0,
                        unit: "share of put attempts throttled".into(),
                        subject: Some(busiest),
                    },
                },
                headline: if r.target.mode.as_deref() == Some("ON_DEMAND") {
                    format!(
                        "Does not hold: the on-demand stream ({used} shards' worth at once) throttled {:.1}% of put attempts at {peak:.0} events/s; it takes double its previous peak at once and scales further only over time — ramp it up or provision {} shard{}{cost}.",
                        rate * 100.0,
                        rec.planned_shards(),
                        plural(rec.planned_shards()),
                    )
                } else if let Some(p) = paced {
                    format!(
                        "Does not hold: paced per shard ({} producer), {used} shard{} took {:.0} of {peak:.0} events/s and {} events expired waiting; the load needs {} shard{}{cost}.",
                        p.model,
                        plural(used),
                        r.rate.achieved_rps,
                        l.expired,
                        rec.planned_shards(),
                        plural(rec.planned_shards()),
                    )
                } else {
                    format!(
                        "Does not hold: {used} shard{} throttled {:.1}% of put attempts at {peak:.0} events/s; the load needs {} shard{}{cost}.",
                        plural(used),
                        rate * 100.0,
                        rec.planned_shards(),
                        plural(rec.planned_shards()),
                    )
                },
            });
        }
    } else if !absorbed {
        findings.push(format!("No throttling: {used} shard{} took the load.", plural(used)));
    }
    if let Some(k) = hot {
        findings.push(format!(
            "Partition key '{}' alone sends {:.0} records/s ({:.0} KiB/s), over one shard's 1,000 records/s or 1 MiB/s: no shard count fixes this.",
            k.key,
            k.records_per_sec,
            k.bytes_per_sec / 1024.0
        ));
    }
    if l.expired > 0 {
        findings.push(format!(
            "{} events expired before the stream accepted them (after retries for up to {:.0} s).",
            l.expired, r.config.record_ttl_s
        ));
    }

    // The consumer and the table (local pipeline), or verification (a deployed one).
    let window_s = r.config.batching_window_s;
    match (&r.pipeline, &r.verify) {
        (Some(p), _) => {
            let age_s = p.max_iterator_age_ms / 1000.0;
            // What the modelled function says about why: its CPU share, its concurrency.
            let lambda = p.lambda_model.as_ref();
            let throttled = lambda.filter(|m| m.throttled_invocations > 0);
            if let Some(m) = throttled {
                findings.push(format!(
                    "Lambda's concurrency limit ({}) was reached: {} invocations waited for an execution environment ({} busy at once; the mapping needs shards × parallelization factor).",
                    m.concurrency_limit, m.throttled_invocations, m.peak_concurrency
                ));
            }
            let cpu_note = lambda
                .filter(|m| m.cpu_share < 1.0 && m.modelled_cpu_ms_per_invocation > 0.2 * p.invocation_ms.p50.max(1e-9))
                .map(|m| {
                    format!(
                        " At {} MB the function has {:.0}% of a vCPU: {:.1} ms of CPU per invocation take {:.1} ms; more memory shortens them.",
                        m.memory_mb,
                        m.cpu_share * 100.0,
                        m.cpu_ms_per_invocation,
                        m.modelled_cpu_ms_per_invocation
                    )
                })
                .unwrap_or_default();
            // The lag of shards the table held back is its symptom; the table, judged
            // below, is the bottleneck.
            let held_by_table = table_held_the_shards(p);
            if age_s > window_s + ITERATOR_AGE_SLACK_S {
                let fix = if held_by_table {
                    format!(
                        "DynamoDB's throttled writes held the shards back (the function retried them and reported {} records for redelivery): fix the table first, then judge the consumer again",
                        p.reported_for_retry
                    )
                } else {
                    lambda_fix(rec)
                };
                findings.push(format!(
                    "The consumer fell behind: iterator age reached {age_s:.1} s (batching window {window_s:.0} s; invocations {:.0} ms at p50); {fix}.{cpu_note}",
                    p.invocation_ms.p50
                ));
                let (kind, why) = match throttled {
                    Some(m) => (
                        BottleneckKind::LambdaConcurrency,
                        format!("; Lambda's concurrency limit of {} throttled {} invocations", m.concurrency_limit, m.throttled_invocations),
                    ),
                    None => (BottleneckKind::LambdaDuration, String::new()),
                };
                let lag = if held_by_table { &mut symptoms } else { &mut failures };
                lag.push(Failure {
                    bottleneck: Bottleneck {
                        kind,
                        measured: age_s,
                        limit: window_s + ITERATOR_AGE_SLACK_S,
                        unit: "s of iterator age".into(),
                        subject: None,
                    },
                    headline: format!(
                        "Does not hold: the consumer fell behind (iterator age {age_s:.1} s against a {window_s:.0} s batching window{why}); {fix}.{cpu_note}"
                    ),
                });
            } else if p.invocations > 0 {
                findings.push(format!(
                    "The consumer kept up: iterator age at most {age_s:.1} s (batching window {window_s:.0} s), {:.0} records per invocation.",
                    p.mean_batch_size
                ));
            }
            if !p.drained {
                findings.push(
                    "The pipeline had not finished processing when --settle ran out; table counts are partial.".into(),
                );
                failures.push(Failure {
                    bottleneck: Bottleneck {
                        kind: BottleneckKind::LambdaDuration,
                        measured: p.max_iterator_age_ms / 1000.0,
                        limit: window_s + ITERATOR_AGE_SLACK_S,
                        unit: "s of iterator age".into(),
                        subject: None,
                    },
                    headline: "Does not hold: the pipeline was still processing when --settle ran out.".into(),
                });
            }
        }
        (None, None) => findings.push(
            "End-to-end figures were not measured: name the table (--table) and the queue (--dlq-url) to verify the pipeline.".into(),
        ),
        (None, Some(v)) => {
            if v.sampled > 0 {
                findings.push(format!(
                    "{} of {} sampled events reached the table{}.",
                    v.found,
                    v.sampled,
                    if v.missing > 0 { format!("; {} are missing after --settle", v.missing) } else { String::new() }
                ));
            }
            if v.missing > 0 {
                failures.push(Failure {
                    bottleneck: Bottleneck {
                        kind: BottleneckKind::LambdaDuration,
                        measured: v.missing as f64,
                        limit: 0.0,
                        unit: "sampled events missing".into(),
                        subject: None,
                    },
                    headline: format!(
                        "Does not hold: {} of {} sampled events had not reached the table when --settle ran out.",
                        v.missing, v.sampled
                    ),
                });
            }
        }
    }
    if let Some(m) = &r.pipeline_metrics {
        judge_measured(r, m, &mut findings, &mut failures);
    }
    match r.pipeline.as_ref().and_then(|p| p.table_capacity.as_ref()) {
        // The local model enforced DynamoDB's capacity: judge what it measured.
        Some(t) => judge_table(r, t, plan, &cost, &mut findings, &mut failures),
        // A deployed pipeline: the plan says what the load puts on the hottest partition.
        None => {
            if let (Some(wcu), Some(k)) = (over_partition(plan), r.hot_keys.first()) {
                findings.push(format!(
                "User '{}' writes about {wcu:.0} WCU to one DynamoDB partition, over its 1,000 WCU: DynamoDB throttles it in either capacity mode (from the load; the deployed table was not measured).",
                k.key
            ));
                failures.push(Failure {
                bottleneck: Bottleneck {
                    kind: BottleneckKind::DynamodbPartition,
                    measured: wcu,
                    limit: f64::from(DYNAMODB_PARTITION_WCU),
                    unit: "WCU".into(),
                    subject: Some(k.key.clone()),
                },
                headline: format!(
                    "Does not hold: user {} writes about {wcu:.0} WCU to one DynamoDB partition (limit 1,000) — spread it; the rest needs {} shard{}{cost}.",
                    k.key,
                    rec.planned_shards(),
                    plural(rec.planned_shards())
                ),
            });
            }
        }
    }
    if let Some(p) = &r.pipeline {
        if p.lost > 0 || p.discarded > 0 {
            findings.push(format!(
                "{} accepted events never reached the table or the DLQ ({} discarded by the event source mapping after retries).",
                p.lost, p.discarded
            ));
            failures.push(Failure {
                bottleneck: Bottleneck {
                    kind: BottleneckKind::DynamodbTable,
                    measured: p.lost as f64,
                    limit: 0.0,
                    unit: "events lost".into(),
                    subject: None,
                },
                headline: format!(
                    "Does not hold: {} accepted events never reached the table ({} discarded after retries).",
                    p.lost, p.discarded
                ),
            });
        }
    }
    if let Some(p) = &r.pipeline {
        if p.not_processed > 0 {
            findings.push(format!(
                "{} accepted events were still in the stream when the run ended: not yet processed (not lost).",
                p.not_processed
            ));
        }
        if p.valid_dead_lettered > 0 {
            let kinds = p.dlq_by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
            findings.push(format!(
                "{} valid events were dead-lettered instead of stored (dead letters by kind: {kinds}).",
                p.valid_dead_lettered
            ));
            failures.push(Failure {
                bottleneck: Bottleneck {
                    kind: BottleneckKind::DynamodbTable,
                    measured: p.valid_dead_lettered as f64,
                    limit: 0.0,
                    unit: "valid events dead-lettered".into(),
                    subject: None,
                },
                headline: format!(
                    "Does not hold: {} valid events were dead-lettered instead of stored ({kinds}).",
                    p.valid_dead_lettered
                ),
            });
        }
    }
    let dead_letters = r.pipeline.as_ref().map(|p| p.dlq_messages).or(r.verify.as_ref().and_then(|v| v.dlq_messages));
    if let Some(d) = dead_letters {
        if d < l.invalid_accepted {
            findings.push(format!(
                "The dead-letter queue holds {d} messages for {} invalid events accepted.",
                l.invalid_accepted
            ));
            failures.push(Failure {
                bottleneck: Bottleneck {
                    kind: BottleneckKind::DeadLetterPath,
                    measured: d as f64,
                    limit: l.invalid_accepted as f64,
                    unit: "dead letters".into(),
                    subject: None,
                },
                headline: format!(
                    "Does not hold: the dead-letter queue holds {d} messages for {} invalid events.",
                    l.invalid_accepted
                ),
            });
        } else if r.verify.is_some() {
            findings.push(format!(
                "The dead-letter queue gained {d} messages for {} invalid events accepted.",
                l.invalid_accepted
            ));
        }
    }

    // The recommendation, in words built from itself.
    let u = rec.target_utilization * 100.0;
    findings.push(match (&rec.shards, rec.spread_keys.first()) {
        (None, Some(key)) => format!(
            "No shard count fixes this load: spread {} (a key suffix, or explicit hash keys); the rest needs {} shard{} at ≤{u:.0}% utilisation{cost}.",
            if rec.spread_keys.len() > 1 { rec.spread_keys.join(" and ") } else { format!("'{key}'") },
            rec.planned_shards(),
            plural(rec.planned_shards())
        ),
        _ => format!(
            "This load needs {} shard{} at ≤{u:.0}% utilisation (by records/s {}, by bytes/s {}{}{}; {} decides){cost}.",
            rec.planned_shards(),
            plural(rec.planned_shards()),
            rec.by_records,
            rec.by_bytes,
            rec.by_hot_key.map(|h| format!(", by the hottest key {h}")).unwrap_or_default(),
            rec.by_read_side.filter(|_| rec.binding == Binding::ReadSide).map(|s| format!(", by the read side {s}")).unwrap_or_default(),
            rec.binding,
        ),
    });
    if let Some(a) =
        rec.aggregation.as_ref().filter(|a| r.aggregation.is_some() || a.aggregated_shards < a.plain_shards)
    {
        findings.push(format!(
            "With KPL aggregation (about {:.0} events per Kinesis record) {} shard{} {} the stream ({}/month for the stream); without it, {} shard{} ({}/month). Aggregation asks the consumer to de-aggregate: this function does.",
            a.events_per_record,
            a.aggregated_shards,
            plural(a.aggregated_shards),
            if a.aggregated_shards == 1 { "carries" } else { "carry" },
            dollars(a.aggregated_stream_cost_usd),
            a.plain_shards,
            plural(a.plain_shards),
            dollars(a.plain_stream_cost_usd),
        ));
    }
    if r.interrupted {
        findings.push("The run was interrupted: figures cover the part that ran.".into());
    }

    let first = failures.into_iter().chain(symptoms).next();
    let (state, bottleneck, headline) = match first {
        Some(f) => (VerdictState::DoesNotHold, Some(f.bottleneck), f.headline),
        None if offered_short || late || r.interrupted => {
            let why = if r.interrupted {
                format!("the run was stopped after {:.0} s", r.rate.load_s)
            } else {
                format!("only {:.0} of {:.0} events/s were offered ({} late sends)", r.rate.offered_rps, target, r.rate.late_sends)
            };
            (
                VerdictState::Inconclusive,
                Some(Bottleneck {
                    kind: BottleneckKind::Producer,
                    measured: r.rate.offered_rps,
                    limit: target,
                    unit: "events/s offered".into(),
                    subject: None,
                }),
                format!("Inconclusive: {why}, so this run says nothing about the pipeline at {target:.0} events/s."),
            )
        }
        None => (
            VerdictState::Holds,
            None,
            format!(
                "Holds: {:.0} events/s offered and {:.0} accepted into {used} shard{}, p99 {:.0} ms from the intended send; the load needs {} shard{}{cost}.",
                r.rate.offered_rps,
                r.rate.achieved_rps,
                plural(used),
                r.latency_ms.put_corrected.p99,
                rec.planned_shards(),
                plural(rec.planned_shards())
            ),
        ),
    };
    Verdict {
        state,
        holds: state == VerdictState::Holds,
        bottleneck,
        headline,
        findings,
        unfixable_key: rec.unfixable_key.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::assemble::{conclude, shard_plan};
    use crate::outcome::fixture::sample_result;
    use crate::outcome::result::HotKeyResult;

    /// The fixture made healthy: no throttling, offered as asked.
    fn healthy() -> RunResult {
        let mut r = sample_result();
        r.ledger.throttled = 0;
        r.ledger.throttled_events = 0;
        r.ledger.accepted_after_retry = 0;
        r.rate.late_sends = 0;
        for s in &mut r.shards {
            s.throttled = 0;
        }
        rejudge(&mut r);
        r
    }

    fn rejudge(r: &mut RunResult) {
        let p = shard_plan(r.rate.peak_target_rps, r.rate.mean_record_bytes, &r.hot_keys, 0.8);
        conclude(r, &p);
    }

    fn state_and_bottleneck(r: &RunResult) -> (VerdictState, Option<BottleneckKind>) {
        (r.verdict.state, r.verdict.bottleneck.as_ref().map(|b| b.kind))
    }

    #[test]
    fn each_state_and_bottleneck() {
        let ok = healthy();
        assert_eq!(state_and_bottleneck(&ok), (VerdictState::Holds, None), "{:?}", ok.verdict.findings);
        assert!(ok.verdict.headline.starts_with("Holds: 200 events/s offered"), "{}", ok.verdict.headline);

        type Case = (&'static str, fn(&mut RunResult), VerdictState, BottleneckKind);
        let cases: Vec<Case> = vec![
            (
                "throttled",
                |r| {
                    r.ledger.throttled = 500;
                    r.ledger.throttled_events = 400;
                },
                VerdictState::DoesNotHold,
                BottleneckKind::StreamWriteQuota,
            ),
            ("expired", |r| r.ledger.expired = 3, VerdictState::DoesNotHold, BottleneckKind::StreamWriteQuota),
            (
                "hot key",
                |r| {
                    r.hot_keys =
                        vec![HotKeyResult { key: "user-0000007".into(), events: 1200, share: 0.6, peak_rps: 1200.0 }];
                    r.rate.peak_target_rps = 2000.0;
                },
                VerdictState::DoesNotHold,
                BottleneckKind::HotKey,
            ),
            (
                "consumer behind",
                |r| r.pipeline.as_mut().unwrap().max_iterator_age_ms = 30_000.0,
                VerdictState::DoesNotHold,
                BottleneckKind::LambdaDuration,
            ),
            (
                "not drained",
                |r| r.pipeline.as_mut().unwrap().drained = false,
                VerdictState::DoesNotHold,
                BottleneckKind::LambdaDuration,
            ),
            (
                "lost",
                |r| r.pipeline.as_mut().unwrap().lost = 7,
                VerdictState::DoesNotHold,
                BottleneckKind::DynamodbTable,
            ),
            (
                "dead letters",
                |r| {
                    r.ledger.invalid_accepted = 5;
                    r.pipeline.as_mut().unwrap().dlq_messages = 2;
                },
                VerdictState::DoesNotHold,
                BottleneckKind::DeadLetterPath,
            ),
            ("offered short", |r| r.rate.offered_rps = 180.0, VerdictState::Inconclusive, BottleneckKind::Producer),
            ("late", |r| r.rate.late_sends = 200, VerdictState::Inconclusive, BottleneckKind::Producer),
            ("interrupted", |r| r.interrupted = true, VerdictState::Inconclusive, BottleneckKind::Producer),
            (
                "failed while short: the failure wins",
                |r| {
                    r.rate.offered_rps = 100.0;
                    r.ledger.throttled_events = 10;
                    r.ledger.throttled = 10;
                },
                VerdictState::DoesNotHold,
                BottleneckKind::StreamWriteQuota,
            ),
        ];
        for (name, change, state, kind) in cases {
            let mut r = healthy();
            change(&mut r);
            rejudge(&mut r);
            assert_eq!(state_and_bottleneck(&r), (state, Some(kind)), "{name}: {:?}", r.verdict.findings);
            assert_eq!(r.verdict.holds, state == VerdictState::Holds, "{name}");
            let word = match state {
                VerdictState::Holds => "Holds:",
                VerdictState::DoesNotHold => "Does not hold:",
                VerdictState::Inconclusive => "Inconclusive:",
            };
            assert!(r.verdict.headline.starts_with(word), "{name}: {}", r.verdict.headline);
        }
    }

    /// The local table's model throttled a partition key: the bottleneck is that
    /// partition with the key's figure, and the function's redeliveries are named.
    /// A deployed pipeline's run (no local model) whose CloudWatch read found `set`.
    fn measured(set: fn(&mut PipelineMetrics)) -> RunResult {
        let mut r = healthy();
        r.pipeline = None;
        r.verify = Some(crate::aws::verify::VerifyResult { sampled: 10, found: 10, missing: 0, dlq_messages: None });
        let mut m = PipelineMetrics {
            start: "2026-12-01T10:00:00Z".into(),
            end: "2026-12-01T10:02:00Z".into(),
            period_s: 60,
            stream_name: "events".into(),
            function_name: Some("processor".into()),
            table_name: Some("events".into()),
            ..PipelineMetrics::default()
        };
        m.stream.incoming_records = Some(400.0);
        m.function.invocations = Some(20.0);
        set(&mut m);
        r.pipeline_metrics = Some(m);
        rejudge(&mut r);
        r
    }

    #[test]
    fn cloudwatch_figures_are_judged_with_their_own_numbers() {
        let quiet = measured(|_| {});
        assert_eq!(state_and_bottleneck(&quiet), (VerdictState::Holds, None), "{:?}", quiet.verdict.findings);
        assert!(quiet.verdict.findings.iter().any(|f| f.starts_with(
            "CloudWatch over 2026-12-01T10:00:00Z to 2026-12-01T10:02:00Z: 400 records into the stream, 20 invocations of processor"
        )));
        type Case = (&'static str, fn(&mut PipelineMetrics), BottleneckKind, f64, &'static str);
        let cases: Vec<Case> = vec![
            (
                "throttles",
                |m| m.function.throttles = Some(3.0),
                BottleneckKind::LambdaConcurrency,
                3.0,
                "Lambda throttled 3 invocations of processor",
            ),
            ("errors", |m| m.function.errors = Some(2.0), BottleneckKind::LambdaErrors, 2.0, "failed 2 invocations"),
            (
                // 40 s of iterator age against a 5 s window + 5 s slack.
                "iterator age",
                |m| m.function.iterator_age_max_ms = Some(40_000.0),
                BottleneckKind::LambdaDuration,
                40.0,
                "iterator age 40.0 s",
            ),
            (
                "table throttles handed back",
                |m| {
                    m.table.write_throttle_events = Some(12.0);
                    m.processing.retried_events = Some(30.0);
                },
                BottleneckKind::DynamodbTable,
                12.0,
                "handed 30 events back",
            ),
        ];
        for (name, set, kind, figure, words) in cases {
            let r = measured(set);
            assert_eq!(state_and_bottleneck(&r), (VerdictState::DoesNotHold, Some(kind)), "{name}");
            assert_eq!(r.verdict.bottleneck.as_ref().unwrap().measured, figure, "{name}");
            assert!(r.verdict.headline.contains(words), "{name}: {}", r.verdict.headline);
        }
        // Throttles the function's own retries absorbed are a finding, not a failure.
        let absorbed = measured(|m| m.table.write_throttle_events = Some(12.0));
        assert_eq!(absorbed.verdict.state, VerdictState::Holds);
        assert!(absorbed.verdict.findings.iter().any(|f| f.contains("the function's own retries absorbed them")));
    }

    #[test]
    fn a_throttled_partition_key_is_the_bottleneck() {
        let mut r = healthy();
        let p = r.pipeline.as_mut().unwrap();
        p.reported_for_retry = 40;
        let t = p.table_capacity.as_mut().unwrap();
        t.throttled_partition = 900;
        t.hottest_key = Some("user-0000007".into());
        t.hottest_key_wcu_per_sec = 1_400.0;
        rejudge(&mut r);
        assert_eq!(state_and_bottleneck(&r), (VerdictState::DoesNotHold, Some(BottleneckKind::DynamodbPartition)));
        let b = r.verdict.bottleneck.as_ref().unwrap();
        assert_eq!((b.measured, b.limit, b.subject.as_deref()), (1_400.0, 1_000.0, Some("user-0000007")));
        assert!(r.verdict.headline.contains("user user-0000007 asks up to 1400 WCU/s"), "{}", r.verdict.headline);
        assert!(r.verdict.findings.iter().any(|f| f.contains("reported 40 records for redelivery")));
        // The consumer lagged because of those throttles (the function's retries, the
        // mapping's redeliveries): still the partition, and the lag's finding says why.
        r.pipeline.as_mut().unwrap().max_iterator_age_ms = 30_000.0;
        rejudge(&mut r);
        assert_eq!(state_and_bottleneck(&r), (VerdictState::DoesNotHold, Some(BottleneckKind::DynamodbPartition)));
        let lag = r.verdict.findings.iter().find(|f| f.starts_with("The consumer fell behind")).unwrap();
        assert!(lag.contains("DynamoDB's throttled writes held the shards back"), "{lag}");
        assert!(!lag.contains("parallelization factor"), "{lag}");
        // Throttles the function's retries absorbed are a finding, not a failure; a lag
        // beside them is the consumer's own.
        r.pipeline.as_mut().unwrap().reported_for_retry = 0;
        rejudge(&mut r);
        assert_eq!(state_and_bottleneck(&r), (VerdictState::DoesNotHold, Some(BottleneckKind::LambdaDuration)));
        r.pipeline.as_mut().unwrap().max_iterator_age_ms = 2_000.0;
        rejudge(&mut r);
        assert!(r.verdict.holds, "{:?}", r.verdict.findings);
        assert!(r.verdict.findings.iter().any(|f| f.contains("the function's own retries absorbed them")));
    }

    /// A provisioned table past its units and burst: the table is the bottleneck, the
    /// finding says when the burst ran out and what holds, with both modes' costs.
    #[test]
    fn a_provisioned_table_past_its_burst_is_the_bottleneck() {
        let mut r = healthy();
        r.pipeline.as_mut().unwrap().reported_for_retry = 300;
        let t = r.pipeline.as_mut().unwrap().table_capacity.as_mut().unwrap();
        *t = TableCapacityResult {
            mode: "provisioned".into(),
            capacity_wcu: 1_000.0,
            peak_demand_wcu_per_sec: 5_100.0,
            throttled_table: 12_000,
            burst_exhausted_at_s: Some(73.0),
            ..t.clone()
        };
        rejudge(&mut r);
        assert_eq!(state_and_bottleneck(&r), (VerdictState::DoesNotHold, Some(BottleneckKind::DynamodbTable)));
        let b = r.verdict.bottleneck.as_ref().unwrap();
        assert_eq!((b.measured, b.limit), (5_100.0, 1_000.0));
        let f = r.verdict.findings.iter().find(|f| f.contains("table's capacity")).unwrap();
        assert!(
            f.contains("burst capacity ran out 73 s into the run")
                && f.contains("provision ")
                && f.contains("or use on-demand ($"),
            "{f}"
        );
    }

    /// A key over one shard: no shard count, the key to spread, what the rest needs, and
    /// no finding that says a shard count would do.
    #[test]
    fn a_hot_key_is_spread_not_sharded() {
        let mut r = healthy();
        r.rate.peak_target_rps = 20_000.0;
        r.rate.target_rps = 20_000.0;
        r.rate.offered_rps = 20_000.0;
        r.rate.mean_record_bytes = 1036.0;
        r.hot_keys = vec![HotKeyResult { key: "user-0000000".into(), events: 2000, share: 0.1, peak_rps: 2000.0 }];
        r.ledger.throttled = 100_000;
        r.ledger.throttled_events = 30_000;
        // A deployed pipeline's table is not measured: the plan says what the key puts on
        // its partition.
        r.pipeline.as_mut().unwrap().table_capacity = None;
        rejudge(&mut r);
        let rec = &r.recommendation;
        assert_eq!(rec.shards, None);
        assert_eq!(rec.spread_keys, ["user-0000000"]);
        assert_eq!(rec.shards_after_spreading, Some(25));
        assert_eq!(rec.unfixable_key.as_ref().map(|k| k.key.as_str()), Some("user-0000000"));
        assert_eq!(state_and_bottleneck(&r), (VerdictState::DoesNotHold, Some(BottleneckKind::HotKey)));
        let h = &r.verdict.headline;
        assert!(
            h.contains("user-0000000 sends 10.0%")
                && h.contains("one DynamoDB partition")
                && h.contains("the rest needs 25 shards"),
            "{h}"
        );
        for f in &r.verdict.findings {
            assert!(!f.contains("cannot take"), "no shard count is blamed: {f}");
            assert!(!f.contains("This load needs"), "no shard count is recommended: {f}");
        }
        assert!(r.verdict.findings.iter().any(|f| f.contains("no shard count fixes this")));
        assert!(r.verdict.findings.iter().any(|f| f.contains("WCU to one DynamoDB partition")));
        // A key that one shard carries is sized, not spread.
        let mut fixable = r.clone();
        fixable.hot_keys[0].peak_rps = 500.0;
        fixable.hot_keys[0].share = 0.025;
        rejudge(&mut fixable);
        assert!(fixable.recommendation.shards.is_some() && fixable.recommendation.spread_keys.is_empty());
    }

    #[test]
    fn dollars_read_well() {
        assert_eq!(dollars(4173.04), "$4,173");
        assert_eq!(dollars(1_234_567.0), "$1,234,567");
        assert_eq!(dollars(0.5), "$0.50");
    }
}
