//! A run, start to end: the load into its sink (the embedded local pipeline, or a Kinesis
//! stream after a preflight), the pipeline's drain or the deployed pipeline's
//! verification, then the outcome ([`crate::outcome::assemble`]). Nothing here prints,
//! writes files or handles signals: live figures go to an [`Observer`], stop requests
//! come through a [`Stop`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::aws::metrics::{self, Subjects};
use crate::aws::verify::{TracerLatency, Verifier, VerifyError, VerifyResult};
use crate::config::{ConfigError, RunConfig};
use crate::load::driver::{drive, Driven};
use crate::load::generator::Generator;
use crate::load::keys::KeyModel;
use crate::measure::{Ledger, TimelinePoint};
use crate::observe::{Observer, Phase};
use crate::outcome::assemble::{assemble, Observed};
use crate::outcome::result::{RunResult, Target, TargetKind};
use crate::sink::kinesis::{preflight, KinesisSink, KinesisTarget, PreflightError};
use crate::sink::local::LocalPipeline;
use crate::sink::RecordSink;
use crate::stop::Stop;

/// After an interruption, the local pipeline gets at most this long to drain.
const DRAIN_AFTER_INTERRUPT: Duration = Duration::from_secs(10);

/// The shortest wait between the drain's frees of the payloads the pollers are done
/// with: at the pipeline's pace (under 1,000,000 records/s) fewer than the
/// [`RETIRED_MAX`](crate::sink::local::stream::RETIRED_MAX) its queue holds arrive in it.
const RELEASE_WAIT_SHORTEST: Duration = Duration::from_millis(10);
/// The longest: where the queue fills slowly (at 5,000 events/s it would take 6 s), a free
/// every 10 ms would be 100 wake-ups a second of the drain for nothing.
const RELEASE_WAIT_LONGEST: Duration = Duration::from_secs(1);

/// The wait before the drain's next free, after one that freed `freed` payloads `wait`
/// after the one before: doubled while the queue is found under an eighth full, halved
/// when over half, within [`RELEASE_WAIT_SHORTEST`] and [`RELEASE_WAIT_LONGEST`].
fn next_release_wait(wait: Duration, freed: usize) -> Duration {
    use crate::sink::local::stream::RETIRED_MAX;
    let next = if freed < RETIRED_MAX / 8 {
        wait * 2
    } else if freed > RETIRED_MAX / 2 {
        wait / 2
    } else {
        wait
    };
    next.clamp(RELEASE_WAIT_SHORTEST, RELEASE_WAIT_LONGEST)
}

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration cannot run.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The stream cannot be used (the message names the fix).
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    /// End-to-end verification failed to run.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The local pipeline's runtime could not start.
    #[error("cannot start the local pipeline's threads")]
    Runtime(#[source] std::io::Error),
}

/// A finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Everything measured (partial when the run stopped early).
    pub result: RunResult,
    /// Why the target failed for good during the run, if it did: the result covers the
    /// part that ran, and the run counts as failed.
    pub target_failure: Option<String>,
}

/// Runs `config` against its target: a Kinesis stream when one is named, else the
/// embedded local pipeline.
pub async fn run(config: &RunConfig, observer: &mut dyn Observer, stop: Stop) -> Result<RunOutcome, RunError> {
    config.validate()?;
    match &config.target {
        Some(target) => run_kinesis(config, target, observer, stop).await,
        None => run_local(config, observer, stop).await,
    }
}

/// Runs `config` against the embedded local pipeline.
///
/// The pipeline runs on a runtime of its own (one worker thread) and the schedule on the
/// caller's: processing a batch never holds up a due event, and at high rates each gets
/// a core of its own.
pub async fn run_local(config: &RunConfig, observer: &mut dyn Observer, stop: Stop) -> Result<RunOutcome, RunError> {
    config.validate()?;
    let pipeline_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("local-pipeline")
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    // The events this process's share of the schedule makes; an endless one reserves nothing.
    let planned = config.driver.profile.expected_events(config.driver.duration) * config.driver.worker.share();
    let expected_items = if planned.is_finite() { planned as usize } else { 0 };
    let pipeline = LocalPipeline::start_on(config.local, expected_items, pipeline_runtime.handle());
    let (driven, started_at) = load(config, pipeline.clone(), Some(&pipeline), observer, stop.clone()).await;
    let settle = if driven.interrupted { config.settle.min(DRAIN_AFTER_INTERRUPT) } else { config.settle };
    observer.phase(&Phase::Draining { up_to: settle });
    let mut driven = driven;
    let (drained, interrupted) = drain(&pipeline, settle, &mut driven, observer, stop).await;
    driven.interrupted = interrupted;
    // Dropping a runtime may block; inside an async context it must not.
    pipeline_runtime.shutdown_background();
    let target = Target {
        kind: TargetKind::Local,
        shards: config.local.shard_count(),
        stream: None,
        mode: Some(config.local.stream_mode.name().into()),
    };
    let result = assemble(Observed {
        config,
        driven: &driven,
        target,
        shard_ids: &pipeline.shard_ids(),
        pipeline: Some(pipeline.snapshot(drained)),
        verified: None,
        pipeline_metrics: None,
        started_at,
    });
    Ok(RunOutcome { result, target_failure: driven.fatal })
}

/// Lets the local pipeline finish (at most `settle`), adding a timeline point for every
/// second of the drain so that the iterator age and the end-to-end latency are charted
/// until the last record is processed (the verdict's largest iterator age is on the
/// chart). A stop request while it drains stops waiting; after an interruption during
/// the load, the drain is only shortened. Returns whether it drained and whether the run
/// counts as interrupted.
async fn drain(
    pipeline: &LocalPipeline,
    settle: Duration,
    driven: &mut Driven,
    observer: &mut dyn Observer,
    mut stop: Stop,
) -> (bool, bool) {
    let shards = driven.stats.shards.len();
    let start = driven.elapsed.as_secs_f64();
    let mut second = 0u32;
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(1), Duration::from_secs(1));
    // The payloads the pollers are done with are freed here, on the thread that allocated
    // them, as each put does during the load: without puts, the pipeline's thread (the
    // one that bounds the drain) would free them itself, each a cache miss on a count the
    // driver's core last wrote.
    let mut release_wait = RELEASE_WAIT_SHORTEST;
    let frees = tokio::time::sleep(release_wait);
    tokio::pin!(frees);
    let drain = pipeline.drain(settle);
    tokio::pin!(drain);
    let fill = |t: f64| {
        let mut p = TimelinePoint { t, shard_records: vec![0; shards], ..TimelinePoint::default() };
        pipeline.fill_interval(&mut p);
        p
    };
    let outcome = loop {
        tokio::select! {
            drained = &mut drain => break (drained, driven.interrupted),
            () = stop.stopped(), if !driven.interrupted => {
                observer.phase(&Phase::DrainCut);
                break (false, true);
            }
            () = &mut frees => {
                release_wait = next_release_wait(release_wait, pipeline.release_retired());
                frees.as_mut().reset(tokio::time::Instant::now() + release_wait);
            }
            _ = ticks.tick() => {
                second += 1;
                let p = fill(start + f64::from(second));
                observer.second(&p, &driven.stats.ledger);
                driven.stats.timeline.push(p);
            }
        }
    };
    // The last, partial second, when the pipeline still did something in it.
    let last = fill(start + f64::from(second) + 0.5);
    if last.iterator_age_ms > 0.0 || !last.end_to_end_histogram.is_empty() {
        observer.second(&last, &driven.stats.ledger);
        driven.stats.timeline.push(last);
    }
    outcome
}

/// Runs `config` against a Kinesis stream, after a preflight that checks the stream and
/// reads its shards.
async fn run_kinesis(
    config: &RunConfig,
    target: &KinesisTarget,
    observer: &mut dyn Observer,
    stop: Stop,
) -> Result<RunOutcome, RunError> {
    let (client, info) = preflight(target).await?;
    let mut config = config.clone();
    if let KeyModel::ExplicitHash { .. } = config.generator.keys {
        config.generator.keys = KeyModel::explicit_for(&info.shards.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>());
    }
    let config = &config;
    observer.stream_ready(&info);
    let verifier = match config.verify.any() {
        true => Some(Verifier::new(target).await),
        false => None,
    };
    let dlq_before = match (&verifier, &config.verify.dlq_url) {
        (Some(v), Some(url)) => Some(v.queue_depth(url).await?),
        _ => None,
    };
    let sink = Arc::new(KinesisSink::new(client, &info));
    let start = config.driver.start_at.map_or_else(SystemTime::now, |s| s.at);
    let (driven, started_at) = load(config, sink, None, observer, stop).await;
    let load_end = SystemTime::now();
    let verified = match verifier {
        Some(v) if driven.fatal.is_none() => Some(verify(config, &v, &driven, dlq_before, observer).await?),
        _ => None,
    };
    let pipeline_metrics = match &config.verify.metrics {
        Some(m) if driven.fatal.is_none() => {
            observer.phase(&Phase::ReadingMetrics { up_to: m.wait });
            let subjects = Subjects {
                stream: info.name.clone(),
                function: m.function.clone(),
                table: config.verify.table.clone(),
                queue: config.verify.dlq_url.as_deref().and_then(Subjects::queue_name),
            };
            let end_s = load_end.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
            let window = metrics::window(start, SystemTime::now());
            Some(metrics::read(target, &subjects, window, end_s, m.wait).await)
        }
        _ => None,
    };
    let target = Target {
        kind: TargetKind::Kinesis,
        shards: info.shards.len(),
        stream: Some(info.name.clone()),
        mode: Some(info.mode.clone()),
    };
    let shard_ids: Vec<String> = info.shards.iter().map(|s| s.0.clone()).collect();
    let result = assemble(Observed {
        config,
        driven: &driven,
        target,
        shard_ids: &shard_ids,
        pipeline: None,
        verified,
        pipeline_metrics,
        started_at,
    });
    Ok(RunOutcome { result, target_failure: driven.fatal })
}

/// Looks the run's tracer events up in the table and counts what the DLQ gained, waiting
/// up to `settle` for the pipeline to catch up.
async fn verify(
    config: &RunConfig,
    verifier: &Verifier,
    driven: &Driven,
    dlq_before: Option<u64>,
    observer: &mut dyn Observer,
) -> Result<(VerifyResult, TracerLatency), RunError> {
    let tracers = driven.stats.tracers.items();
    let start = std::time::Instant::now();
    observer.phase(&Phase::Verifying { sampled: tracers.len(), up_to: config.settle });
    let mut latency = TracerLatency::default();
    let (found, missing) = match &config.verify.table {
        Some(table) => verifier.find(table, tracers, config.settle, &mut latency).await?,
        None => (0, 0),
    };
    let mut dlq_messages = None;
    if let (Some(url), Some(before)) = (&config.verify.dlq_url, dlq_before) {
        loop {
            let gained = verifier.queue_depth(url).await?.saturating_sub(before);
            dlq_messages = Some(gained);
            if gained >= driven.stats.ledger.invalid_accepted || start.elapsed() >= config.settle {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let sampled = if config.verify.table.is_some() { tracers.len() as u64 } else { 0 };
    Ok((VerifyResult { sampled, found, missing, dlq_messages }, latency))
}

/// Drives the load into `sink`; every finished second gets what the local pipeline knows
/// (iterator age, end-to-end latency, backlog) and goes to the observer. Returns what the
/// driver measured and the start time.
async fn load<S: RecordSink>(
    config: &RunConfig,
    sink: Arc<S>,
    pipeline: Option<&LocalPipeline>,
    observer: &mut dyn Observer,
    stop: Stop,
) -> (Driven, String) {
    // The schedule's start: now, or the load's start time when one is set (waited for, or
    // joined late).
    let start = config.driver.start_at.map_or_else(SystemTime::now, |s| s.at);
    let started_at = humantime::format_rfc3339_seconds(start).to_string();
    let generator = Generator::new(config.generator());
    observer.load_started(config);
    let mut second = |point: &mut TimelinePoint, ledger: &Ledger| {
        if let Some(pipeline) = pipeline {
            pipeline.fill_interval(point);
        }
        observer.second(point, ledger);
    };
    let driven = drive(sink, generator, config.driver(), &mut second, stop).await;
    observer.load_finished();
    (driven, started_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::local::stream::RETIRED_MAX;

    #[test]
    fn the_drain_frees_less_often_as_its_queue_fills_slowly() {
        // A slow pipeline (5,000 events/s: 50 payloads per 10 ms): the wait doubles to 1 s.
        let mut wait = RELEASE_WAIT_SHORTEST;
        let mut waits = Vec::new();
        for _ in 0..8 {
            wait = next_release_wait(wait, 50);
            waits.push(wait.as_millis());
        }
        assert_eq!(waits, [20, 40, 80, 160, 320, 640, 1000, 1000]);
        // The queue found over half full: the wait halves, and never goes under 10 ms.
        assert_eq!(next_release_wait(Duration::from_secs(1), RETIRED_MAX), Duration::from_millis(500));
        assert_eq!(next_release_wait(RELEASE_WAIT_SHORTEST, RETIRED_MAX), RELEASE_WAIT_SHORTEST);
        // Between an eighth and a half: kept.
        assert_eq!(next_release_wait(Duration::from_millis(80), RETIRED_MAX / 4), Duration::from_millis(80));
    }
}
