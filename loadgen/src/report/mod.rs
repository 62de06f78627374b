//! Reports: one or more `result.json` files rendered for people and for tools.
//!
//! A [`Report`] is a run's result (several runs merged exactly into one, see [`merge`])
//! with its histograms decoded, and optionally a comparison with a baseline run
//! ([`compare`]). Every output format is an [`Exporter`]: Markdown, a self-contained HTML
//! page with SVG charts, the per-second time series as CSV, and HdrHistogram interval
//! logs that the standard HdrHistogram tools read. Each exporter is pure (report in,
//! bytes out); [`write`] puts the files on disk, each through a temporary file and a
//! rename, so a reader never sees half a report.

pub mod charts;
pub mod compare;
pub mod csv;
pub mod hlog;
pub mod html;
pub mod markdown;
pub mod merge;
pub mod tables;

use std::path::{Path, PathBuf};

use crate::result::RunResult;
use crate::stats::Latency;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An input result could not be read.
    #[error(transparent)]
    Load(#[from] crate::result::LoadError),
    /// A histogram in a result is not a serialised HdrHistogram (the file was edited or
    /// cut short).
    #[error(
        "{source_label}: histogram '{name}' is not a valid base64 HdrHistogram; regenerate the result with loadgen"
    )]
    Histogram {
        /// The run it came from.
        source_label: String,
        /// The histogram's name.
        name: String,
    },
    /// Runs that cannot be merged into one report.
    #[error("cannot merge these runs: {0}")]
    Incompatible(String),
    /// A chart or a file could not be rendered (a plotters or HdrHistogram writer error).
    #[error("rendering {what} failed: {detail}")]
    Render {
        /// The chart or file.
        what: String,
        /// What the library said.
        detail: String,
    },
    /// A report file could not be written.
    #[error("cannot write {path}: {source}. Check that the directory is writable and the disk has room")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl ReportError {
    /// The process exit code: 2 for input that cannot be reported on, 1 for failures to
    /// produce the report.
    pub fn exit_code(&self) -> u8 {
        match self {
            ReportError::Load(_) | ReportError::Histogram { .. } | ReportError::Incompatible(_) => 2,
            ReportError::Render { .. } | ReportError::Write { .. } => 1,
        }
    }
}

/// The histograms of a report, decoded.
#[derive(Debug, Clone, Default)]
pub struct Histograms {
    /// Put latency from the intended send time.
    pub put_corrected: Latency,
    /// Put latency from the actual send.
    pub put_uncorrected: Latency,
    /// PutRecords call duration.
    pub service_time: Latency,
    /// Intended send time to `processedAt`, when the pipeline was observed.
    pub end_to_end: Option<Latency>,
    /// Function invocation duration (local pipeline).
    pub invocation: Option<Latency>,
}

impl Histograms {
    /// Decodes the histograms of `r`; `label` names the run in errors.
    pub fn decode(r: &RunResult, label: &str) -> Result<Self, ReportError> {
        let get = |name: &str| -> Result<Option<Latency>, ReportError> {
            match r.histograms.get(name) {
                None => Ok(None),
                Some(text) => Latency::from_base64(text)
                    .map(Some)
                    .ok_or_else(|| ReportError::Histogram { source_label: label.to_string(), name: name.to_string() }),
            }
        };
        Ok(Self {
            put_corrected: get("put_corrected")?.unwrap_or_default(),
            put_uncorrected: get("put_uncorrected")?.unwrap_or_default(),
            service_time: get("service_time")?.unwrap_or_default(),
            end_to_end: get("end_to_end")?.filter(|h| !h.0.is_empty()),
            invocation: get("invocation")?.filter(|h| !h.0.is_empty()),
        })
    }
}

/// What the exporters render.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run, or the runs merged into one.
    pub result: RunResult,
    /// Where the runs came from (one label per merged run).
    pub sources: Vec<String>,
    /// The result's histograms, decoded.
    pub histograms: Histograms,
    /// The comparison with a baseline run, if one was given.
    pub comparison: Option<compare::Comparison>,
    /// Shards, Lambda, DynamoDB and monthly cost for the run's load, with `loadgen plan`'s
    /// defaults (`loadgen plan --from RUN` changes them).
    pub plan: Option<crate::plan::Plan>,
}

/// The capacity plan for a run's load, as `loadgen plan --from RUN` makes it.
fn plan_for(result: &RunResult) -> Option<crate::plan::Plan> {
    let (input, prices) = crate::cli::PlanArgs::defaults().input_from(std::slice::from_ref(result)).ok()?;
    Some(crate::plan::plan(&input, &prices))
}

impl Report {
    /// The report of one run.
    pub fn of(result: RunResult, label: &str) -> Result<Self, ReportError> {
        let histograms = Histograms::decode(&result, label)?;
        let plan = plan_for(&result);
        Ok(Self { result, sources: vec![label.to_string()], histograms, comparison: None, plan })
    }

    /// One report of several runs made at once (workers), merged exactly.
    pub fn merged(runs: Vec<(String, RunResult)>) -> Result<Self, ReportError> {
        if runs.len() == 1 {
            let (label, result) = runs.into_iter().next().expect("one run");
            return Self::of(result, &label);
        }
        let sources = runs.iter().map(|(l, _)| l.clone()).collect();
        let (result, histograms) = merge::merge(runs)?;
        let plan = plan_for(&result);
        Ok(Self { result, sources, histograms, comparison: None, plan })
    }
}

/// Reads `runs` (result files or their directories) into one report, merged when there
/// are several, compared with `baseline` under `limits` when one is given.
pub fn load(runs: &[PathBuf], baseline: Option<&Path>, limits: &[compare::Limit]) -> Result<Report, ReportError> {
    let loaded = runs
        .iter()
        .map(|p| Ok((p.display().to_string(), crate::result::load(p)?)))
        .collect::<Result<Vec<_>, ReportError>>()?;
    let mut report = Report::merged(loaded)?;
    if let Some(path) = baseline {
        let base = crate::result::load(path)?;
        report.comparison = Some(compare::compare(&report.result, &base, &path.display().to_string(), limits));
    }
    Ok(report)
}

/// One output format.
pub trait Exporter {
    /// The file name it is written to.
    fn file_name(&self) -> &'static str;
    /// Renders the report.
    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError>;
}

/// The formats, by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `report.md`: Markdown, for a pull request or a wiki.
    Md,
    /// `report.html`: one self-contained page with SVG charts.
    Html,
    /// `timeline.csv`: the per-second time series.
    Csv,
    /// `latency.hlog`: HdrHistogram interval logs (put latency, end-to-end latency).
    Hlog,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Md, Format::Html, Format::Csv, Format::Hlog];

    /// Its exporter.
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            Format::Md => Box::new(markdown::Markdown),
            Format::Html => Box::new(html::Html),
            Format::Csv => Box::new(csv::TimelineCsv),
            Format::Hlog => Box::new(hlog::IntervalLog),
        }
    }
}

/// Renders `formats` and writes them into `dir`. Everything is rendered before the first
/// file is written, so a failing format leaves no partial set behind.
pub fn write(dir: &Path, report: &Report, formats: &[Format]) -> Result<Vec<PathBuf>, ReportError> {
    let mut rendered = Vec::with_capacity(formats.len());
    for f in formats {
        let e = f.exporter();
        rendered.push((e.file_name(), e.render(report)?));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::with_capacity(rendered.len());
    for (name, bytes) in rendered {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// Milliseconds, printed with precision that suits their size.
pub(crate) fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A count with thousands separators.
pub(crate) fn count(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A small, fixed result for the exporters' snapshot tests: ten seconds, two shards, a
/// throttling second, a pipeline, histograms per second.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use crate::capacity::ShardPlan;
    use crate::result::*;
    use crate::stats::{Latency, Ledger, TimelinePoint};

    fn latency(from_us: u64, step_us: u64, n: u64) -> Latency {
        let mut l = Latency::default();
        for i in 0..n {
            l.record(Duration::from_micros(from_us + step_us * i));
        }
        l
    }

    pub fn sample_result() -> RunResult {
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
        RunResult {
            schema_version: SCHEMA_VERSION,
            tool: "loadgen 0.1.0".into(),
            started_at: "2026-11-25T12:00:00Z".into(),
            duration_s: 10.0,
            interrupted: false,
            target: Target { kind: "local".into(), shards: 2, stream: None, mode: None },
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
            },
            rate: Rate {
                target_rps: 200.0,
                peak_target_rps: 200.0,
                achieved_rps: 195.0,
                late_sends: 3,
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
                drained: true,
                table_write_calls: 80,
                table_bytes_per_item: 24,
            }),
            verify: None,
            hot_keys: vec![HotKeyResult { key: "user-000042".into(), events: 12, share: 0.006, peak_rps: 1.2 }],
            recommendation: ShardPlan {
                shards: 1,
                by_records: 1,
                by_bytes: 1,
                by_hot_key: Some(1),
                binding: "records/s".into(),
                unfixable_key: None,
                target_utilization: 0.8,
            },
            verdict: Verdict {
                holds: false,
                findings: vec!["50 throttling answers in second 6".into()],
                unfixable_key: None,
            },
            thresholds: vec![ThresholdResult { name: "max-p99".into(), limit: 250.0, value: 80.0, passed: true }],
            timeline,
            histograms,
        }
    }

    pub fn sample_report() -> super::Report {
        super::Report::of(sample_result(), "runs/sample/result.json").expect("the sample decodes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(3_000_000), "3,000,000");
    }
}
