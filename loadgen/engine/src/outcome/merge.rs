//! Several runs made at the same time (workers splitting one load) merged into one.
//!
//! Counts add up; latency percentiles are recomputed from the sum of the runs'
//! HdrHistograms, so the merged p99 is the p99 of every event, not an average of p99s.
//! The timelines are aligned second by second from each run's start; each merged second's
//! percentiles come from the sum of that second's interval histograms (runs written
//! before interval histograms existed fall back to the largest per-run value, and the
//! report says so). Shards are matched by shard id, hot keys by key.

use std::collections::BTreeMap;

use crate::aws::verify::VerifyResult;
use crate::measure::{Latency, Ledger, Percentiles, TimelinePoint};
use crate::outcome::assemble::{conclude, shard_plan};
use crate::outcome::histograms::{HistogramError, Histograms};
use crate::outcome::result::{HotKeyResult, Pipeline, RunResult, ShardResult, WorkerResult};
use crate::outcome::thresholds::{Measured, ThresholdResult, Thresholds};

/// Why runs cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Runs that are not the workers of one load against one target.
    #[error("cannot merge these runs: {0}")]
    Incompatible(String),
    /// A run's histograms cannot be decoded.
    #[error(transparent)]
    Histogram(#[from] HistogramError),
}

/// Merges `runs` (label, result) into one result and its histograms.
pub fn merge(runs: Vec<(String, RunResult)>) -> Result<(RunResult, Histograms), MergeError> {
    let Some((_, first)) = runs.first() else {
        return Err(MergeError::Incompatible("no runs given".into()));
    };
    let kind = first.target.kind;
    if let Some((label, other)) = runs.iter().find(|(_, r)| r.target.kind != kind) {
        return Err(MergeError::Incompatible(format!(
            "{label} targeted '{}' but {} targeted '{kind}'; merge only the workers of one load against one target",
            other.target.kind, runs[0].0
        )));
    }
    for (i, (a, ra)) in runs.iter().enumerate() {
        if let Some((b, _)) = runs[i + 1..].iter().find(|(_, rb)| {
            rb.started_at == ra.started_at
                && rb.config.seed == ra.config.seed
                && rb.ledger == ra.ledger
                && rb.worker == ra.worker
        }) {
            return Err(MergeError::Incompatible(format!(
                "{a} and {b} are the same run (same start, seed and ledger): merge each worker's result once"
            )));
        }
    }
    check_workers(&runs)?;
    let decoded: Vec<Histograms> =
        runs.iter().map(|(label, r)| Histograms::decode(r, label)).collect::<Result<_, _>>()?;
    let histograms = merge_histograms(&decoded);

    let n = runs.len();
    let results: Vec<&RunResult> = runs.iter().map(|(_, r)| r).collect();
    let mut out = first.clone();
    out.duration_s = results.iter().map(|r| r.duration_s).fold(0.0, f64::max);
    out.started_at = results.iter().map(|r| r.started_at.as_str()).min().unwrap_or_default().to_string();
    out.interrupted = results.iter().any(|r| r.interrupted);
    out.target.shards = results.iter().map(|r| r.target.shards).max().unwrap_or(1);
    let profiles: Vec<&str> = results.iter().map(|r| r.config.profile.as_str()).collect();
    out.config.profile = match &first.worker {
        // The workers of one split load each offered a share of the same profile.
        Some(w) => format!("{} split over {} workers", profiles[0], w.count),
        None if profiles.iter().all(|p| *p == profiles[0]) => format!("{} × {n} workers", profiles[0]),
        None => profiles.join(" + "),
    };
    out.worker = None;

    // The ledger and the rates.
    let mut ledger = Ledger::default();
    for r in &results {
        ledger.add(&r.ledger);
    }
    let elapsed = out.duration_s.max(1e-9);
    out.rate.target_rps = results.iter().map(|r| r.rate.target_rps).sum();
    out.rate.peak_target_rps = results.iter().map(|r| r.rate.peak_target_rps).sum();
    // Workers offer and accept side by side: their rates add up.
    out.rate.offered_rps = results.iter().map(|r| r.rate.offered_rps).sum();
    out.rate.achieved_rps = results.iter().map(|r| r.rate.achieved_rps).sum();
    out.rate.load_s = results.iter().map(|r| r.rate.load_s).fold(0.0, f64::max);
    out.rate.drain_s = (out.duration_s - out.rate.load_s).max(0.0);
    out.rate.late_sends = ledger.late_sends;
    out.rate.mean_record_bytes = weighted(results.iter().map(|r| (r.rate.mean_record_bytes, r.ledger.generated)));

    out.latency_ms.put_corrected = histograms.put_corrected.percentiles();
    out.latency_ms.put_uncorrected = histograms.put_uncorrected.percentiles();
    out.latency_ms.service_time = histograms.service_time.percentiles();
    out.latency_ms.end_to_end = histograms.end_to_end.as_ref().map(Latency::percentiles);
    out.latency_ms.stages = histograms.stage_latencies();

    let labels: Vec<&str> = runs.iter().map(|(l, _)| l.as_str()).collect();
    out.timeline = merge_timelines(&results, &labels)?;
    out.shards = merge_shards(&results, &out.timeline, elapsed);
    out.pipeline = merge_pipelines(&results, histograms.invocation.as_ref());
    out.verify = merge_verify(&results);
    // The workers loaded one pipeline: each read its metrics whole, and the read that
    // ended last covers every worker's load.
    out.pipeline_metrics =
        results.iter().filter_map(|r| r.pipeline_metrics.as_ref()).max_by(|a, b| a.end.cmp(&b.end)).cloned();
    out.hot_keys = merge_hot_keys(&results, ledger.generated, out.rate.peak_target_rps);

    // Judged again on the merged figures, against the first run's limit of each kind.
    let limits: Vec<ThresholdResult> = results.iter().flat_map(|r| r.thresholds.iter().cloned()).collect();
    out.thresholds = Thresholds::of(&limits).judge(&Measured {
        p99_ms: out.latency_ms.put_corrected.p99,
        throttle_rate: ledger.throttle_rate(),
        achieved_rps: out.rate.achieved_rps,
        lost: ledger.expired + out.lost(),
    });
    out.ledger = ledger;
    out.schema_version = crate::outcome::result::SCHEMA_VERSION;
    // The merged load's own verdict and recommendation, by the rules a single run gets.
    let shard_plan = shard_plan(
        out.rate.peak_target_rps,
        out.rate.mean_record_bytes,
        &out.hot_keys,
        first.recommendation.target_utilization,
    );
    conclude(&mut out, &shard_plan);

    // The merged histograms, so that the merged result can itself be merged or rendered.
    out.histograms = histograms.encode();
    Ok((out, histograms))
}

fn merge_histograms(all: &[Histograms]) -> Histograms {
    let mut m = Histograms::default();
    let add_opt = |into: &mut Option<Latency>, h: &Option<Latency>| {
        if let Some(h) = h {
            into.get_or_insert_with(Latency::default).merge(h);
        }
    };
    for h in all {
        m.put_corrected.merge(&h.put_corrected);
        m.put_uncorrected.merge(&h.put_uncorrected);
        m.service_time.merge(&h.service_time);
        add_opt(&mut m.end_to_end, &h.end_to_end);
        add_opt(&mut m.invocation, &h.invocation);
        for (stage, latency) in &h.stages {
            match m.stages.iter_mut().find(|(s, _)| s == stage) {
                Some((_, into)) => into.merge(latency),
                None => m.stages.push((*stage, latency.clone())),
            }
        }
    }
    m.stages.sort_by_key(|(s, _)| *s);
    m
}

/// Mean of `(value, weight)` pairs.
fn weighted(pairs: impl Iterator<Item = (f64, u64)>) -> f64 {
    let (sum, w) = pairs.fold((0.0, 0u64), |(s, w), (v, n)| (s + v * n as f64, w + n));
    if w == 0 {
        0.0
    } else {
        sum / w as f64
    }
}

/// Second `i` of every run, added up.
fn merge_timelines(results: &[&RunResult], labels: &[&str]) -> Result<Vec<TimelinePoint>, MergeError> {
    let len = results.iter().map(|r| r.timeline.len()).max().unwrap_or(0);
    (0..len)
        .map(|i| {
            let points: Vec<(&str, &TimelinePoint)> =
                results.iter().zip(labels).filter_map(|(r, label)| Some((*label, r.timeline.get(i)?))).collect();
            let mut m =
                TimelinePoint { t: points.iter().map(|(_, p)| p.t).fold(0.0, f64::max), ..TimelinePoint::default() };
            let shards = points.iter().map(|(_, p)| p.shard_records.len()).max().unwrap_or(0);
            m.shard_records = vec![0; shards];
            let mut put = Latency::default();
            let mut e2e = Latency::default();
            let mut put_exact = true;
            let mut e2e_exact = true;
            for &(label, p) in &points {
                m.target_rps += p.target_rps;
                m.generated_rps += p.generated_rps;
                m.achieved_rps += p.achieved_rps;
                m.late += p.late;
                m.throttled += p.throttled;
                m.retries += p.retries;
                m.backlog += p.backlog;
                m.iterator_age_ms = m.iterator_age_ms.max(p.iterator_age_ms);
                for (s, n) in m.shard_records.iter_mut().zip(&p.shard_records) {
                    *s += n;
                }
                let name = |what: &str| format!("timeline[t={:.0}].{what}", p.t);
                merge_interval(&mut put, &mut put_exact, &p.put_histogram, p.put_p99_ms)
                    .map_err(|()| HistogramError { source_label: label.into(), name: name("put_histogram") })?;
                merge_interval(&mut e2e, &mut e2e_exact, &p.end_to_end_histogram, p.end_to_end_p99_ms)
                    .map_err(|()| HistogramError { source_label: label.into(), name: name("end_to_end_histogram") })?;
            }
            let points: Vec<&TimelinePoint> = points.into_iter().map(|(_, p)| p).collect();
            if put_exact {
                let q = put.percentiles();
                (m.put_p50_ms, m.put_p99_ms, m.put_max_ms) = (q.p50, q.p99, q.max);
                m.put_histogram = put.to_base64();
            } else {
                m.put_p50_ms = points.iter().map(|p| p.put_p50_ms).fold(0.0, f64::max);
                m.put_p99_ms = points.iter().map(|p| p.put_p99_ms).fold(0.0, f64::max);
                m.put_max_ms = points.iter().map(|p| p.put_max_ms).fold(0.0, f64::max);
            }
            if e2e_exact {
                m.end_to_end_p99_ms = e2e.percentiles().p99;
                m.end_to_end_histogram = e2e.to_base64();
            } else {
                m.end_to_end_p99_ms = points.iter().map(|p| p.end_to_end_p99_ms).fold(0.0, f64::max);
            }
            Ok(m)
        })
        .collect()
}

/// Adds one run's interval histogram; a second with a percentile but no histogram (a
/// result from before interval histograms) makes the merged second approximate, and a
/// histogram that does not decode is an error (as it is for the run alone).
fn merge_interval(into: &mut Latency, exact: &mut bool, encoded: &str, p99: f64) -> Result<(), ()> {
    match Latency::from_base64(encoded) {
        None => Err(()),
        Some(h) if !encoded.is_empty() || p99 == 0.0 => {
            into.merge(&h);
            Ok(())
        }
        Some(_) => {
            *exact = false;
            Ok(())
        }
    }
}

fn merge_shards(results: &[&RunResult], timeline: &[TimelinePoint], elapsed: f64) -> Vec<ShardResult> {
    let mut by_id: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for r in results {
        for s in &r.shards {
            let e = by_id.entry(s.shard_id.clone()).or_default();
            e.0 += s.records;
            e.1 += s.bytes;
            e.2 += s.throttled;
        }
    }
    let peaks = crate::outcome::result::peak_shard_rates(timeline, by_id.len());
    by_id
        .into_iter()
        .zip(peaks)
        .map(|((shard_id, (records, bytes, throttled)), peak)| {
            ShardResult::measured(shard_id, records, bytes, throttled, elapsed, peak)
        })
        .collect()
}

fn merge_pipelines(results: &[&RunResult], invocation: Option<&Latency>) -> Option<Pipeline> {
    let all: Vec<&Pipeline> = results.iter().filter_map(|r| r.pipeline.as_ref()).collect();
    let mut m = (*all.first()?).clone();
    for p in &all[1..] {
        m.table_items += p.table_items;
        m.dlq_messages += p.dlq_messages;
        for (k, v) in &p.dlq_by_kind {
            *m.dlq_by_kind.entry(k.clone()).or_default() += v;
        }
        m.invocations += p.invocations;
        m.delivered += p.delivered;
        m.reported_for_retry += p.reported_for_retry;
        m.discarded += p.discarded;
        m.function_errors += p.function_errors;
        m.max_iterator_age_ms = m.max_iterator_age_ms.max(p.max_iterator_age_ms);
        m.lost += p.lost;
        m.not_processed += p.not_processed;
        m.valid_dead_lettered += p.valid_dead_lettered;
        m.drained &= p.drained;
        m.table_write_calls += p.table_write_calls;
        m.table_bytes_per_item = m.table_bytes_per_item.max(p.table_bytes_per_item);
    }
    m.mean_batch_size = if m.invocations > 0 { m.delivered as f64 / m.invocations as f64 } else { 0.0 };
    m.invocation_ms = match invocation {
        Some(h) => h.percentiles(),
        None => all.iter().map(|p| p.invocation_ms).fold(Percentiles::default(), |a, b| Percentiles {
            count: a.count + b.count,
            p50: a.p50.max(b.p50),
            p90: a.p90.max(b.p90),
            p99: a.p99.max(b.p99),
            p999: a.p999.max(b.p999),
            max: a.max.max(b.max),
            mean: a.mean.max(b.mean),
        }),
    };
    Some(m)
}

/// Runs of a split load (`--worker I/N`) must be its `N` workers, each once: the same
/// load id and count, every index present. Runs that were not split merge as before.
pub fn check_workers(runs: &[(String, RunResult)]) -> Result<(), MergeError> {
    let split: Vec<(&String, &WorkerResult)> =
        runs.iter().filter_map(|(l, r)| r.worker.as_ref().map(|w| (l, w))).collect();
    let Some(&(first_label, first)) = split.first() else { return Ok(()) };
    if split.len() != runs.len() {
        let plain = runs.iter().find(|(_, r)| r.worker.is_none()).map(|(l, _)| l.as_str()).unwrap_or_default();
        return Err(MergeError::Incompatible(format!(
            "{plain} is not a worker of a split load but {first_label} is (--worker {}/{}); merge the workers of one load",
            first.index, first.count
        )));
    }
    if let Some((label, w)) = split.iter().find(|(_, w)| w.load_id != first.load_id || w.count != first.count) {
        return Err(MergeError::Incompatible(format!(
            "{label} is worker {}/{} of load {} but {first_label} is worker {}/{} of load {}: merge the workers of one load (same seed, rate profile, duration and worker count)",
            w.index, w.count, w.load_id, first.index, first.count, first.load_id
        )));
    }
    let mut seen: Vec<Option<&String>> = vec![None; first.count];
    for (label, w) in &split {
        match seen.get_mut(w.index) {
            Some(Some(other)) => {
                return Err(MergeError::Incompatible(format!(
                    "worker {}/{} appears twice ({other} and {label}): give each worker's result once",
                    w.index, w.count
                )))
            }
            Some(slot) => *slot = Some(label),
            None => return Err(MergeError::Incompatible(format!("{label} claims worker {} of {}", w.index, w.count))),
        }
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| format!("{i}/{}", first.count)).collect();
    if !missing.is_empty() {
        return Err(MergeError::Incompatible(format!(
            "worker{} {} of load {} {} missing: the merged figures would not be the whole load",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            first.load_id,
            if missing.len() > 1 { "are" } else { "is" }
        )));
    }
    Ok(())
}

fn merge_verify(results: &[&RunResult]) -> Option<VerifyResult> {
    let all: Vec<_> = results.iter().filter_map(|r| r.verify.as_ref()).collect();
    let mut m = (*all.first()?).clone();
    for v in &all[1..] {
        m.sampled += v.sampled;
        m.found += v.found;
        m.missing += v.missing;
        m.dlq_messages = match (m.dlq_messages, v.dlq_messages) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    Some(m)
}

fn merge_hot_keys(results: &[&RunResult], generated: u64, peak_rps: f64) -> Vec<HotKeyResult> {
    let mut events: BTreeMap<&str, u64> = BTreeMap::new();
    for r in results {
        for k in &r.hot_keys {
            *events.entry(k.key.as_str()).or_default() += k.events;
        }
    }
    let mut keys: Vec<HotKeyResult> = events
        .into_iter()
        .map(|(key, events)| {
            let share = events as f64 / generated.max(1) as f64;
            HotKeyResult { key: key.to_string(), events, share, peak_rps: share * peak_rps }
        })
        .collect();
    keys.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.key.cmp(&b.key)));
    keys.truncate(5);
    keys
}
