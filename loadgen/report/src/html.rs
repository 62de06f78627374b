//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, nothing
//! fetched) that a person can open from disk, attach to a ticket or forward.
//!
//! Charts: target vs achieved rate, put latency percentiles per second, the percentile
//! spectrum corrected vs uncorrected, per-shard utilisation as a heat map, throttles and
//! retries, iterator age and backlog, and end-to-end latency. Then the same tables as
//! the Markdown report.

use std::fmt::Write;

use crate::charts::{self, Axis, Line, Reference};
use crate::tables::{headline, tables, Table};
use crate::{count, ms, Exporter, Report, ReportError};
use loadgen_engine::outcome::result::VerdictState;
use loadgen_engine::RunResult;

/// The HTML report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

/// Heat map resolution: at most this many columns (seconds are grouped) and rows
/// (shards are grouped), so a long run on many shards stays a small page.
const HEAT_COLUMNS: usize = 120;
const HEAT_ROWS: usize = 32;

pub use crate::esc;

/// `text` in backticks (Markdown's code spans, as the shared notes write them) as <code>.
fn code_spans(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        // Odd parts sit between a pair of backticks; an unpaired one is kept as it is.
        if i % 2 == 1 && escaped.matches('`').count().is_multiple_of(2) {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(part);
        }
    }
    out
}

const STYLE: &str = "
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--ok:#1a7f37;--bad:#b42318;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 10px}
.sub{color:var(--muted);margin:0 0 14px}
.verdict{padding:12px 16px;border-radius:8px;font-weight:600;margin:0 0 8px}
.verdict.ok{background:#e8f5ec;color:var(--ok)}
.verdict.bad{background:#fdecea;color:var(--bad)}
.verdict.unclear{background:#fff4e0;color:#8a5a00}
.findings{margin:6px 0 0 0;padding-left:20px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px;margin:14px 0}
.tile{background:#fff;border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:8px;padding:10px 14px}
.tile.ok{border-left-color:var(--ok)}.tile.bad{border-left-color:var(--bad)}.tile.unclear{border-left-color:#c08000}
.tile .v{font-size:20px;font-weight:650}.tile .k{color:var(--muted);font-size:13px}.tile .d{font-size:13px;margin-top:2px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;padding:2px 8px 0;font-size:13px}
.legend span{display:inline-flex;align-items:center;gap:6px}
.legend i{display:inline-block;width:18px;height:3px}
.legend i.ref{height:0;border-top:2px dashed #5b6475}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:18px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .v{font-size:22px;font-weight:650}
.card .k{color:var(--muted);font-size:13px}
figure{background:#fff;border:1px solid var(--line);border-radius:8px;margin:0 0 14px;padding:8px}
figure svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:13px;padding:4px 8px 2px}
.scale{display:inline-block;width:160px;height:10px;vertical-align:middle;border:1px solid var(--line);background:linear-gradient(90deg,#edf8e9 0%,#fee08b 60%,#fc8d59 85%,#a50026 100%)}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:right;font-variant-numeric:tabular-nums}
th:first-child,td:first-child{text-align:left}
th{background:#f0f2f5;font-weight:600}
tr:last-child td{border-bottom:none}
td.regressed{color:var(--bad);font-weight:700}
.note{color:var(--muted);font-size:13px;margin:6px 2px 0}
footer{color:var(--muted);font-size:13px;margin-top:28px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef0f3;padding:1px 4px;border-radius:4px}
";

fn table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "<h2>{}</h2>", esc(t.title));
    s.push_str("<table>");
    if !t.columns.iter().all(|c| c.is_empty()) {
        s.push_str("<thead><tr>");
        for c in &t.columns {
            let _ = write!(s, "<th>{}</th>", esc(c));
        }
        s.push_str("</tr></thead>");
    }
    s.push_str("<tbody>");
    for row in &t.rows {
        s.push_str("<tr>");
        for c in row {
            let class = if c == "REGRESSED" || c == "FAIL" { " class=\"regressed\"" } else { "" };
            let _ = write!(s, "<td{class}>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>\n");
    if let Some(note) = &t.note {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", code_spans(&esc(note)));
    }
}

fn figure(s: &mut String, id: &str, svg: &str, caption: &str) {
    figure_with_legend(s, id, svg, &[], &[], caption);
}

/// A chart with its legend under it (never over the data): a swatch per line, a dashed
/// one per reference line.
fn figure_with_legend(s: &mut String, id: &str, svg: &str, lines: &[Line], refs: &[Reference], caption: &str) {
    let mut legend = String::new();
    if !lines.is_empty() || !refs.is_empty() {
        legend.push_str("<div class=\"legend\">");
        // In the order a reader meets them: the lines drawn last are the ones on top.
        for l in lines.iter().rev() {
            let c = l.color;
            let _ = write!(
                legend,
                "<span><i style=\"background:rgb({},{},{})\"></i>{}</span>",
                c.0,
                c.1,
                c.2,
                esc(&l.name)
            );
        }
        for r in refs {
            let _ = write!(legend, "<span><i class=\"ref\"></i>{}</span>", esc(&r.name));
        }
        legend.push_str("</div>");
    }
    let _ = writeln!(s, "<figure id=\"{id}\">{svg}{legend}<figcaption>{caption}</figcaption></figure>");
}

/// A time-series chart and its figure.
fn series_figure(
    s: &mut String,
    id: &str,
    (title, y_desc, axis): (&str, &str, Axis),
    lines: &[Line],
    refs: &[Reference],
    caption: &str,
) -> Result<(), ReportError> {
    let svg = charts::time_series(title, y_desc, axis, lines, refs)?;
    figure_with_legend(s, id, &svg, lines, refs, caption);
    Ok(())
}

/// Each second's utilisation of every shard's write quota, `(t, per shard)`: the larger
/// of records/s ÷ 1,000 and bytes/s ÷ 1 MiB, bytes from each shard's mean record. A short
/// last interval is counted as a whole second, not scaled up into a burst.
fn shard_seconds(r: &RunResult) -> impl Iterator<Item = (f64, Vec<f64>)> + '_ {
    let mean_bytes: Vec<f64> =
        r.shards.iter().map(|s| if s.records > 0 { s.bytes as f64 / s.records as f64 } else { 0.0 }).collect();
    let mut previous = 0.0;
    r.timeline.iter().map(move |p| {
        let secs = (p.t - previous).max(1.0);
        previous = p.t;
        let utilization = p
            .shard_records
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                loadgen_engine::capacity::quotas::shard_write_utilization(
                    n as f64 / secs,
                    mean_bytes.get(i).copied().unwrap_or(0.0),
                )
            })
            .collect();
        (p.t, utilization)
    })
}

/// Per second, the busiest shard's utilisation of its write quota.
pub fn busiest_shard(r: &RunResult) -> Vec<(f64, f64)> {
    shard_seconds(r).map(|(t, u)| (t, u.into_iter().fold(0.0, f64::max))).collect()
}

/// Per shard (grouped into at most [`HEAT_ROWS`] rows) and per second (grouped into at
/// most [`HEAT_COLUMNS`] columns), the busiest utilisation of the write quota.
pub fn shard_heat(r: &RunResult) -> (Vec<Vec<f64>>, f64, usize) {
    let shards = r.timeline.iter().map(|p| p.shard_records.len()).max().unwrap_or(0).max(r.shards.len());
    let seconds = r.timeline.len();
    if shards == 0 || seconds == 0 {
        return (Vec::new(), 1.0, 1);
    }
    let per_col = seconds.div_ceil(HEAT_COLUMNS);
    let per_row = shards.div_ceil(HEAT_ROWS);
    let cols = seconds.div_ceil(per_col);
    let rows = shards.div_ceil(per_row);
    let mut cells = vec![vec![0.0; cols]; rows];
    for (i, (_, utilization)) in shard_seconds(r).enumerate() {
        for (shard, util) in utilization.into_iter().enumerate() {
            let cell = &mut cells[shard / per_row][i / per_col];
            *cell = f64::max(*cell, util);
        }
    }
    (cells, per_col as f64, per_row)
}

/// The rate chart's title, y axis and kind.
const RATE_CHART: (&str, &str, Axis) = ("Rate: target vs achieved", "events/s", Axis::Count);

/// The rate chart's lines (the baseline's under the run's, when compared) and the stream's
/// quota: one computation for the page and for `rate.svg`.
fn rate_lines(report: &Report) -> (Vec<Line>, Vec<Reference>) {
    let r = &report.result;
    let series = |tl: &[loadgen_engine::measure::TimelinePoint],
                  f: fn(&loadgen_engine::measure::TimelinePoint) -> f64| {
        tl.iter().map(|p| (p.t, f(p))).collect::<Vec<_>>()
    };
    // Drawn last is drawn on top: the target over the lines it is read against; the
    // baseline, when compared, under them all.
    let mut rate = Vec::new();
    if let Some(b) = report.baseline.as_deref() {
        rate.push(Line::new(5, "baseline achieved", series(&b.timeline, |p| p.achieved_rps)));
    }
    rate.push(Line::new(3, "generated", series(&r.timeline, |p| p.generated_rps)));
    rate.push(Line::new(2, "achieved (accepted)", series(&r.timeline, |p| p.achieved_rps)));
    rate.push(Line::new(0, "target", series(&r.timeline, |p| p.target_rps)));
    let shards = r.target.shards.max(r.shards.len()) as u64;
    let quota = Reference {
        name: format!("stream quota ({} shard{} × 1,000 records/s)", count(shards), if shards == 1 { "" } else { "s" }),
        y: shards as f64 * f64::from(loadgen_engine::capacity::quotas::SHARD_WRITE_RECORDS_PER_SEC),
    };
    let refs = if r.target.mode.as_deref() == Some("ON_DEMAND") || shards == 0 { vec![] } else { vec![quota] };
    (rate, refs)
}

/// `rate.svg`: the report's rate chart as a picture of its own, with its legend under
/// the plot (for a README, a ticket or a slide).
#[derive(Debug, Clone, Copy, Default)]
pub struct RateChart;

impl Exporter for RateChart {
    fn file_name(&self) -> &'static str {
        "rate.svg"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError> {
        let (lines, refs) = rate_lines(report);
        let (title, y, axis) = RATE_CHART;
        let chart = charts::time_series(title, y, axis, &lines, &refs)?;
        let legend: Vec<(String, Option<charts::RGBColor>)> = lines
            .iter()
            .rev()
            .map(|l| (l.name.clone(), Some(l.color)))
            .chain(refs.iter().map(|r| (r.name.clone(), None)))
            .collect();
        Ok(charts::with_legend(&chart, &legend).into_bytes())
    }
}

impl Exporter for Html {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError> {
        let r = &report.result;
        let tl = &r.timeline;
        let mut s = String::with_capacity(256 * 1024);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>loadgen report: {}</title><style>{STYLE}</style></head>\n<body><main>\n",
            esc(&r.config.profile)
        );
        let _ = writeln!(s, "<h1>loadgen report</h1>");
        let _ = writeln!(
            s,
            "<p class=\"sub\">{} · started {} · {}</p>",
            esc(&r.config.profile),
            esc(&r.started_at),
            esc(&report.sources.join(", "))
        );
        let class = match r.verdict.state {
            VerdictState::Holds => "ok",
            VerdictState::DoesNotHold => "bad",
            VerdictState::Inconclusive => "unclear",
        };
        let _ = writeln!(s, "<p class=\"verdict {class}\" id=\"verdict\">{}</p>", esc(&headline(report)));
        if let Some(cmp) = &report.comparison {
            let regressed: Vec<&str> = cmp.regressions().map(|d| d.metric).collect();
            if !regressed.is_empty() {
                let _ = writeln!(
                    s,
                    "<p class=\"verdict bad\">Regressed against the baseline: {}</p>",
                    esc(&regressed.join(", "))
                );
            }
        }
        if !r.verdict.findings.is_empty() {
            s.push_str("<ul class=\"findings\">");
            for f in &r.verdict.findings {
                let _ = write!(s, "<li>{}</li>", esc(f));
            }
            s.push_str("</ul>\n");
        }

        // The answer, the cost and what to change, as tiles: what a reader came for.
        let rec = &r.recommendation;
        let mut tiles: Vec<(String, &str, String, String)> = vec![(
            class.to_string(),
            "answer",
            crate::tables::state_text(r.verdict.state).to_lowercase(),
            r.verdict
                .bottleneck
                .as_ref()
                .map_or_else(String::new, |b| format!("bottleneck: {}", crate::tables::bottleneck_text(b.kind))),
        )];
        if let Some(c) = rec.monthly_cost_usd {
            tiles.push((
                String::new(),
                "monthly cost, as recommended",
                loadgen_engine::outcome::verdict::dollars(c),
                report
                    .plan
                    .as_ref()
                    .map_or_else(String::new, |p| format!("${:.4} per million events", p.per_million_events)),
            ));
        }
        tiles.push((
            String::new(),
            "shards to provision",
            match rec.shards {
                Some(n) => n.to_string(),
                None => format!("spread a key, then {}", rec.planned_shards()),
            },
            format!("{} decides", rec.binding),
        ));
        if let Some(t) = &rec.table {
            tiles.push((String::new(), "DynamoDB table", format!("{} WCU", count(t.units as u64)), t.mode.clone()));
        }
        if let Some(l) = &rec.lambda {
            let first = l.options.first();
            tiles.push((
                String::new(),
                "Lambda",
                format!("{} MB", first.map_or(l.memory_mb, |o| o.memory_mb)),
                format!(
                    "parallelization {}, batch {}",
                    first.map_or(l.parallelization_factor, |o| o.parallelization_factor),
                    first.map_or(l.batch_size, |o| o.batch_size)
                ),
            ));
        }
        s.push_str("<section class=\"tiles\" id=\"tiles\">");
        for (class, k, v, d) in &tiles {
            let _ = write!(
                s,
                "<div class=\"tile {class}\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"d\">{}</div></div>",
                esc(k),
                esc(v),
                esc(d)
            );
        }
        s.push_str("</section>\n");

        let cards = [
            ("target", format!("{:.0}/s", r.rate.target_rps)),
            ("achieved", format!("{:.0}/s", r.rate.achieved_rps)),
            ("p99 (corrected)", format!("{} ms", ms(r.latency_ms.put_corrected.p99))),
            ("throttled attempts", format!("{:.2}%", r.ledger.throttle_rate() * 100.0)),
            ("expired + lost", count(r.ledger.expired + r.lost())),
        ];
        s.push_str("<section class=\"cards\">");
        for (k, v) in cards {
            let _ = write!(
                s,
                "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
                esc(&v),
                esc(k)
            );
        }
        s.push_str("</section>\n");

        // Comparison first: it is what a CI reader came for.
        let all_tables = tables(report);
        let (comparison, rest): (Vec<&Table>, Vec<&Table>) =
            all_tables.iter().partition(|t| t.title == "Compared with the baseline");
        for t in comparison {
            table(&mut s, t);
        }

        s.push_str("<h2>Charts</h2>\n");
        let series =
            |f: fn(&loadgen_engine::measure::TimelinePoint) -> f64| tl.iter().map(|p| (p.t, f(p))).collect::<Vec<_>>();
        let base = report.baseline.as_deref();
        let base_series = |f: fn(&loadgen_engine::measure::TimelinePoint) -> f64| {
            base.map(|b| b.timeline.iter().map(|p| (p.t, f(p))).collect::<Vec<_>>())
        };
        // Drawn last is drawn on top: the target over the lines it is read against; the
        // baseline, when compared, under them all.
        let (rate, rate_refs) = rate_lines(report);
        let shards = r.target.shards.max(r.shards.len()) as u64;
        series_figure(
            &mut s,
            "chart-rate",
            RATE_CHART,
            &rate,
            &rate_refs,
            "Events per second the profile asked for, the schedule generated, and the stream accepted; the dashed line is what the stream's shards take by records (with aggregation, by Kinesis records).",
        )?;

        let mut latency = Vec::new();
        if let Some(b) = base_series(|p| p.put_p99_ms) {
            latency.push(Line::new(5, "baseline p99", b));
        }
        latency.push(Line::new(0, "p50", series(|p| p.put_p50_ms)));
        latency.push(Line::new(3, "p99", series(|p| p.put_p99_ms)));
        latency.push(Line::new(1, "max", series(|p| p.put_max_ms)));
        let p99_limit: Vec<Reference> = r
            .thresholds
            .iter()
            .filter(|t| t.name == loadgen_engine::outcome::thresholds::ThresholdName::MaxP99)
            .map(|t| Reference { name: format!("--max-p99 {} ms", crate::tables::figure(t.limit)), y: t.limit })
            .collect();
        series_figure(
            &mut s,
            "chart-latency",
            ("Put latency per second (from the intended send time)", "ms", Axis::Value),
            &latency,
            &p99_limit,
            "Percentiles of each second's acknowledged events, coordinated-omission corrected.",
        )?;

        let target = r.recommendation.target_utilization;
        series_figure(
            &mut s,
            "chart-utilisation",
            ("Busiest shard, share of its write quota", "% of quota", Axis::Percent),
            &[Line::new(1, "busiest shard", busiest_shard(r))],
            &[
                Reference { name: "100%: the quota".into(), y: 1.0 },
                Reference { name: format!("{:.0}%: the planning target", target * 100.0), y: target },
            ],
            "Each second, the busiest shard's records/s ÷ 1,000 or bytes/s ÷ 1 MiB, whichever is larger. Above 100% the shard throttles.",
        )?;

        let h = &report.histograms;
        let svg = charts::spectrum(
            "Latency percentile spectrum",
            &[
                ("PutRecords call", &h.service_time),
                ("put, uncorrected (from actual send)", &h.put_uncorrected),
                ("put, corrected (from intended send)", &h.put_corrected),
            ],
        )?;
        figure(
            &mut s,
            "chart-spectrum",
            &svg,
            "The whole HdrHistogram, tail stretched out. A gap between corrected and uncorrected is time events spent waiting to be sent.",
        );

        let (cells, col_secs, per_row) = shard_heat(r);
        let row_label = |row: usize| {
            if per_row == 1 {
                format!("{row}")
            } else {
                format!("{}–{}", row * per_row, row * per_row + per_row - 1)
            }
        };
        let svg = charts::heat_map("Per-shard utilisation of the write quota", &cells, col_secs, "shard", &row_label)?;
        figure(
            &mut s,
            "chart-shards",
            &svg,
            &format!(
                "{} shard{}{}{}. Each cell is the busiest second of a shard{} in {} s: records/s ÷ 1,000 or bytes/s ÷ 1 MiB, whichever is larger (hover a cell for its figure). <span class=\"scale\"></span> 0% → 60% → 85% → 100%",
                count(shards),
                if shards == 1 { "" } else { "s" },
                if per_row > 1 { format!(", {per_row} to a row") } else { String::new() },
                match charts::label_every(cells.len()) {
                    1 => String::new(),
                    n => format!(", every {n}th row labelled"),
                },
                if per_row > 1 { " group" } else { "" },
                col_secs
            ),
        );

        series_figure(
            &mut s,
            "chart-throttles",
            ("Throttles and retries per second", "per second", Axis::Count),
            &[
                Line::new(1, "throttling answers", series(|p| p.throttled as f64)),
                Line::new(3, "retries", series(|p| p.retries as f64)),
                Line::new(4, "late sends", series(|p| p.late as f64)),
            ],
            &[],
            "ProvisionedThroughputExceeded answers, re-sends, and events handed over more than 10 ms late.",
        )?;

        if r.pipeline.is_some() {
            let window = r.config.batching_window_s;
            series_figure(
                &mut s,
                "chart-iterator-age",
                ("Iterator age", "seconds", Axis::Value),
                &[Line::new(4, "largest iterator age", series(|p| p.iterator_age_ms / 1000.0))],
                &[Reference { name: format!("batching window + 5 s ({} s)", crate::tables::figure(window + 5.0)), y: window + 5.0 }],
                "How far behind the stream's tip the function reads; a line that keeps rising means the consumer cannot keep up.",
            )?;
            series_figure(
                &mut s,
                "chart-backlog",
                ("Backlog", "records", Axis::Count),
                &[Line::new(5, "stored, not yet processed", series(|p| p.backlog as f64))],
                &[],
                "Records in the stream the event source mapping has not yet delivered.",
            )?;
        }

        if let Some(e2e) = &h.end_to_end {
            series_figure(
                &mut s,
                "chart-e2e",
                ("End-to-end latency per second", "ms", Axis::Value),
                &[Line::new(0, "p99, intended send → processedAt", series(|p| p.end_to_end_p99_ms))],
                &[],
                "From when each event was due to when the function wrote it to the table.",
            )?;
            let mut series: Vec<(&str, &loadgen_engine::measure::Latency)> = vec![("end to end", e2e)];
            series.extend(report.histograms.stages.iter().map(|(stage, h)| (stage.label(), h)));
            let svg = charts::spectrum("End-to-end latency percentile spectrum, by stage", &series)?;
            figure(
                &mut s,
                "chart-e2e-spectrum",
                &svg,
                "Includes the batching window, the event source mapping's polling and the write.",
            );
        } else {
            s.push_str("<p class=\"note\">End-to-end latency was not measured (no pipeline observed; give --table to verify a deployed one).</p>\n");
        }

        for t in rest {
            table(&mut s, t);
        }
        let _ = writeln!(
            s,
            "<footer>Generated by {}. Data: report.md, timeline.csv, latency.hlog (HdrHistogram interval log, µs), result.json.</footer>\n</main></body></html>",
            esc(&r.tool)
        );
        Ok(s.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_report;

    #[test]
    fn snapshot() {
        let out = String::from_utf8(Html.render(&sample_report()).unwrap()).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn self_contained_and_escaped() {
        let mut report = sample_report();
        report.sources = vec!["<script>alert(1)</script>".into()];
        let out = String::from_utf8(Html.render(&report).unwrap()).unwrap();
        assert!(!out.contains("<script"), "no scripts, and labels are escaped");
        assert!(out.contains("&lt;script&gt;"));
        for outside in ["http://", "https://", "src=", "@import"] {
            let hits: Vec<_> = out.match_indices(outside).map(|(i, _)| &out[i.saturating_sub(40)..i + 40]).collect();
            // The SVG namespace is a name, not a fetch.
            assert!(hits.iter().all(|h| h.contains("www.w3.org")), "fetches nothing: {hits:?}");
        }
        for id in [
            "chart-rate",
            "chart-latency",
            "chart-spectrum",
            "chart-shards",
            "chart-throttles",
            "chart-iterator-age",
            "chart-e2e",
        ] {
            assert!(out.contains(&format!("<figure id=\"{id}\"><svg")), "{id}");
        }
    }

    #[test]
    fn backticks_become_code() {
        assert_eq!(code_spans("run `loadgen plan` now"), "run <code>loadgen plan</code> now");
        assert_eq!(code_spans("a ` alone"), "a ` alone");
    }

    #[test]
    fn heat_map_groups_long_runs_and_many_shards() {
        let mut r = loadgen_engine::outcome::fixture::sample_result();
        let point = r.timeline[1].clone();
        r.timeline = (0..600)
            .map(|i| loadgen_engine::measure::TimelinePoint {
                t: f64::from(i + 1),
                shard_records: vec![500; 100],
                ..point.clone()
            })
            .collect();
        let (cells, col_secs, per_row) = shard_heat(&r);
        assert_eq!((cells.len(), cells[0].len(), col_secs, per_row), (25, 120, 5.0, 4));
        assert!(cells.iter().flatten().all(|v| (*v - 0.5).abs() < 0.2), "half the record quota");
    }
}
