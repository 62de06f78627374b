//! CloudWatch Embedded Metric Format: metrics as structured log lines, no API calls.
//!
//! One line per batch in namespace `RetailEventProcessing`, dimension `FunctionName`:
//! `ProcessedEvents` (written), `FailedEvents` (dead-lettered), `RetriedEvents` (reported
//! in `batchItemFailures`), `BatchSize`, and `EndToEndLatency` as an array of values so
//! CloudWatch can compute percentiles. EMF allows at most 100 values per metric per
//! line; a bigger batch's latencies continue on further lines that carry only them.

use std::io::Write;
use std::sync::Mutex;

use serde_json::json;

use crate::ports::MetricsSink;
use crate::report::BatchReport;

/// The CloudWatch namespace of every metric the function emits.
pub const NAMESPACE: &str = "RetailEventProcessing";
/// EMF's limit of values per metric per line.
const MAX_VALUES_PER_LINE: usize = 100;

/// Writes one EMF line per batch (and more for latencies past 100 values) to `out`.
#[derive(Debug)]
pub struct EmfMetrics<W: Write + Send> {
    function_name: String,
    out: Mutex<W>,
    clock_ms: fn() -> i64,
}

impl EmfMetrics<std::io::Stdout> {
    /// EMF on standard output, which Lambda ships to CloudWatch Logs.
    pub fn stdout(function_name: impl Into<String>) -> Self {
        Self::new(function_name, std::io::stdout(), crate::now_ms)
    }
}

impl<W: Write + Send> EmfMetrics<W> {
    /// EMF lines to `out`, timestamped by `clock_ms`.
    pub fn new(function_name: impl Into<String>, out: W, clock_ms: fn() -> i64) -> Self {
        Self { function_name: function_name.into(), out: Mutex::new(out), clock_ms }
    }

    /// The writer (tests read what was written).
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The EMF lines for one report.
    pub fn lines(&self, report: &BatchReport) -> Vec<String> {
        let ts = (self.clock_ms)();
        let mut chunks = report.end_to_end_ms.chunks(MAX_VALUES_PER_LINE);
        let first = chunks.next().unwrap_or(&[]);
        let mut lines = vec![json!({
            "_aws": {
                "Timestamp": ts,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": [
                        {"Name": "ProcessedEvents", "Unit": "Count"},
                        {"Name": "FailedEvents", "Unit": "Count"},
                        {"Name": "RetriedEvents", "Unit": "Count"},
                        {"Name": "BatchSize", "Unit": "Count"},
                        {"Name": "EndToEndLatency", "Unit": "Milliseconds"},
                    ],
                }],
            },
            "FunctionName": self.function_name,
            "ProcessedEvents": report.written(),
            "FailedEvents": report.dead_lettered(),
            "RetriedEvents": report.retried(),
            "BatchSize": report.outcomes.len(),
            "EndToEndLatency": first,
        })
        .to_string()];
        lines.extend(chunks.map(|values| {
            json!({
                "_aws": {
                    "Timestamp": ts,
                    "CloudWatchMetrics": [{
                        "Namespace": NAMESPACE,
                        "Dimensions": [["FunctionName"]],
                        "Metrics": [{"Name": "EndToEndLatency", "Unit": "Milliseconds"}],
                    }],
                },
                "FunctionName": self.function_name,
                "EndToEndLatency": values,
            })
            .to_string()
        }));
        lines
    }
}

impl<W: Write + Send> MetricsSink for EmfMetrics<W> {
    fn record(&self, report: &BatchReport) {
        let lines = self.lines(report);
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for line in lines {
            // A metrics line that cannot be written must not fail the batch whose records
            // are already stored; the loss is logged instead.
            if let Err(e) = writeln!(out, "{line}") {
                tracing::error!(error = %e, "could not write an EMF metrics line");
            }
        }
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FaultKind, RecordOutcome};

    #[test]
    fn one_line_per_hundred_latencies() {
        let mut report = BatchReport { outcomes: vec![RecordOutcome::Written; 250], ..Default::default() };
        report.outcomes[0] = RecordOutcome::DeadLettered(FaultKind::BadJson);
        report.outcomes[1] = RecordOutcome::Retry("x".into());
        report.retry_sequence_numbers = vec!["1".into()];
        report.end_to_end_ms = (0..248).collect();
        let emf = EmfMetrics::new("fn", Vec::new(), || 1_764_000_000_000);
        emf.record(&report);
        let text = String::from_utf8(emf.into_inner()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        let first = &lines[0];
        assert_eq!(first["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(first["_aws"]["Timestamp"], 1_764_000_000_000i64);
        assert_eq!(first["ProcessedEvents"], 248);
        assert_eq!(first["FailedEvents"], 1);
        assert_eq!(first["RetriedEvents"], 1);
        assert_eq!(first["BatchSize"], 250);
        assert_eq!(first["FunctionName"], "fn");
        let counts: Vec<usize> = lines.iter().map(|l| l["EndToEndLatency"].as_array().unwrap().len()).collect();
        assert_eq!(counts, [100, 100, 48]);
        for line in &lines {
            // Every metric a line declares must be a member of that line.
            for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap() {
                assert!(line.get(m["Name"].as_str().unwrap()).is_some());
            }
        }
    }
}
