//! `latency.hlog`: HdrHistogram interval logs, one histogram per second, in the format of
//! the Java reference implementation's `HistogramLogWriter` (log format 1.3, V2
//! compressed histograms, tags). `HistogramLogProcessor`, HdrHistogram_py's
//! `HistogramLogReader` and this crate's `IntervalLogIterator` read it.
//!
//! Two tags: `put_corrected` (put latency from the intended send time) and, when the
//! pipeline was observed, `end_to_end`. Values are **microseconds**: pass
//! `-outputValueUnitRatio 1000` to `HistogramLogProcessor` for milliseconds. Interval
//! timestamps are seconds since `BaseTime`, the run's start.

use std::time::Duration;

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;

use crate::{Exporter, Report, ReportError};
use loadgen_engine::measure::Latency;
use loadgen_engine::outcome::histograms::HistogramError;

/// The interval log.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntervalLog;

impl Exporter for IntervalLog {
    fn file_name(&self) -> &'static str {
        "latency.hlog"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError> {
        let r = &report.result;
        let fail = |detail: String| ReportError::Render { what: "latency.hlog".into(), detail };
        let start = humantime::parse_rfc3339_weak(&r.started_at).unwrap_or(std::time::UNIX_EPOCH);
        let mut out = Vec::with_capacity(r.timeline.len() * 2 * 400 + 512);
        let mut serializer = V2DeflateSerializer::new();
        {
            let mut builder = IntervalLogWriterBuilder::new();
            builder
                .add_comment(&format!(
                    "loadgen interval log: {} ({}), started {}",
                    report.sources.join(" + "),
                    r.config.profile,
                    r.started_at
                ))
                .add_comment("Values in microseconds; tags: put_corrected (from the intended send time), end_to_end")
                .add_comment("[Histogram log format version 1.3]")
                .with_start_time(start)
                .with_base_time(start)
                .with_max_value_divisor(1000.0);
            let mut w = builder.begin_log_with(&mut out, &mut serializer).map_err(|e| fail(e.to_string()))?;
            // The Java writer's legend line; readers skip it.
            w.write_comment(
                "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"",
            )
            .map_err(|e| fail(e.to_string()))?;
            let mut previous: f64 = 0.0;
            for p in &r.timeline {
                let from = Duration::from_secs_f64(previous.max(0.0));
                let length = Duration::from_secs_f64((p.t - previous).max(0.0));
                previous = p.t;
                for (tag, encoded) in [("put_corrected", &p.put_histogram), ("end_to_end", &p.end_to_end_histogram)] {
                    if encoded.is_empty() {
                        continue;
                    }
                    let h = Latency::from_base64(encoded).ok_or_else(|| HistogramError {
                        source_label: report.sources.join(" + "),
                        name: format!("timeline[t={:.0}].{tag}", p.t),
                    })?;
                    w.write_histogram(h.histogram(), from, length, Tag::new(tag)).map_err(|e| fail(e.to_string()))?;
                }
            }
        }
        // The writer prints the legend as a comment (`#"StartTimestamp"…`); the Java
        // writer prints it bare, which is what its readers expect to skip.
        let text = String::from_utf8(out).map_err(|e| fail(e.to_string()))?;
        Ok(text.replacen("#\"StartTimestamp\"", "\"StartTimestamp\"", 1).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_report;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn snapshot() {
        let out = String::from_utf8(IntervalLog.render(&sample_report()).unwrap()).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn the_log_reads_back_to_the_timeline() {
        let report = sample_report();
        let out = IntervalLog.render(&report).unwrap();
        let mut put = Vec::new();
        let mut base = None;
        for entry in IntervalLogIterator::new(&out) {
            match entry.expect("every line parses") {
                LogEntry::BaseTime(t) => base = Some(t),
                LogEntry::Interval(h) if h.tag().map(|t| t.as_str()) == Some("put_corrected") => {
                    let bytes =
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, h.encoded_histogram())
                            .unwrap();
                    let hist: hdrhistogram::Histogram<u64> =
                        Deserializer::new().deserialize(&mut bytes.as_slice()).unwrap();
                    put.push((h.start_timestamp(), hist.value_at_quantile(0.99)));
                }
                _ => {}
            }
        }
        assert!(base.is_some());
        let expected: Vec<_> = report.result.timeline.iter().filter(|p| !p.put_histogram.is_empty()).collect();
        assert_eq!(put.len(), expected.len());
        for ((_, p99_us), point) in put.iter().zip(expected) {
            assert!((*p99_us as f64 / 1000.0 - point.put_p99_ms).abs() < 0.01 * point.put_p99_ms.max(1.0));
        }
    }
}
