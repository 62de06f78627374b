//! The report's figures as tables, computed once and formatted by each exporter
//! (Markdown pipes, HTML `<table>`), so the formats never disagree on a number.

use loadgen_engine::capacity::plan::Plan;
use loadgen_engine::measure::Percentiles;
use loadgen_engine::outcome::compare::{Allowance, Delta};
use loadgen_engine::outcome::measured::PipelineMetrics;
use loadgen_engine::outcome::result::{BottleneckKind, VerdictState};
use loadgen_engine::outcome::thresholds::{ThresholdName, ThresholdResult};
use loadgen_engine::outcome::verdict::lambda_options_text;
use loadgen_engine::outcome::versus_model::compare;

use crate::{count, ms, Report};

/// A titled table; the first column is a label, the others are figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its heading.
    pub title: &'static str,
    /// Column headings.
    pub columns: Vec<&'static str>,
    /// Cells, row by row.
    pub rows: Vec<Vec<String>>,
    /// A sentence under the table, if any.
    pub note: Option<String>,
}

fn kv(title: &'static str, rows: Vec<(&str, String)>) -> Table {
    Table {
        title,
        columns: vec!["", ""],
        rows: rows.into_iter().map(|(k, v)| vec![k.to_string(), v]).collect(),
        note: None,
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// "Modelled vs measured": the deployed pipeline's CloudWatch figures beside loadgen's
/// own and the capacity model's for the same load ([`compare`]).
fn measured_table(report: &Report, m: &PipelineMetrics) -> Table {
    let figure = |v: Option<f64>, unit: &str| match v {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{} {unit}", count(v as u64)),
        Some(v) => format!("{v:.1} {unit}"),
        None => "no data".into(),
    };
    Table {
        title: "The deployed pipeline, measured (CloudWatch) vs modelled",
        columns: vec!["", "CloudWatch", "loadgen or the model", "from"],
        rows: compare(&report.result, m, report.plan.as_ref())
            .into_iter()
            .map(|c| {
                vec![
                    c.figure.to_string(),
                    figure(c.measured, c.unit),
                    if c.expected.is_some() { figure(c.expected, c.unit) } else { "—".into() },
                    c.expected_from.to_string(),
                ]
            })
            .collect(),
        note: Some({
            let mut note = format!(
                "GetMetricData over {} to {} ({} s periods; peaks are the busiest period's).",
                m.start, m.end, m.period_s
            );
            for w in &m.warnings {
                note.push(' ');
                note.push_str(w);
            }
            note
        }),
    }
}

/// The headline: the verdict's own first line (results written before version 2 have
/// none; for those, one sentence from their figures).
pub fn headline(report: &Report) -> String {
    let r = &report.result;
    if !r.verdict.headline.is_empty() {
        return r.verdict.headline.clone();
    }
    let shards = r.target.shards;
    let planned = r.recommendation.planned_shards();
    format!(
        "{} {:.0} events/s asked, {:.0} events/s accepted into {} shard{}; p99 {} ms from the intended send time; {} shard{} recommended.",
        if r.verdict.holds { "Holds:" } else { "Does not hold:" },
        r.rate.target_rps,
        r.rate.achieved_rps,
        shards,
        if shards == 1 { "" } else { "s" },
        ms(r.latency_ms.put_corrected.p99),
        planned,
        if planned == 1 { "" } else { "s" },
    )
}

/// The verdict's state in capitals, as the summary's `Verdict:` line shows it.
pub fn state_text(state: VerdictState) -> &'static str {
    match state {
        VerdictState::Holds => "HOLDS",
        VerdictState::DoesNotHold => "DOES NOT HOLD",
        VerdictState::Inconclusive => "INCONCLUSIVE",
    }
}

/// What the bottleneck is called in a report.
pub fn bottleneck_text(kind: BottleneckKind) -> &'static str {
    match kind {
        BottleneckKind::StreamWriteQuota => "the stream's write quota (shards)",
        BottleneckKind::HotKey => "a hot partition key on the stream",
        BottleneckKind::StreamReadSide => "the stream's read side",
        BottleneckKind::LambdaConcurrency => "Lambda concurrency",
        BottleneckKind::LambdaDuration => "Lambda keeping up (invocation duration)",
        BottleneckKind::LambdaErrors => "the function's errors",
        BottleneckKind::DynamodbPartition => "a DynamoDB partition",
        BottleneckKind::DynamodbTable => "the DynamoDB table's capacity",
        BottleneckKind::DeadLetterPath => "the dead-letter path",
        BottleneckKind::Producer => "the producer or the endpoint",
    }
}

/// Every table of the report, in reading order.
pub fn tables(report: &Report) -> Vec<Table> {
    let r = &report.result;
    let l = &r.ledger;
    let c = &r.config;
    let mut out = Vec::new();

    if let Some(cmp) = &report.comparison {
        out.push(Table {
            title: "Compared with the baseline",
            columns: vec!["metric", "baseline", "this run", "change", "limit", "status"],
            rows: cmp
                .deltas
                .iter()
                .map(|d| {
                    vec![
                        d.what.to_string(),
                        figure(d.baseline),
                        figure(d.current),
                        change_text(d),
                        d.limit.as_ref().map_or_else(String::new, limit_text),
                        if d.regressed {
                            "REGRESSED".into()
                        } else if d.worse {
                            "worse".into()
                        } else {
                            "ok".into()
                        },
                    ]
                })
                .collect(),
            note: Some(format!("Baseline: {}", cmp.baseline)),
        });
    }

    let target = match &r.target.stream {
        Some(s) => format!(
            "Kinesis stream {s} ({} shards{})",
            r.target.shards,
            r.target.mode.as_ref().map_or(String::new(), |m| format!(", {m}"))
        ),
        None => format!(
            "embedded local pipeline, {} shard{}{}",
            r.target.shards,
            if r.target.shards == 1 { "" } else { "s" },
            // On-demand said; provisioned (and results without a mode) as before.
            if r.target.mode.as_deref() == Some("ON_DEMAND") { ", ON_DEMAND" } else { "" }
        ),
    };
    out.push(kv(
        "Run",
        vec![
            ("runs", report.sources.join(", ")),
            ("started", r.started_at.clone()),
            ("duration", format!("{:.1} s{}", r.duration_s, if r.interrupted { " (interrupted)" } else { "" })),
            ("target", target),
            ("rate profile", format!("{} ({} arrivals)", c.profile, c.arrivals)),
            ("partition keys", format!("{} ({} users, {})", c.key_model, count(c.users as u64), c.user_popularity)),
            (
                "producer",
                format!(
                    "{}; ≤ {} records per PutRecords, linger {} ms, ≤ {} requests in flight",
                    match &r.producer {
                        Some(p) => match p.rate_limit {
                            Some(limit) =>
                                format!("kpl (per-shard token buckets at {:.0}% of the quota)", limit * 100.0),
                            None => "adaptive (per-shard rates that back off on throttling)".to_string(),
                        },
                        None => format!("{} (no pacing; backoff and retry)", c.producer),
                    },
                    c.max_batch_records,
                    c.linger_ms,
                    c.max_in_flight
                ),
            ),
            (
                "event source mapping",
                format!(
                    "batch size {}, batching window {} s, parallelization {}",
                    c.batch_size, c.batching_window_s, c.parallelization_factor
                ),
            ),
            ("seed", c.seed.to_string()),
        ],
    ));

    out.push(kv(
        "Rate and ledger",
        vec![
            ("target rate", format!("{:.1} events/s (peak {:.0})", r.rate.target_rps, r.rate.peak_target_rps)),
            ("achieved rate", format!("{:.1} events/s", r.rate.achieved_rps)),
            ("late sends", count(r.rate.late_sends)),
            ("mean record", format!("{:.0} bytes (data + partition key)", r.rate.mean_record_bytes)),
            ("generated", format!("{} (invalid by design: {})", count(l.generated), count(l.invalid_injected))),
            ("accepted", format!("{} (after retries: {})", count(l.accepted), count(l.accepted_after_retry))),
            ("expired", count(l.expired)),
            ("rejected", count(l.rejected)),
            (
                "throttled",
                format!(
                    "{} answers, {} of attempts ({} events at least once)",
                    count(l.throttled),
                    pct(l.throttle_rate()),
                    count(l.throttled_events)
                ),
            ),
            ("retries", count(l.retries)),
            (
                "ledger",
                if l.balanced() {
                    "balanced: generated = accepted + expired + rejected".into()
                } else {
                    "NOT balanced".into()
                },
            ),
        ],
    ));

    let mut latency = vec![
        ("put, corrected (from its due time)", &r.latency_ms.put_corrected),
        ("put, from the actual send", &r.latency_ms.put_uncorrected),
        ("PutRecords call", &r.latency_ms.service_time),
    ];
    if let Some(e2e) = &r.latency_ms.end_to_end {
        latency.push(("end to end (due → processedAt)", e2e));
    }
    if let Some(p) = &r.pipeline {
        latency.push(("function invocation", &p.invocation_ms));
    }
    out.push(Table {
        title: "Latency (ms)",
        columns: vec!["", "p50", "p90", "p99", "p99.9", "max", "count"],
        rows: latency.into_iter().map(|(name, p)| percentile_row(name, p)).collect(),
        note: Some("Corrected latency counts from when each event was due, so a stalled producer cannot hide its queueing delay (coordinated omission).".into()),
    });

    if r.latency_ms.stages.len() > 1 {
        out.push(Table {
            title: "Latency by stage (ms)",
            columns: vec!["", "p50", "p90", "p99", "p99.9", "max", "count"],
            rows: r.latency_ms.stages.iter().map(|s| percentile_row(s.stage.label(), &s.latency)).collect(),
            note: Some(if r.pipeline.is_some() {
                "The local model stamps a record's arrival when it accepts it; the wait for the invocation holds the batching window and the polling.".into()
            } else {
                "Arrival is Kinesis's approximateArrivalTimestamp on the stored item: the stages read across the producer's and AWS's clocks.".into()
            }),
        });
    }

    out.push(shards_table(r, None));

    if let Some(p) = &r.pipeline {
        let kinds = p.dlq_by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        out.push(kv(
            "Pipeline (Lambda and DynamoDB)",
            vec![
                ("items in the table", count(p.table_items)),
                (
                    "dead letters",
                    if kinds.is_empty() {
                        count(p.dlq_messages)
                    } else {
                        format!("{} ({kinds})", count(p.dlq_messages))
                    },
                ),
                ("invocations", format!("{} (mean batch {:.1} records)", count(p.invocations), p.mean_batch_size)),
                ("records delivered", count(p.delivered)),
                ("reported for retry", count(p.reported_for_retry)),
                ("discarded after retries", count(p.discarded)),
                ("function errors", count(p.function_errors)),
                ("largest iterator age", format!("{:.1} s", p.max_iterator_age_ms / 1000.0)),
                ("BatchWriteItem calls", count(p.table_write_calls)),
                ("lost", count(p.lost)),
                (
                    "drained",
                    if p.drained { "yes".into() } else { "no: the pipeline was still busy when the run ended".into() },
                ),
            ],
        ));
        if let Some(t) = &p.table_capacity {
            let mut rows = vec![
                ("capacity mode", format!("{}, {} WCU/s", t.mode, count(t.capacity_wcu.round() as u64))),
                (
                    "write units",
                    format!(
                        "{} consumed; at most {} in one second ({} asked, retries included)",
                        count(t.consumed_wcu.round() as u64),
                        count(t.peak_wcu_per_sec.round() as u64),
                        count(t.peak_demand_wcu_per_sec.round() as u64)
                    ),
                ),
                ("throttled by a partition key", count(t.throttled_partition)),
                ("throttled by the table", count(t.throttled_table)),
                (
                    "busiest partition key",
                    format!(
                        "{} asked in one second{}",
                        count(t.hottest_key_wcu_per_sec.round() as u64),
                        t.hottest_key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default()
                    ),
                ),
            ];
            if let Some(s) = t.burst_exhausted_at_s {
                rows.push(("burst capacity ran out", format!("{s:.0} s into the run")));
            }
            out.push(kv("DynamoDB write capacity (modelled)", rows));
        }
        if let Some(m) = &p.lambda_model {
            out.push(kv(
                "Lambda (modelled)",
                vec![
                    ("memory", format!("{} MB, {:.1}% of a vCPU", m.memory_mb, m.cpu_share * 100.0)),
                    (
                        "CPU per invocation",
                        format!(
                            "{:.2} ms here (one core as one vCPU), {:.2} ms at that share",
                            m.cpu_ms_per_invocation, m.modelled_cpu_ms_per_invocation
                        ),
                    ),
                    (
                        "concurrency",
                        format!(
                            "{} at once, limit {}",
                            count(m.peak_concurrency),
                            count(u64::from(m.concurrency_limit))
                        ),
                    ),
                    ("throttled invocations", count(m.throttled_invocations)),
                    ("cold starts", count(m.cold_starts)),
                ],
            ));
        }
    }
    if let Some(v) = &r.verify {
        out.push(kv(
            "End-to-end verification",
            vec![
                ("tracer events looked up", count(v.sampled)),
                ("found in the table", count(v.found)),
                ("missing", count(v.missing)),
                ("dead letters gained", v.dlq_messages.map_or_else(|| "not measured".into(), count)),
            ],
        ));
    }
    if let Some(a) = &r.aggregation {
        out.push(kv(
            "KPL aggregation",
            vec![
                ("user records per Kinesis record", format!("{:.1}", a.ratio)),
                ("Kinesis records accepted (what the quota charges)", count(a.kinesis_records)),
                ("user records (events) they carried", count(a.user_records)),
                ("aggregate size limit", format!("{} bytes", count(a.max_bytes))),
            ],
        ));
    }
    if let Some(p) = &r.producer {
        let mut rows = vec![
            ("records held back by the limiter", count(p.held_back)),
            ("buffer high-water mark", format!("{} events", count(p.buffer_high_water))),
            ("expired waiting for their shard", count(p.expired_waiting)),
            ("expired, producer buffer full", count(p.buffer_full)),
        ];
        if let (Some(low), Some(end)) = (p.lowest_rate_share, p.final_rate_share) {
            rows.push((
                "per-shard rate",
                format!(
                    "cut {} times after throttling; lowest {}, at the end {} of the quota",
                    p.rate_decreases,
                    pct(low),
                    pct(end)
                ),
            ));
        }
        out.push(kv("Producer", rows));
    }
    if let Some(m) = &r.pipeline_metrics {
        out.push(measured_table(report, m));
    }
    if !r.hot_keys.is_empty() {
        out.push(Table {
            title: "Hottest partition keys",
            columns: vec!["key", "events", "share", "records/s at peak"],
            rows: r
                .hot_keys
                .iter()
                .map(|k| vec![k.key.clone(), count(k.events), pct(k.share), format!("{:.0}", k.peak_rps)])
                .collect(),
            note: None,
        });
    }
    let rec = &r.recommendation;
    let v = &r.verdict;
    let mut rows = vec![(
        "verdict",
        match &v.bottleneck {
            Some(b) => format!(
                "{}; bottleneck: {}{} ({})",
                state_text(v.state).to_lowercase(),
                bottleneck_text(b.kind),
                b.subject.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
                match b.unit.strip_prefix("share of ") {
                    // A share reads as percentages: "2.4% of put attempts throttled, limit 0%".
                    Some(what) => format!("{} of {what}, limit {}", pct_fine(b.measured), pct_fine(b.limit)),
                    None => format!("{} against {} {}", figure(b.measured), figure(b.limit), b.unit),
                }
            ),
            None => state_text(v.state).to_lowercase(),
        },
    )];
    // Each bound's shard count, beside the count that decides.
    let mut bounds = vec![format!("by records/s {}", rec.by_records), format!("by bytes/s {}", rec.by_bytes)];
    if let Some(h) = rec.by_hot_key {
        bounds.push(format!("by the hottest key {h}"));
    }
    if let Some(s) = rec.by_read_side {
        bounds.push(format!("by the read side {s}"));
    }
    let bounds = bounds.join(", ");
    rows.push((
        "shards to provision",
        match rec.shards {
            Some(n) => format!("{n} (decided by {}; {bounds})", rec.binding),
            None => format!(
                "no shard count fixes the load: spread {} first; then {} (decided by {}; {bounds})",
                rec.spread_keys.join(", "),
                rec.planned_shards(),
                rec.binding
            ),
        },
    ));
    if let Some(k) = &rec.unfixable_key {
        rows.push((
            "by the hottest key",
            format!("unfixable: {} sends {:.0} records/s, more than one shard takes", k.key, k.records_per_sec),
        ));
    }
    if let Some(t) = &rec.table {
        rows.push((
            "DynamoDB table",
            format!(
                "{} ({} WCU), {}/month",
                t.mode,
                count(t.units as u64),
                loadgen_engine::outcome::verdict::dollars(t.monthly_cost_usd)
            ),
        ));
    }
    if let Some(l) = &rec.lambda {
        rows.push((
            "Lambda",
            format!(
                "batch size {}, batching window {} s, parallelization {}, {} MB; lanes {} busy; {}/month on arm64",
                l.batch_size,
                l.batching_window_s,
                l.parallelization_factor,
                l.memory_mb,
                pct(l.lane_utilization),
                loadgen_engine::outcome::verdict::dollars(l.monthly_cost_usd)
            ),
        ));
        if !l.options.is_empty() {
            rows.push(("Lambda, to keep up", lambda_options_text(&l.options)));
        }
    }
    if let Some(c) = rec.monthly_cost_usd {
        rows.push(("monthly cost", loadgen_engine::outcome::verdict::dollars(c)));
    }
    let mut t = kv("Recommendation", rows);
    t.note = Some(format!("At {} of each shard's write quota at the peak rate.", pct(rec.target_utilization)));
    out.push(t);

    if let Some(p) = &report.plan {
        out.extend(plan_tables(p));
    }

    if !r.thresholds.is_empty() {
        out.push(Table {
            title: "Thresholds",
            columns: vec!["", "threshold", "measured", "limit"],
            rows: r
                .thresholds
                .iter()
                .map(|t| {
                    let (what, value, limit) = threshold_figures(t);
                    vec![if t.passed { "✓".into() } else { "✗".into() }, format!("{} ({what})", t.name), value, limit]
                })
                .collect(),
            note: None,
        });
    }
    out
}

/// The per-shard table: every shard, or (`busiest`) the busiest few by records and one
/// "others" row summing the rest (the terminal's summary; the reports keep every shard).
pub fn shards_table(r: &loadgen_engine::RunResult, busiest: Option<usize>) -> Table {
    let row = |id: String, records: u64, bytes: u64, throttled: u64, mean: f64, peak: f64| {
        vec![id, count(records), format!("{:.1}", bytes as f64 / 1e6), count(throttled), pct(mean), pct(peak)]
    };
    let mut shards: Vec<&loadgen_engine::outcome::result::ShardResult> = r.shards.iter().collect();
    let mut rows = Vec::new();
    let mut note =
        "Utilisation is the larger of records/s ÷ 1,000 and bytes/s ÷ 1 MiB, the per-shard write quota.".to_string();
    match busiest {
        Some(n) if shards.len() > n + 1 => {
            shards.sort_by(|a, b| b.records.cmp(&a.records).then(b.peak_utilization.total_cmp(&a.peak_utilization)));
            let (top, rest) = shards.split_at(n);
            rows.extend(
                top.iter().map(|s| {
                    row(s.shard_id.clone(), s.records, s.bytes, s.throttled, s.utilization, s.peak_utilization)
                }),
            );
            let mean = rest.iter().map(|s| s.utilization).sum::<f64>() / rest.len() as f64;
            let peak = rest.iter().map(|s| s.peak_utilization).fold(0.0, f64::max);
            rows.push(row(
                format!("{} others", rest.len()),
                rest.iter().map(|s| s.records).sum(),
                rest.iter().map(|s| s.bytes).sum(),
                rest.iter().map(|s| s.throttled).sum(),
                mean,
                peak,
            ));
            note = format!("The busiest {n} of {} shards; every shard is in the reports.", r.shards.len());
        }
        _ => rows.extend(
            shards
                .iter()
                .map(|s| row(s.shard_id.clone(), s.records, s.bytes, s.throttled, s.utilization, s.peak_utilization)),
        ),
    }
    Table {
        title: "Shards",
        columns: vec!["shard", "records", "MB", "throttled", "mean utilisation", "peak second"],
        rows,
        note: Some(note),
    }
}

/// A threshold as people read it: what it bounds, the measured value and the limit, each
/// with its unit (`p99 7.62 ms`, `≤ 250 ms`).
pub fn threshold_figures(t: &ThresholdResult) -> (&'static str, String, String) {
    match t.name {
        ThresholdName::MaxP99 => {
            ("corrected put p99", format!("{} ms", figure(t.value)), format!("≤ {} ms", figure(t.limit)))
        }
        ThresholdName::MaxThrottleRate => ("throttled attempts", pct_fine(t.value), format!("≤ {}", pct_fine(t.limit))),
        ThresholdName::MinAchievedRate => {
            ("accepted rate", format!("{} events/s", figure(t.value)), format!("≥ {} events/s", figure(t.limit)))
        }
        ThresholdName::MaxLost => ("lost events", count(t.value as u64), format!("≤ {}", count(t.limit as u64))),
    }
}

/// A share as a percentage with the digits a small share needs (0.05%, 1.2%, 35%).
fn pct_fine(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.3}%")
    } else if p < 10.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// The capacity plan for the run's load: what to buy, and what it costs a month.
/// The capacity plan as tables: the one rendering of a plan, for `loadgen plan` and for
/// every report alike.
pub fn plan_tables(p: &Plan) -> Vec<Table> {
    let i = &p.input;
    let l = &p.lambda;
    let d = &p.dynamodb;
    let k = &p.kinesis;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut plan = kv(
        "Capacity plan for this load",
        vec![
            (
                "load",
                format!(
                    "{:.0} events/s at peak, {:.0} on average; {:.0}-byte records, {:.0}-byte keys{}",
                    i.peak_rps,
                    i.mean_rps,
                    i.record_bytes,
                    i.key_bytes,
                    i.hottest_key_share.map(|h| format!("; hottest key {:.2}% of events", h * 100.0)).unwrap_or_default()
                ),
            ),
            (
                "Kinesis",
                format!(
                    "{} shard{}: by records/s {}, by bytes/s {}{}, by the read side ({} consumer{}) {}, at ≤{:.0}% of each shard's quota ({} decides); {}",
                    p.shards.shards,
                    plural(p.shards.shards),
                    p.shards.by_records,
                    p.shards.by_bytes,
                    match (&p.shards.unfixable_key, p.shards.by_hot_key) {
                        (Some(_), _) => ", by the hottest key unfixable (spread it)".to_string(),
                        (None, Some(h)) => format!(", by the hottest key {h}"),
                        (None, None) => String::new(),
                    },
                    i.consumers,
                    plural(u64::from(i.consumers)),
                    p.read_shards,
                    p.shards.target_utilization * 100.0,
                    p.shards.binding,
                    match &p.fan_out.reason {
                        Some(why) => format!("enhanced fan-out recommended (${:.2}/month; {why})", p.fan_out.cost),
                        None if p.fan_out.extra_read_shards > 0 => format!(
                            "enhanced fan-out not recommended: ${:.2}/month against ${:.2} for the {} more shards the read side needs",
                            p.fan_out.cost, p.fan_out.extra_read_shards_cost, p.fan_out.extra_read_shards
                        ),
                        None => "enhanced fan-out not needed".to_string(),
                    }
                ),
            ),
            (
                "Lambda",
                format!(
                    "concurrency {}; {:.0} records/s per lane → batches of {:.0} (batch size {}, window {}), {:.0} ms batching on average; invocation ≈ {:.1} ms, lanes {:.0}% busy; {:.2e} invocations and {:.0} GB-s a month at {} MB",
                    l.concurrency,
                    l.lane_rps,
                    l.batch_size,
                    i.batch_size,
                    humantime::format_duration(i.batching_window),
                    l.batching_delay_ms,
                    l.invocation_ms,
                    l.lane_utilization * 100.0,
                    l.invocations_per_month,
                    l.gb_seconds_per_month,
                    i.memory_mb
                ),
            ),
            (
                "DynamoDB",
                format!(
                    "{:.0} WCU at peak ({:.0} per event, {:.0}-byte items){}; {:.1} GB stored with a {:.0}-day TTL",
                    d.peak_wcu,
                    d.wcu_per_event,
                    i.item_bytes,
                    d.hottest_key_wcu.map(|h| format!("; hottest user {h:.0} WCU on one partition")).unwrap_or_default(),
                    d.storage_gb,
                    i.ttl_days
                ),
            ),
        ],
    );
    let side = |s: &loadgen_engine::capacity::plan::StreamSide| {
        format!(
            "{} shard{} (by records/s {}, by bytes/s {}), {} events per record of {:.0} bytes, ${:.2}/month for the stream",
            s.shards.shards,
            plural(s.shards.shards),
            s.shards.by_records,
            s.shards.by_bytes,
            if s.events_per_record >= 10.0 { format!("{:.0}", s.events_per_record) } else { format!("{:.1}", s.events_per_record) },
            s.record_bytes,
            s.cost_per_month
        )
    };
    plan.rows.insert(2, vec!["Kinesis, one event per record".into(), side(&p.plain_stream)]);
    plan.rows.insert(
        3,
        vec![
            "Kinesis, KPL-aggregated".into(),
            format!("{} (the consumer must de-aggregate: this function does)", side(&p.aggregated_stream)),
        ],
    );
    if !p.lambda_options.is_empty() {
        plan.rows.insert(
            5,
            vec![
                "Lambda options".into(),
                format!("lanes under 70% busy with {}", lambda_options_text(&p.lambda_options)),
            ],
        );
    }
    let w = &p.load_workers;
    plan.rows.push(vec![
        "loadgen workers".into(),
        format!(
            "{} to offer the peak ({} events/s each; one worker on one core sends up to {} events/s on the real SDK path, planned at {:.0}%): --workers {}",
            count(w.workers),
            count(w.events_per_worker.round() as u64),
            count(w.ceiling_per_core.round() as u64),
            loadgen_engine::capacity::workers::WORKER_TARGET_UTILIZATION * 100.0,
            w.workers
        ),
    ]);
    for w in &p.warnings {
        plan.rows.push(vec!["warning".into(), w.clone()]);
    }
    plan.note = Some("`loadgen plan --help` lists the figures a plan takes; `loadgen plan --from result.json` plans from measured runs.".into());
    let money = |v: f64| format!("${v:.2}");
    let cost = Table {
        title: "Cost per month",
        columns: vec!["", "option 1", "option 2"],
        rows: vec![
            vec![
                "Kinesis".into(),
                format!(
                    "provisioned {} ({} shard{} {} + PUT units {})",
                    money(k.provisioned_shards + k.provisioned_put_units),
                    p.shards.shards,
                    plural(p.shards.shards),
                    money(k.provisioned_shards),
                    money(k.provisioned_put_units)
                ),
                format!("on-demand {}", money(k.on_demand)),
            ],
            vec!["Lambda".into(), format!("arm64 {}", money(l.cost_arm64)), format!("x86_64 {}", money(l.cost_x86_64))],
            vec![
                "DynamoDB".into(),
                format!("provisioned {}", money(d.cost_provisioned)),
                format!("on-demand {}", money(d.cost_on_demand)),
            ],
            vec![
                "CloudWatch".into(),
                format!(
                    "logs {} ({:.1} GB of EMF lines)",
                    money(p.cloudwatch.logs),
                    p.cloudwatch.log_gb_per_month
                ),
                format!("custom metrics {}", money(p.cloudwatch.metrics)),
            ],
            vec![
                "cheapest total".into(),
                money(p.total_per_month),
                format!("${:.4} per million events", p.per_million_events),
            ],
        ],
        note: Some(format!(
            "The total takes the cheaper stream mode (with enhanced fan-out when recommended), arm64, the cheaper table mode and CloudWatch (the function's EMF lines; Lambda's own log lines are not counted). Prices: {}; replace them with `loadgen plan --prices FILE`.",
            p.prices.source
        )),
    };
    vec![plan, cost]
}

fn percentile_row(name: &str, p: &Percentiles) -> Vec<String> {
    vec![name.to_string(), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p999), ms(p.max), count(p.count)]
}

/// A figure of unknown scale: integers as integers, small values with more digits.
pub fn figure(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        let digits = count(v.abs() as u64);
        if v < 0.0 {
            format!("-{digits}")
        } else {
            digits
        }
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// `+12.3%`, or `new` when the baseline was zero.
/// A change as a person reads it: `+12.3%` / `−40.0%` within a factor of two, `×4,180`
/// or `÷3.2` beyond it.
pub fn change_text(d: &Delta) -> String {
    match d.change {
        Some(c) if c >= 1.0 => format!("×{}", ratio(1.0 + c)),
        Some(c) if c <= -0.5 && c > -1.0 => format!("÷{}", ratio(1.0 / (1.0 + c))),
        Some(c) if c <= -1.0 => "to 0".into(),
        Some(c) => format!("{:+.1}%", c * 100.0),
        None if d.current == 0.0 => "±0".into(),
        None => "new".into(),
    }
}

/// A factor: `2.5`, `12`, `4,180`.
fn ratio(r: f64) -> String {
    if r >= 100.0 {
        count(r.round() as u64)
    } else if r >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// `≤ +10%` / `≤ +100`.
pub fn limit_text(a: &Allowance) -> String {
    match a {
        Allowance::Relative(r) => format!("≤ {:.4}% worse", r * 100.0).replace(".0000%", "%"),
        Allowance::Absolute(v) => format!("≤ {v} worse"),
    }
}
