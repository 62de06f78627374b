//! The terminal's text: the line before the load starts ([`header`]) and the final
//! summary ([`render`], also the `summary.txt` a run writes, through [`Summary`]).
//!
//! The summary is the report's own tables ([`crate::tables`]) laid out as plain text, so
//! the terminal, Markdown and HTML never disagree on a figure: key–value tables as
//! aligned lines, column tables with right-aligned figures, every line within [`WIDTH`]
//! columns (an 80-column terminal). It holds the answer and the tables a reader acts on
//! ([`SUMMARY_TABLES`]; the shards as the busiest few and the others); every other table
//! is in `report.md` and `report.html`.

use std::fmt::Write;

use loadgen_engine::RunConfig;

use crate::tables::{headline, shards_table, state_text, tables, Table};
use crate::{Exporter, Report, ReportError};

/// Where long lines wrap: an 80-column terminal.
pub const WIDTH: usize = 80;

/// The tables the summary shows, by title, in the report's order.
pub const SUMMARY_TABLES: [&str; 7] = [
    "Compared with the baseline",
    "Rate and ledger",
    "Latency (ms)",
    "Shards",
    "The deployed pipeline, measured (CloudWatch) vs modelled",
    "Recommendation",
    "Thresholds",
];

/// Shards the summary lists one by one; the rest are one "others" row.
pub const SUMMARY_SHARDS: usize = 5;

/// `summary.txt`: the summary a run prints.
#[derive(Debug, Clone, Copy)]
pub struct Summary;

impl Exporter for Summary {
    fn file_name(&self) -> &'static str {
        "summary.txt"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError> {
        Ok(render(report).into_bytes())
    }
}

/// What is printed before the load starts, wrapped at `width` columns: the load, and how
/// long the run can take after it (the records' time-to-live, then the pipeline's drain).
pub fn header(config: &RunConfig, width: usize) -> String {
    let mut s = String::new();
    wrapped_at(&mut s, "", 2, &header_line(config), width);
    let after = match &config.target {
        Some(_) => {
            format!("then up to {} for the last records' retries", humantime::format_duration(config.driver.record_ttl))
        }
        None => format!(
            "then up to {} for the last records' retries and up to {} for the pipeline to drain",
            humantime::format_duration(config.driver.record_ttl),
            humantime::format_duration(config.settle)
        ),
    };
    wrapped_at(&mut s, "  ", 2, &after, width);
    s.trim_end().to_string()
}

fn header_line(config: &RunConfig) -> String {
    let peak = config.driver.profile.peak_rps();
    let duration = humantime::format_duration(config.driver.duration);
    if let Some(t) = &config.target {
        return format!(
            "loadgen: {peak:.0} events/s peak for {duration} into Kinesis stream '{}'; seed {}",
            t.stream, config.seed
        );
    }
    let esm = &config.local.esm;
    let shards = config.local.shards;
    format!(
        "loadgen: {peak:.0} events/s peak for {duration} into the embedded local pipeline ({shards} shard{}, batch size {}, batching window {}, parallelization {}); seed {}",
        if shards == 1 { "" } else { "s" },
        esm.batch_size,
        humantime::format_duration(esm.batching_window),
        esm.parallelization,
        config.seed
    )
}

/// Appends `text` wrapped at [`WIDTH`]: the first line after `first`, the rest indented
/// by `indent` spaces.
fn wrapped(s: &mut String, first: &str, indent: usize, text: &str) {
    wrapped_at(s, first, indent, text, WIDTH);
}

/// [`wrapped`] at `width` columns.
pub fn wrapped_at(s: &mut String, first: &str, indent: usize, text: &str, width: usize) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > width {
            let _ = writeln!(s, "{line}");
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(s, "{line}");
}

fn table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "\n{}", t.title);
    let key_value = t.columns.iter().all(|c| c.is_empty());
    if key_value {
        let width = t.rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
        for row in &t.rows {
            let key = &row[0];
            let pad = " ".repeat(width - key.chars().count());
            wrapped(s, &format!("  {key}{pad}  "), width + 4, row.get(1).map_or("", String::as_str));
        }
    } else {
        let mut widths: Vec<usize> = t.columns.iter().map(|c| c.chars().count()).collect();
        for row in &t.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Figures right-aligned, words (and mixed columns) left-aligned.
        let numeric: Vec<bool> = (0..widths.len())
            .map(|i| {
                t.rows.iter().all(|r| {
                    r.get(i).is_none_or(|c| c.starts_with(|ch: char| ch.is_ascii_digit() || "-+±$".contains(ch)))
                })
            })
            .collect();
        let line = |cells: &[String]| {
            let mut out = String::from(" ");
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                let pad = " ".repeat(w - cell.chars().count());
                if i == 0 {
                    out.push_str(&format!(" {cell}{pad}"));
                } else if numeric[i] {
                    out.push_str(&format!("  {pad}{cell}"));
                } else {
                    out.push_str(&format!("  {cell}{pad}"));
                }
            }
            out.trim_end().to_string()
        };
        let header: Vec<String> = t.columns.iter().map(|c| c.to_string()).collect();
        let lines: Vec<String> = std::iter::once(&header).chain(&t.rows).map(|r| line(r)).collect();
        if lines.iter().all(|l| l.chars().count() <= WIDTH) {
            for l in lines {
                let _ = writeln!(s, "{l}");
            }
        } else {
            // Too wide for the terminal: each row as its label, then its figures named.
            for row in &t.rows {
                let _ = writeln!(s, "  {}", row[0]);
                let cells: Vec<String> = t
                    .columns
                    .iter()
                    .zip(row)
                    .skip(1)
                    .map(|(c, v)| if c.is_empty() { v.clone() } else { format!("{c}: {v}") })
                    .collect();
                wrapped(s, "      ", 6, &cells.join(" · "));
            }
        }
    }
    if let Some(note) = &t.note {
        wrapped(s, "  ", 2, note);
    }
}

/// The final summary: the verdict's headline, its state and findings, then the tables a
/// reader acts on ([`SUMMARY_TABLES`]), and where the rest are.
pub fn render(report: &Report) -> String {
    let r = &report.result;
    let mut s = String::new();
    // The answer first: the same sentence the Markdown and HTML reports lead with.
    wrapped(&mut s, "", 0, &headline(report));
    let _ = writeln!(s, "\nVerdict: {} ({})", state_text(r.verdict.state), r.tool);
    for f in &r.verdict.findings {
        wrapped(&mut s, "  - ", 4, f);
    }
    for mut t in tables(report).into_iter().filter(|t| SUMMARY_TABLES.contains(&t.title)) {
        if t.title == "Shards" {
            t = shards_table(r, Some(SUMMARY_SHARDS));
            // With every shard listed, the reports' note on utilisation is not repeated.
            if r.shards.len() <= SUMMARY_SHARDS + 1 {
                t.note = None;
            }
        } else if t.title != "Thresholds" {
            t.note = None;
        }
        if t.title == "Recommendation" {
            // The verdict and its bottleneck lead the summary already.
            t.rows.retain(|r| r[0] != "verdict");
        }
        table(&mut s, &t);
    }
    wrapped(
        &mut s,
        "\n",
        0,
        "Set-up, stages, pipeline, DynamoDB, Lambda, producer, hot keys, plan and cost: in report.md and report.html (--out DIR).",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_report;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn lines_wrap_at_the_width() {
        let text = render(&sample_report());
        let headline = &sample_report().result.verdict.headline;
        assert!(headline.starts_with(text.lines().next().unwrap()), "the answer first");
        for line in text.lines() {
            // A single word longer than the width (a path) may stand alone.
            assert!(line.chars().count() <= WIDTH || !line.trim().contains(' '), "{line}");
        }
        assert!(text.contains("Verdict: DOES NOT HOLD"));
        assert!(text.contains("max-p99"));
    }
}
