//! `loadgen run`: generate the load into the embedded local pipeline, let the pipeline
//! finish, then judge: the ledger, latencies, per-shard load, the verdict with the shard
//! count the load needs, thresholds, and `result.json`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::capacity::{plan_shards, KeyLoad, Load};
use crate::cli::{RunPlan, Thresholds};
use crate::driver::{drive, Driven};
use crate::generator::Generator;
use crate::keys::KeyModel;
use crate::kinesis::{preflight, KinesisSink, KinesisTarget, PreflightError};
use crate::local::LocalPipeline;
use crate::result::{
    self, HotKeyResult, LatencySet, Pipeline, Rate, RunConfigSummary, RunResult, ShardResult, Target, ThresholdResult,
    Verdict,
};
use crate::schedule::RateProfile;
use crate::sink::RecordSink;
use crate::stats::Latency;
use crate::summary;
use crate::verify::{Verifier, VerifyResult};

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The results could not be written.
    #[error("could not write results to {path}: {source}. The run's summary was printed above; fix the directory and run again")]
    Write {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The report could not be rendered or written; result.json and summary.txt were.
    #[error("result.json was written but the report was not: {0}. Run `loadgen report` on the result to try again")]
    Report(String),
    /// End-to-end verification failed to run.
    #[error("{0}")]
    Verify(crate::verify::VerifyError),
    /// The stream cannot be used (see the message for the fix).
    #[error("{0}")]
    Preflight(PreflightError),
    /// The pipeline's runtime could not start.
    #[error("cannot start the local pipeline's threads: {0}")]
    Runtime(std::io::Error),
    /// The target failed for good during the run (results were still written).
    #[error("the run stopped early: {0}")]
    Target(String),
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The result.
    pub result: RunResult,
    /// 0 ok, 3 thresholds missed, 130 interrupted.
    pub exit_code: i32,
}

/// Runs `plan` against its target: a Kinesis stream when one is named, else the
/// embedded local pipeline.
pub async fn run(plan: RunPlan) -> Result<RunOutcome, RunError> {
    match plan.target.clone() {
        Some(target) => run_kinesis(plan, &target).await,
        None => run_local(plan).await,
    }
}

/// Runs `plan` against the embedded local pipeline.
///
/// The pipeline runs on a runtime of its own (one worker thread) and the schedule on the
/// caller's: processing a batch never holds up a due event, and at high rates each gets
/// a core of its own.
pub async fn run_local(plan: RunPlan) -> Result<RunOutcome, RunError> {
    let pipeline_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("local-pipeline")
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let pipeline = LocalPipeline::start_on(plan.local, pipeline_runtime.handle());
    let hook = progress_hook(Some(pipeline.clone()), plan.progress_every);
    let (driven, started_at) = load(&plan, pipeline.clone(), hook).await;
    let settle = if driven.interrupted { plan.settle.min(Duration::from_secs(10)) } else { plan.settle };
    if plan.progress_every.is_some() {
        eprintln!(
            "load done; waiting up to {} for the pipeline to finish processing…",
            humantime::format_duration(settle)
        );
    }
    // Ctrl-C while the pipeline drains stops waiting; the results say it did not drain.
    let (drained, interrupted) = tokio::select! {
        drained = pipeline.drain(settle) => (drained, driven.interrupted),
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: writing the results without waiting for the pipeline");
            (false, true)
        }
    };
    let driven = Driven { interrupted, ..driven };
    // Dropping a runtime may block; inside an async context it must not.
    pipeline_runtime.shutdown_background();
    let target = Target { kind: "local".into(), shards: plan.local.shards, stream: None, mode: None };
    let shard_ids = pipeline.shard_ids();
    let result = build_result(&plan, &driven, target, &shard_ids, Some((&pipeline, drained)), None, started_at);
    finish(&plan, &driven, result)
}

/// Runs `plan` against a Kinesis stream, after a preflight that checks the stream and
/// reads its shards.
pub async fn run_kinesis(plan: RunPlan, target: &KinesisTarget) -> Result<RunOutcome, RunError> {
    let (client, info) = preflight(target).await.map_err(RunError::Preflight)?;
    let mut plan = plan;
    if let KeyModel::ExplicitHash { .. } = plan.generator.keys {
        plan.generator.keys = KeyModel::explicit_for(&info.shards.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>());
    }
    if plan.progress_every.is_some() {
        eprintln!("stream {}: {} open shards, {} mode", info.name, info.shards.len(), info.mode);
    }
    let verifier = match plan.table.is_some() || plan.dlq_url.is_some() {
        true => Some(Verifier::new(target).await),
        false => None,
    };
    let dlq_before = match (&verifier, &plan.dlq_url) {
        (Some(v), Some(url)) => Some(v.queue_depth(url).await.map_err(RunError::Verify)?),
        _ => None,
    };
    let sink = Arc::new(KinesisSink::new(client, &info));
    let hook = progress_hook(None, plan.progress_every);
    let (driven, started_at) = load(&plan, sink, hook).await;
    let verified = match verifier {
        Some(v) if driven.fatal.is_none() => Some(verify(&plan, &v, &driven, dlq_before).await?),
        _ => None,
    };
    let target = Target {
        kind: "kinesis".into(),
        shards: info.shards.len(),
        stream: Some(info.name.clone()),
        mode: Some(info.mode.clone()),
    };
    let shard_ids: Vec<String> = info.shards.iter().map(|s| s.0.clone()).collect();
    let result = build_result(&plan, &driven, target, &shard_ids, None, verified, started_at);
    finish(&plan, &driven, result)
}

/// Looks the run's tracer events up in the table and counts what the DLQ gained, waiting
/// up to `--settle` for the pipeline to catch up.
async fn verify(
    plan: &RunPlan,
    verifier: &Verifier,
    driven: &Driven,
    dlq_before: Option<u64>,
) -> Result<(VerifyResult, Latency), RunError> {
    let tracers = driven.stats.tracers.items();
    let start = std::time::Instant::now();
    if plan.progress_every.is_some() {
        eprintln!(
            "verifying: looking up {} sampled events, waiting up to {} for the pipeline…",
            tracers.len(),
            humantime::format_duration(plan.settle)
        );
    }
    let mut e2e = Latency::default();
    let (found, missing) = match &plan.table {
        Some(table) => verifier.find(table, tracers, plan.settle, &mut e2e).await.map_err(RunError::Verify)?,
        None => (0, 0),
    };
    let mut dlq_messages = None;
    if let (Some(url), Some(before)) = (&plan.dlq_url, dlq_before) {
        loop {
            let gained = verifier.queue_depth(url).await.map_err(RunError::Verify)?.saturating_sub(before);
            dlq_messages = Some(gained);
            if gained >= driven.stats.ledger.invalid_accepted || start.elapsed() >= plan.settle {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let sampled = if plan.table.is_some() { tracers.len() as u64 } else { 0 };
    Ok((VerifyResult { sampled, found, missing, dlq_messages }, e2e))
}

/// Drives the load into `sink`, with Ctrl-C handling and the header; returns what the
/// driver measured and the start time.
async fn load<S: RecordSink>(plan: &RunPlan, sink: Arc<S>, hook: crate::driver::IntervalHook) -> (Driven, String) {
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let generator = Generator::new(plan.generator.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: stopping the schedule, settling requests in flight (Ctrl-C again to abort)");
            let _ = stop_tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("aborted: no results written");
                std::process::exit(130);
            }
        }
    });
    if plan.progress_every.is_some() {
        eprintln!("{}", summary::header(plan));
    }
    let driven = drive(sink, generator, plan.driver.clone(), hook, stop_rx).await;
    ctrl_c.abort();
    if plan.progress_every.is_some() && std::io::stderr().is_terminal() {
        eprintln!();
    }
    (driven, started_at)
}

/// Prints the summary, writes the results, and picks the exit code.
fn finish(plan: &RunPlan, driven: &Driven, result: RunResult) -> Result<RunOutcome, RunError> {
    let text = summary::render(&result);
    if plan.print_summary {
        // A closed stdout (`| head`) must not turn a finished run into a crash.
        let _ = writeln!(std::io::stdout(), "{text}");
    }
    if let Some(dir) = &plan.out {
        result::write(dir, &result, &text)
            .map_err(|source| RunError::Write { path: dir.display().to_string(), source })?;
        // The report follows from the result; a result that could not be rendered is
        // still written above, and `loadgen report DIR` can try again.
        let label = dir.join("result.json").display().to_string();
        crate::report::Report::of(result.clone(), &label)
            .and_then(|report| crate::report::write(dir, &report, &crate::report::Format::ALL))
            .map_err(|e| RunError::Report(e.to_string()))?;
        let _ = writeln!(std::io::stdout(), "results written to {}", dir.join("result.json").display());
    }
    if let Some(reason) = &driven.fatal {
        return Err(RunError::Target(reason.clone()));
    }
    let exit_code = if driven.interrupted {
        130
    } else if result.thresholds.iter().any(|t| !t.passed) {
        3
    } else {
        0
    };
    Ok(RunOutcome { result, exit_code })
}

fn progress_hook(pipeline: Option<Arc<LocalPipeline>>, every: Option<Duration>) -> crate::driver::IntervalHook {
    let terminal = std::io::stderr().is_terminal();
    let mut since_print = Duration::ZERO;
    Box::new(move |point, ledger| {
        if let Some(pipeline) = &pipeline {
            // Take the interval's histogram under the pipeline's lock; encode it after.
            let e2e = pipeline.with_stats(|s| {
                point.iterator_age_ms = s.interval_iterator_age_ms;
                s.interval_iterator_age_ms = 0.0;
                std::mem::take(&mut s.end_to_end_interval)
            });
            point.end_to_end_p99_ms = e2e.percentiles().p99;
            point.end_to_end_histogram = e2e.to_base64();
            point.backlog = pipeline.backlog();
        }
        let Some(every) = every else { return };
        since_print += Duration::from_secs(1);
        if since_print < every {
            return;
        }
        since_print = Duration::ZERO;
        let line = summary::progress_line(point, ledger);
        let mut err = std::io::stderr().lock();
        if terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    })
}

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

/// Assembles the result of a finished run.
pub fn build_result(
    plan: &RunPlan,
    driven: &Driven,
    target: Target,
    shard_ids: &[String],
    pipeline: Option<(&LocalPipeline, bool)>,
    verified: Option<(VerifyResult, Latency)>,
    started_at: String,
) -> RunResult {
    let st = &driven.stats;
    let ledger = st.ledger.clone();
    let elapsed = driven.elapsed.as_secs_f64().max(1e-9);
    let scheduled = plan.driver.duration.as_secs_f64();
    let profile = &plan.driver.profile;
    let mean_record_bytes = if ledger.generated > 0 { st.offered_bytes as f64 / ledger.generated as f64 } else { 0.0 };
    let peak = profile.peak_rps();

    // Per-shard load, and the busiest second of each shard.
    let shards: Vec<ShardResult> = st
        .shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let peak_records =
                st.timeline.iter().map(|p| p.shard_records.get(i).copied().unwrap_or(0)).max().unwrap_or(0);
            let id = shard_ids.get(i).cloned().unwrap_or_else(|| format!("shardId-{i:012}"));
            ShardResult::measured(id, s.records, s.bytes, s.throttled, elapsed, peak_records)
        })
        .collect();

    // Hot keys: exact per-user counts (only user keys can be hot).
    let mut hot_keys = Vec::new();
    let mut hottest = None;
    if plan.generator.keys == KeyModel::User && ledger.generated > 0 {
        let mut users: Vec<(usize, &crate::driver::UserLoad)> =
            driven.per_user.iter().enumerate().filter(|(_, u)| u.events > 0).collect();
        users.sort_by_key(|(_, u)| std::cmp::Reverse(u.events));
        for (i, u) in users.iter().take(5) {
            let share = u.events as f64 / ledger.generated as f64;
            hot_keys.push(HotKeyResult {
                key: crate::generator::user_key(*i),
                events: u.events,
                share,
                peak_rps: share * peak,
            });
        }
        if let (Some(top), Some((_, u))) = (hot_keys.first(), users.first()) {
            let bytes_share = u.bytes as f64 / st.offered_bytes.max(1) as f64;
            hottest = Some(KeyLoad {
                key: top.key.clone(),
                records_per_sec: top.peak_rps,
                bytes_per_sec: bytes_share * peak * mean_record_bytes,
            });
        }
    }
    let recommendation = plan_shards(&Load {
        records_per_sec: peak,
        mean_record_bytes,
        hottest_key: hottest,
        target_utilization: plan.target_utilization,
    });

    let accepted_valid = ledger.accepted - ledger.invalid_accepted;
    let (pipeline_result, invocation, e2e) = match pipeline {
        None => (None, None, None),
        Some((pipeline, drained)) => {
            let (esm, e2e, invocation, mean_batch) = pipeline.with_stats(|s| {
                let mean_batch = if s.invocations > 0 { s.delivered as f64 / s.invocations as f64 } else { 0.0 };
                (
                    (
                        s.invocations,
                        s.delivered,
                        s.reported_for_retry,
                        s.discarded,
                        s.function_errors,
                        s.max_iterator_age_ms,
                    ),
                    s.end_to_end.clone(),
                    s.invocation.clone(),
                    mean_batch,
                )
            });
            let table_items = pipeline.table_items() as u64;
            let result = Pipeline {
                table_items,
                dlq_messages: pipeline.dlq().len(),
                dlq_by_kind: pipeline.dlq().by_kind(),
                invocations: esm.0,
                delivered: esm.1,
                reported_for_retry: esm.2,
                discarded: esm.3,
                function_errors: esm.4,
                max_iterator_age_ms: esm.5,
                mean_batch_size: mean_batch,
                invocation_ms: invocation.percentiles(),
                lost: accepted_valid.saturating_sub(table_items),
                drained,
                table_write_calls: pipeline.table().calls(),
                table_bytes_per_item: pipeline.table().memory_bytes() / table_items.max(1),
            };
            (Some(result), Some(invocation), Some(e2e))
        }
    };
    let corrected = st.put_corrected.percentiles();
    let achieved_rps = ledger.accepted as f64 / elapsed;
    let (verify, e2e) = match verified {
        Some((v, latency)) => (Some(v), Some(latency)),
        None => (None, e2e),
    };
    let verdict =
        judge(plan, &ledger, &shards, &recommendation, pipeline_result.as_ref(), verify.as_ref(), driven.interrupted);
    let lost = result::lost(pipeline_result.as_ref(), verify.as_ref());
    let thresholds =
        thresholds(&plan.thresholds, corrected.p99, ledger.throttle_rate(), achieved_rps, ledger.expired + lost);

    let mut histograms = std::collections::BTreeMap::new();
    histograms.insert("put_corrected".to_string(), st.put_corrected.to_base64());
    histograms.insert("put_uncorrected".to_string(), st.put_uncorrected.to_base64());
    histograms.insert("service_time".to_string(), st.service_time.to_base64());
    if let Some(e2e) = &e2e {
        histograms.insert("end_to_end".to_string(), e2e.to_base64());
    }
    if let Some(invocation) = &invocation {
        histograms.insert("invocation".to_string(), invocation.to_base64());
    }

    let esm_cfg = &plan.local.esm;
    RunResult {
        schema_version: result::SCHEMA_VERSION,
        tool: format!("loadgen {}", env!("CARGO_PKG_VERSION")),
        started_at,
        duration_s: elapsed,
        interrupted: driven.interrupted,
        target,
        config: RunConfigSummary {
            profile: profile_text(profile),
            arrivals: format!("{:?}", plan.driver.arrivals).to_lowercase(),
            duration_s: scheduled,
            seed: plan.seed,
            key_model: plan.generator.keys.name().into(),
            users: plan.generator.users,
            user_popularity: format!("{:?}", plan.generator.popularity),
            payload_bytes: plan.generator.payload_bytes,
            invalid_rate: plan.generator.invalid_rate,
            batch_size: esm_cfg.batch_size,
            batching_window_s: esm_cfg.batching_window.as_secs_f64(),
            parallelization_factor: esm_cfg.parallelization,
            table_write_latency_ms: plan.local.table_write_latency.as_secs_f64() * 1000.0,
            max_batch_records: plan.driver.batch.max_records,
            linger_ms: plan.driver.batch.linger.as_secs_f64() * 1000.0,
            max_in_flight: plan.driver.max_in_flight,
        },
        rate: Rate {
            target_rps: profile.expected_events(plan.driver.duration) / scheduled.max(1e-9),
            peak_target_rps: peak,
            achieved_rps,
            late_sends: ledger.late_sends,
            mean_record_bytes,
        },
        latency_ms: LatencySet {
            put_corrected: corrected,
            put_uncorrected: st.put_uncorrected.percentiles(),
            service_time: st.service_time.percentiles(),
            end_to_end: e2e.as_ref().filter(|h| !h.0.is_empty()).map(|h| h.percentiles()),
        },
        shards,
        pipeline: pipeline_result,
        verify,
        hot_keys,
        recommendation,
        verdict,
        thresholds,
        timeline: st.timeline.clone(),
        histograms,
        ledger,
    }
}

fn judge(
    plan: &RunPlan,
    ledger: &crate::stats::Ledger,
    shards: &[ShardResult],
    rec: &crate::capacity::ShardPlan,
    pipeline: Option<&Pipeline>,
    verify: Option<&VerifyResult>,
    interrupted: bool,
) -> Verdict {
    let mut findings = Vec::new();
    let used = shards.len() as u64;
    let throttled = ledger.throttled_events > 0;
    if throttled {
        let busiest = shards.iter().max_by_key(|s| s.throttled).map(|s| s.shard_id.clone()).unwrap_or_default();
        findings.push(format!(
            "The stream throttled {:.1}% of put attempts ({} events at least once; most on {busiest}): {} shard{} cannot take {:.0} events/s.",
            ledger.throttle_rate() * 100.0,
            ledger.throttled_events,
            used,
            if used == 1 { "" } else { "s" },
            plan.driver.profile.peak_rps(),
        ));
    } else {
        findings.push(format!("No throttling: {used} shard{} took the load.", if used == 1 { "" } else { "s" }));
    }
    if ledger.expired > 0 {
        findings.push(format!(
            "{} events expired before the stream accepted them (after retries for up to {}).",
            ledger.expired,
            humantime::format_duration(plan.driver.record_ttl)
        ));
    }
    if let Some(k) = &rec.unfixable_key {
        findings.push(format!(
            "Partition key '{}' alone sends {:.0} records/s ({:.0} KiB/s), over one shard's 1,000 records/s or 1 MiB/s: no shard count fixes this. Spread that key (add a suffix, or use explicit hash keys).",
            k.key,
            k.records_per_sec,
            k.bytes_per_sec / 1024.0
        ));
    }
    let mut pipeline_ok = true;
    match pipeline {
        None => match verify {
            None => findings.push(
                "End-to-end figures were not measured: name the table (--table) and the queue (--dlq-url) to verify the pipeline.".into(),
            ),
            Some(v) => {
                if v.sampled > 0 {
                    findings.push(format!(
                        "{} of {} sampled events reached the table{}.",
                        v.found,
                        v.sampled,
                        if v.missing > 0 { format!("; {} are missing after --settle", v.missing) } else { String::new() }
                    ));
                }
                if let Some(d) = v.dlq_messages {
                    findings.push(format!(
                        "The dead-letter queue gained {d} messages for {} invalid events accepted.",
                        ledger.invalid_accepted
                    ));
                    pipeline_ok &= d == ledger.invalid_accepted;
                }
                pipeline_ok &= v.missing == 0;
            }
        },
        Some(pipeline) => {
            let window_ms = plan.local.esm.batching_window.as_secs_f64() * 1000.0;
            let behind = pipeline.max_iterator_age_ms > window_ms + 5_000.0;
            if behind {
                findings.push(format!(
                "The consumer fell behind: iterator age reached {:.1} s (batching window {:.0} s); raise the parallelization factor, the batch size or the shard count.",
                pipeline.max_iterator_age_ms / 1000.0,
                window_ms / 1000.0
            ));
            } else if pipeline.invocations > 0 {
                findings.push(format!(
                "The consumer kept up: iterator age at most {:.1} s (batching window {:.0} s), {:.0} records per invocation.",
                pipeline.max_iterator_age_ms / 1000.0,
                window_ms / 1000.0,
                pipeline.mean_batch_size
            ));
            }
            if pipeline.lost > 0 || pipeline.discarded > 0 {
                findings.push(format!(
                "{} accepted events never reached the table or the DLQ ({} discarded by the event source mapping after retries).",
                pipeline.lost, pipeline.discarded
            ));
            }
            if !pipeline.drained {
                findings.push(
                    "The pipeline had not finished processing when --settle ran out; table counts are partial.".into(),
                );
            }
            if ledger.invalid_accepted != pipeline.dlq_messages {
                findings.push(format!(
                    "DLQ holds {} messages for {} invalid events accepted.",
                    pipeline.dlq_messages, ledger.invalid_accepted
                ));
            }
            pipeline_ok = !behind && pipeline.lost == 0 && pipeline.discarded == 0 && pipeline.drained;
        }
    }
    findings.push(format!(
        "This load needs {} shard{} at ≤{:.0}% utilisation (by records/s: {}, by bytes/s: {}{}; bound: {}).",
        rec.shards,
        if rec.shards == 1 { "" } else { "s" },
        rec.target_utilization * 100.0,
        rec.by_records,
        rec.by_bytes,
        rec.by_hot_key.map(|h| format!(", by hottest key: {h}")).unwrap_or_default(),
        rec.binding
    ));
    if interrupted {
        findings.push("The run was interrupted: figures cover the part that ran.".into());
    }
    let holds = !throttled && ledger.expired == 0 && pipeline_ok && rec.unfixable_key.is_none();
    Verdict { holds, findings, unfixable_key: rec.unfixable_key.clone() }
}

/// The limits a run was judged against, read back from its results (for judging merged
/// runs again with [`thresholds`]). The names are the options' and [`thresholds`]'s.
pub(crate) fn thresholds_of(results: &[ThresholdResult]) -> Thresholds {
    let mut t = Thresholds::default();
    for r in results {
        match r.name.as_str() {
            "max-p99" => t.max_p99 = Some(Duration::from_secs_f64(r.limit / 1000.0)),
            "max-throttle-rate" => t.max_throttle_rate = Some(r.limit),
            "min-achieved-rate" => t.min_achieved_rate = Some(r.limit),
            "max-lost" => t.max_lost = Some(r.limit as u64),
            _ => {}
        }
    }
    t
}

/// Judges the measured figures against the limits.
pub(crate) fn thresholds(
    t: &Thresholds,
    p99_ms: f64,
    throttle_rate: f64,
    achieved: f64,
    lost: u64,
) -> Vec<ThresholdResult> {
    let mut v = Vec::new();
    if let Some(max) = t.max_p99 {
        let limit = max.as_secs_f64() * 1000.0;
        v.push(ThresholdResult { name: "max-p99".into(), limit, value: p99_ms, passed: p99_ms <= limit });
    }
    if let Some(limit) = t.max_throttle_rate {
        v.push(ThresholdResult {
            name: "max-throttle-rate".into(),
            limit,
            value: throttle_rate,
            passed: throttle_rate <= limit,
        });
    }
    if let Some(limit) = t.min_achieved_rate {
        v.push(ThresholdResult { name: "min-achieved-rate".into(), limit, value: achieved, passed: achieved >= limit });
    }
    if let Some(limit) = t.max_lost {
        v.push(ThresholdResult {
            name: "max-lost".into(),
            limit: limit as f64,
            value: lost as f64,
            passed: lost <= limit,
        });
    }
    v
}
