//! Reports: one or more `result.json` files rendered for people and for tools.
//!
//! A [`Report`] is a run's result (several runs merged exactly into one by the engine's
//! `outcome::merge`) with its histograms decoded, optionally a comparison with a
//! baseline run, and the capacity plan for its load. Every output format is an
//! [`Exporter`]: the terminal summary ([`text`]), Markdown, a self-contained HTML page
//! with SVG charts, the per-second time series as CSV, and HdrHistogram interval logs
//! that the standard HdrHistogram tools read. Each exporter is pure (report in, bytes
//! out): the figures they share are computed once in [`tables`], and the CLI writes the
//! files. [`plan`] renders `loadgen plan`'s Markdown.
#![forbid(unsafe_code)]

pub mod charts;
pub mod csv;
pub mod hlog;
pub mod html;
pub mod markdown;
pub mod plan;
pub mod tables;
pub mod text;

use std::path::{Path, PathBuf};

use loadgen_engine::capacity::plan::{self as planner, Plan};
use loadgen_engine::capacity::prices::Prices;
use loadgen_engine::outcome::compare::{self, Comparison, Limit};
use loadgen_engine::outcome::histograms::{HistogramError, Histograms};
use loadgen_engine::outcome::merge::{self, MergeError};
use loadgen_engine::outcome::result::{self as result_file, LoadError};
use loadgen_engine::RunResult;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An input result could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A histogram in a result is not a serialised HdrHistogram.
    #[error(transparent)]
    Histogram(#[from] HistogramError),
    /// Runs that cannot be merged into one report.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// A chart or a file could not be rendered (a plotters or HdrHistogram writer error).
    #[error("rendering {what} failed: {detail}")]
    Render {
        /// The chart or file.
        what: String,
        /// What the library said.
        detail: String,
    },
}

impl ReportError {
    /// Whether the input is at fault (unreadable, foreign or corrupt results), rather
    /// than the rendering.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ReportError::Render { .. })
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
    pub comparison: Option<Comparison>,
    /// Shards, Lambda, DynamoDB and monthly cost for the run's load, with `loadgen plan`'s
    /// defaults (`loadgen plan --from RUN` changes them).
    pub plan: Option<Plan>,
    /// The baseline run itself, when compared (its lines are drawn under this run's).
    pub baseline: Option<Box<RunResult>>,
}

impl Report {
    /// The report of one run.
    pub fn of(result: RunResult, label: &str) -> Result<Self, ReportError> {
        let histograms = Histograms::decode(&result, label)?;
        let plan = planner::for_run(&result, result.recommendation.target_utilization, &Prices::default());
        Ok(Self { result, sources: vec![label.to_string()], histograms, comparison: None, plan, baseline: None })
    }

    /// One report of several runs made at once (workers), merged exactly.
    pub fn merged(runs: Vec<(String, RunResult)>) -> Result<Self, ReportError> {
        if runs.len() == 1 {
            let (label, result) = runs.into_iter().next().expect("one run");
            return Self::of(result, &label);
        }
        let sources = runs.iter().map(|(l, _)| l.clone()).collect();
        let (result, histograms) = merge::merge(runs)?;
        let plan = planner::for_run(&result, result.recommendation.target_utilization, &Prices::default());
        Ok(Self { result, sources, histograms, comparison: None, plan, baseline: None })
    }
}

/// Reads `runs` (result files or their directories) into one report, merged when there
/// are several, compared with `baseline` under `limits` when one is given.
pub fn load(runs: &[PathBuf], baseline: Option<&Path>, limits: &[Limit]) -> Result<Report, ReportError> {
    let loaded = runs
        .iter()
        .map(|p| Ok((p.display().to_string(), result_file::load(p)?)))
        .collect::<Result<Vec<_>, ReportError>>()?;
    let mut report = Report::merged(loaded)?;
    if let Some(path) = baseline {
        let base = result_file::load(path)?;
        report.comparison = Some(compare::compare(&report.result, &base, &path.display().to_string(), limits));
        report.baseline = Some(Box::new(base));
    }
    Ok(report)
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One output format.
pub trait Exporter {
    /// The file name it is written to.
    fn file_name(&self) -> &'static str;
    /// Renders the report.
    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError>;
}

/// The formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `summary.txt`: the summary a run prints on the terminal.
    Text,
    /// `report.md`: Markdown, for a pull request or a wiki.
    Md,
    /// `report.html`: one self-contained page with SVG charts.
    Html,
    /// `timeline.csv`: the per-second time series.
    Csv,
    /// `latency.hlog`: HdrHistogram interval logs (put latency, end-to-end latency).
    Hlog,
    /// `rate.svg`: the rate chart as a picture of its own.
    Svg,
}

impl Format {
    /// Every format: what a run with `--out` and `loadgen report` write by default.
    pub const ALL: [Format; 6] = [Format::Text, Format::Md, Format::Html, Format::Csv, Format::Hlog, Format::Svg];

    /// Its exporter.
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            Format::Text => Box::new(text::Summary),
            Format::Md => Box::new(markdown::Markdown),
            Format::Html => Box::new(html::Html),
            Format::Csv => Box::new(csv::TimelineCsv),
            Format::Hlog => Box::new(hlog::IntervalLog),
            Format::Svg => Box::new(html::RateChart),
        }
    }
}

/// Renders every one of `formats`: (file name, bytes). Everything is rendered before
/// anything is written, so a failing format leaves no partial set behind.
pub fn render_all(report: &Report, formats: &[Format]) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    formats
        .iter()
        .map(|f| {
            let e = f.exporter();
            Ok((e.file_name(), e.render(report)?))
        })
        .collect()
}

/// Milliseconds, printed with precision that suits their size.
pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A count with thousands separators.
pub fn count(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The engine's fixed result as a report, for the exporters' snapshot tests.
#[cfg(test)]
pub(crate) fn sample_report() -> Report {
    Report::of(loadgen_engine::outcome::fixture::sample_result(), "runs/sample/result.json")
        .expect("the sample decodes")
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
