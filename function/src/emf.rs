//! CloudWatch Embedded Metric Format: metrics as structured log lines, no API calls.
//!
//! One line per batch in namespace `RetailEventProcessing`, dimension `FunctionName`:
//! `ProcessedEvents` (written), `FailedEvents` (dead-lettered), `RetriedEvents` (reported
//! in `batchItemFailures`), `BatchSize`, and two latencies as arrays of values so
//! CloudWatch can compute percentiles: `EndToEndLatency`, the pipeline's own (Kinesis's
//! arrival timestamp → `processedAt`, so an old or replayed event cannot wreck its p99),
//! and `EventTimeLag` (the event's `timestamp` → `processedAt`, lags over a day left out).
//! EMF allows at most 100 values per metric per line; a bigger batch's latencies continue
//! on further lines that carry only them, and a metric is never declared without values.

use std::io::Write;
use std::sync::Mutex;

use serde_json::json;

use crate::ports::MetricsSink;
use crate::report::BatchReport;

/// The CloudWatch namespace of every metric the function emits.
pub const NAMESPACE: &str = "RetailEventProcessing";
/// EMF's limit of values per metric per line.
const MAX_VALUES_PER_LINE: usize = 100;
/// Event-time lags past a day (the stream's default retention) are replays or clock
/// errors, not the pipeline's latency: `EventTimeLag` leaves them out.
pub const MAX_EVENT_LAG_MS: i64 = 24 * 3600 * 1000;

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

    /// The EMF lines for one report: the first with the counts, and the latencies in
    /// chunks of at most 100 values per metric; a metric is declared only on a line that
    /// carries values for it.
    pub fn lines(&self, report: &BatchReport) -> Vec<String> {
        let ts = (self.clock_ms)();
        let lag: Vec<i64> =
            report.end_to_end_ms.iter().copied().filter(|v| (0..=MAX_EVENT_LAG_MS).contains(v)).collect();
        let chunks = |values: &[i64]| values.len().div_ceil(MAX_VALUES_PER_LINE);
        let lines = chunks(&report.pipeline_ms).max(chunks(&lag)).max(1);
        let chunk = |values: &[i64], i: usize| -> Vec<i64> {
            values.iter().skip(i * MAX_VALUES_PER_LINE).take(MAX_VALUES_PER_LINE).copied().collect()
        };
        (0..lines)
            .map(|i| {
                let mut metrics = Vec::new();
                let mut line = serde_json::Map::new();
                line.insert("FunctionName".into(), json!(self.function_name));
                if i == 0 {
                    for (name, value) in [
                        ("ProcessedEvents", report.written()),
                        ("FailedEvents", report.dead_lettered()),
                        ("RetriedEvents", report.retried()),
                        ("BatchSize", report.outcomes.len()),
                    ] {
                        metrics.push(json!({"Name": name, "Unit": "Count"}));
                        line.insert(name.into(), json!(value));
                    }
                }
                for (name, values) in
                    [("EndToEndLatency", chunk(&report.pipeline_ms, i)), ("EventTimeLag", chunk(&lag, i))]
                {
                    if !values.is_empty() {
                        metrics.push(json!({"Name": name, "Unit": "Milliseconds"}));
                        line.insert(name.into(), json!(values));
                    }
                }
                line.insert(
                    "_aws".into(),
                    json!({
                        "Timestamp": ts,
                        "CloudWatchMetrics": [{
                            "Namespace": NAMESPACE,
                            "Dimensions": [["FunctionName"]],
                            "Metrics": metrics,
                        }],
                    }),
                );
                serde_json::Value::Object(line).to_string()
            })
            .collect()
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
        report.pipeline_ms = (0..248).collect();
        // Two days old: a replay, left out of the lag.
        report.end_to_end_ms = (0..247).chain([2 * 86_400_000]).collect();
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
        let lags: Vec<usize> = lines.iter().map(|l| l["EventTimeLag"].as_array().unwrap().len()).collect();
        assert_eq!(lags, [100, 100, 47]);
        for line in &lines {
            // Every metric a line declares must be a member of that line.
            for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap() {
                assert!(line.get(m["Name"].as_str().unwrap()).is_some());
            }
        }
    }

    #[test]
    fn no_metric_is_declared_without_values() {
        // A batch that wrote nothing: the counts, and no latency arrays at all.
        let report =
            BatchReport { outcomes: vec![RecordOutcome::DeadLettered(FaultKind::BadJson)], ..Default::default() };
        let emf = EmfMetrics::new("fn", Vec::new(), || 0);
        let lines = emf.lines(&report);
        assert_eq!(lines.len(), 1);
        let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ProcessedEvents", "FailedEvents", "RetriedEvents", "BatchSize"]);
        assert!(line.get("EndToEndLatency").is_none() && line.get("EventTimeLag").is_none());
    }
}
