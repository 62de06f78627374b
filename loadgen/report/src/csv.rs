//! `timeline.csv`: the per-second time series, one row per second, for a spreadsheet or
//! a plotting tool. Shards get one column each (`shard_0` …, records accepted that
//! second); latencies are in milliseconds.

use std::fmt::Write;

use crate::{Exporter, Report, ReportError};

/// The timeline as CSV.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimelineCsv;

const COLUMNS: &str = "t_s,target_rps,generated_rps,achieved_rps,late,throttled,retries,put_p50_ms,put_p99_ms,put_max_ms,backlog,iterator_age_ms,end_to_end_p99_ms";

impl Exporter for TimelineCsv {
    fn file_name(&self) -> &'static str {
        "timeline.csv"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError> {
        let timeline = &report.result.timeline;
        let shards = timeline.iter().map(|p| p.shard_records.len()).max().unwrap_or(0);
        let mut s = String::with_capacity(64 + timeline.len() * (120 + shards * 6));
        s.push_str(COLUMNS);
        for i in 0..shards {
            let _ = write!(s, ",shard_{i}");
        }
        s.push('\n');
        for p in timeline {
            let _ = write!(
                s,
                "{:.3},{:.1},{:.1},{:.1},{},{},{},{:.3},{:.3},{:.3},{},{:.0},{:.1}",
                p.t,
                p.target_rps,
                p.generated_rps,
                p.achieved_rps,
                p.late,
                p.throttled,
                p.retries,
                p.put_p50_ms,
                p.put_p99_ms,
                p.put_max_ms,
                p.backlog,
                p.iterator_age_ms,
                p.end_to_end_p99_ms
            );
            for i in 0..shards {
                let _ = write!(s, ",{}", p.shard_records.get(i).copied().unwrap_or(0));
            }
            s.push('\n');
        }
        Ok(s.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_report;

    #[test]
    fn snapshot() {
        let out = String::from_utf8(TimelineCsv.render(&sample_report()).unwrap()).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn every_row_has_every_column() {
        let out = String::from_utf8(TimelineCsv.render(&sample_report()).unwrap()).unwrap();
        let widths: Vec<usize> = out.lines().map(|l| l.split(',').count()).collect();
        assert!(widths.len() > 2);
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}");
    }
}
