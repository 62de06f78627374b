//! The terminal's text: the line before the load starts ([`header`]) and the final
//! summary ([`render`], also the `summary.txt` a run writes, through [`Summary`]).
//!
//! The summary is the report's own tables ([`crate::tables`]) laid out as plain text, so
//! the terminal, Markdown and HTML never disagree on a figure: key–value tables as
//! aligned lines, column tables with right-aligned figures, long text wrapped at
//! [`WIDTH`] columns.

use std::fmt::Write;

use loadgen_engine::RunConfig;

use crate::tables::{headline, state_text, tables, Table};
use crate::{Exporter, Report, ReportError};

/// Where long lines wrap.
pub const WIDTH: usize = 100;

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

/// The line printed before the load starts.
pub fn header(config: &RunConfig) -> String {
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
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > WIDTH {
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
        let _ = writeln!(s, "{}", line(&header));
        for row in &t.rows {
            let _ = writeln!(s, "{}", line(row));
        }
    }
    if let Some(note) = &t.note {
        wrapped(s, "  ", 2, note);
    }
}

/// The final summary: the verdict's headline, its state and findings, then every table of
/// the report.
pub fn render(report: &Report) -> String {
    let r = &report.result;
    let mut s = String::new();
    // The answer first, on one line of its own: the same line the Markdown and HTML
    // reports lead with (the terminal wraps it where it must).
    let _ = writeln!(s, "{}", headline(report));
    let _ = writeln!(s, "\n== loadgen result ({}) ==", r.tool);
    let _ = writeln!(s, "\nVerdict: {}", state_text(r.verdict.state));
    for f in &r.verdict.findings {
        wrapped(&mut s, "  - ", 4, f);
    }
    for t in tables(report) {
        table(&mut s, &t);
    }
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
        assert_eq!(text.lines().next(), Some(sample_report().result.verdict.headline.as_str()));
        for line in text.lines().skip(1) {
            // A single word longer than the width (a path) may stand alone.
            assert!(line.chars().count() <= WIDTH || !line.trim().contains(' '), "{line}");
        }
        assert!(text.contains("Verdict: DOES NOT HOLD"));
        assert!(text.contains("max-p99"));
    }
}
