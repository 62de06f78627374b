//! SVG charts for the HTML report, drawn with plotters' SVG backend (no fonts needed:
//! text is left to the browser). Each function returns one `<svg>` element as a string.
//! Legends are the page's (HTML beside the chart, never over the data); on top of what
//! plotters draws, each chart carries its reference lines (`data-ref`, dashed, labelled)
//! and a `<title>` tooltip on its points and cells, placed through the chart's own
//! coordinate mapping.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
pub use plotters::style::RGBColor;

use crate::ReportError;
use loadgen_engine::measure::Latency;

/// Chart size in pixels; the page scales them to its width (about 1:1 on a 700-pixel
/// screen, so the labels stay readable there).
pub const WIDTH: u32 = 760;
/// Chart height in pixels.
pub const HEIGHT: u32 = 280;
/// Axis label and description size, pixels.
const LABEL_PX: u32 = 14;
/// Tooltip points per line at most (the rest are skipped evenly).
const TOOLTIPS_PER_LINE: usize = 240;

/// Colours in a fixed order, distinguishable in print and for common colour blindness.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x7f, 0x7f, 0x7f),
];

/// A horizontal reference line (a quota, a target), drawn dashed and labelled.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Its label, drawn at its right end.
    pub name: String,
    /// Its value on the y axis.
    pub y: f64,
}

/// What a chart adds to plotters' drawing: reference lines and tooltips, in pixels.
#[derive(Debug, Default)]
struct Overlay {
    elements: Vec<String>,
}

impl Overlay {
    fn title_circle(&mut self, (x, y): (i32, i32), title: &str) {
        self.elements.push(format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"5\" fill=\"transparent\"><title>{}</title></circle>",
            crate::esc(title)
        ));
    }

    fn title_rect(&mut self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), title: &str) {
        let (x, y, w, h) = (x0.min(x1), y0.min(y1), (x1 - x0).abs().max(1), (y1 - y0).abs().max(1));
        self.elements.push(format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"transparent\"><title>{}</title></rect>",
            crate::esc(title)
        ));
    }

    fn reference(&mut self, from: (i32, i32), to: (i32, i32), name: &str) {
        let label = crate::esc(name);
        self.elements.push(format!(
            "<g data-ref=\"{label}\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#5b6475\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#5b6475\">{label}</text><title>{label}</title></g>",
            from.0, from.1, to.0, to.1, to.0 - 4, to.1 - 5
        ));
    }

    /// `svg` with the overlay's elements drawn last (on top).
    fn apply(self, mut svg: String) -> String {
        if let Some(end) = svg.rfind("</svg>") {
            svg.insert_str(end, &self.elements.concat());
        }
        svg
    }
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its legend.
    pub name: String,
    /// Its colour.
    pub color: RGBColor,
    /// `(x, y)` points in x order.
    pub points: Vec<(f64, f64)>,
}

impl Line {
    /// A line coloured by its position in [`PALETTE`].
    pub fn new(i: usize, name: &str, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.to_string(), color: PALETTE[i % PALETTE.len()], points }
    }
}

/// `1.5k`, `2.3M`: axis labels that stay short.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

type DrawError = plotters::drawing::DrawingAreaErrorKind<std::io::Error>;
type Chart<'a> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One chart: a white canvas with a caption and axis areas over `x` × `y`, filled in by
/// `body` (which may add to the overlay), as an `<svg>` string.
fn draw(
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    body: impl FnOnce(&mut Chart<'_>, &mut Overlay) -> Result<(), DrawError>,
) -> Result<String, ReportError> {
    let failed = |e: DrawError| ReportError::Render { what: format!("the chart '{title}'"), detail: e.to_string() };
    let mut svg = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x, y)
            .map_err(failed)?;
        body(&mut chart, &mut overlay).map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(overlay.apply(svg))
}

/// The x range covering every point (at least one unit wide).
fn x_range(lines: &[Line]) -> (f64, f64) {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo, lo + 1.0)
    } else {
        (0.0, 1.0)
    }
}

/// From zero to a little above the largest value (and the reference lines).
fn y_top(lines: &[Line], refs: &[Reference]) -> f64 {
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(refs.iter().map(|r| r.y))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if top > 0.0 {
        top * 1.08
    } else {
        1.0
    }
}

/// What a y axis counts: its labels and tooltips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Measured values (latency, seconds): decimals where they help.
    Value,
    /// Counts (events, records): whole numbers only, no fractional ticks.
    Count,
    /// A share, 0–1, shown as a percentage.
    Percent,
}

impl Axis {
    fn label(self, v: f64) -> String {
        match self {
            Axis::Value => short(v),
            Axis::Count if (v - v.round()).abs() > 1e-9 => String::new(),
            Axis::Count => short(v.round()),
            Axis::Percent => format!("{:.0}%", v * 100.0),
        }
    }

    fn tooltip(self, v: f64) -> String {
        match self {
            Axis::Value => crate::tables::figure((v * 100.0).round() / 100.0),
            Axis::Count => crate::count(v.round().max(0.0) as u64),
            Axis::Percent => format!("{:.1}%", v * 100.0),
        }
    }
}

/// A line chart over `x_desc` (seconds unless `x_label` says otherwise), with `refs`
/// drawn across it.
#[allow(clippy::too_many_arguments)]
pub fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    axis: Axis,
    lines: &[Line],
    refs: &[Reference],
    x_label: &dyn Fn(&f64) -> String,
    x_ticks: Option<usize>,
) -> Result<String, ReportError> {
    let (x0, x1) = x_range(lines);
    let top = y_top(lines, refs);
    draw(title, x0..x1, 0.0..top, |chart, overlay| {
        let y_label = |v: &f64| axis.label(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(x_label)
            .y_label_formatter(&y_label)
            .label_style(("sans-serif", LABEL_PX))
            .axis_desc_style(("sans-serif", LABEL_PX))
            .light_line_style(RGBColor(238, 238, 238))
            .bold_line_style(RGBColor(215, 215, 215));
        if axis == Axis::Count && top < 10.0 {
            // A few events: one tick per whole number, none between.
            mesh.y_labels(top.floor() as usize + 1);
        }
        if let Some(n) = x_ticks {
            mesh.x_labels(n);
        }
        mesh.draw()?;
        for l in lines {
            chart.draw_series(LineSeries::new(l.points.iter().copied(), l.color.stroke_width(2)))?;
        }
        for r in refs {
            overlay.reference(chart.backend_coord(&(x0, r.y)), chart.backend_coord(&(x1, r.y)), &r.name);
        }
        for l in lines {
            let step = l.points.len().div_ceil(TOOLTIPS_PER_LINE).max(1);
            for &(x, y) in l.points.iter().step_by(step) {
                if x.is_finite() && y.is_finite() {
                    let text = format!("{}: {} at {}", l.name, axis.tooltip(y), x_label(&x));
                    overlay.title_circle(chart.backend_coord(&(x, y)), &text);
                }
            }
        }
        Ok(())
    })
}

/// A time series: x in seconds since the start.
pub fn time_series(
    title: &str,
    y_desc: &str,
    axis: Axis,
    series: &[Line],
    refs: &[Reference],
) -> Result<String, ReportError> {
    lines(title, "seconds since start", y_desc, axis, series, refs, &|x| format!("{x:.0} s"), None)
}

/// A chart as a standalone picture: the chart, then its legend in rows under the plot (a
/// swatch per line, a dashed one per reference line, `None` colour).
pub fn with_legend(chart: &str, legend: &[(String, Option<RGBColor>)]) -> String {
    const ROW: u32 = 22;
    const PER_ROW: usize = 3;
    let rows = legend.len().div_ceil(PER_ROW) as u32;
    let height = HEIGHT + 10 + rows * ROW;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\"><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    // The chart's own root element, placed at the top.
    out.push_str(&chart.replacen("<svg ", "<svg x=\"0\" y=\"0\" ", 1));
    let column = WIDTH / PER_ROW as u32;
    for (i, (name, color)) in legend.iter().enumerate() {
        let x = 70 + (i % PER_ROW) as u32 * column;
        let y = HEIGHT + 10 + (i / PER_ROW) as u32 * ROW + ROW / 2;
        let swatch = match color {
            Some(c) => format!("stroke=\"rgb({},{},{})\" stroke-width=\"3\"", c.0, c.1, c.2),
            None => "stroke=\"#5b6475\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"".to_string(),
        };
        out.push_str(&format!(
            "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" {swatch}/><text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"13\" fill=\"#1d2330\">{}</text>",
            x + 18,
            x + 24,
            y + 4,
            crate::esc(name)
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// How far into the tail the spectrum goes: `-log10(1 - q)`, up to `nines` nines.
fn tail_position(q: f64, nines: f64) -> f64 {
    if q >= 1.0 {
        nines
    } else {
        (-(1.0 - q).log10()).min(nines)
    }
}

/// `90%`, `99%`, `99.9%` … for a tail position.
fn tail_label(t: &f64) -> String {
    let q = 100.0 * (1.0 - 10f64.powf(-*t));
    let s = format!("{q:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// The percentile spectrum of a histogram: latency (ms) against the percentile, with the
/// tail stretched out (x is the number of nines), as HdrHistogram's plots draw it.
pub fn spectrum_points(h: &Latency, nines: f64) -> Vec<(f64, f64)> {
    let h = h.histogram();
    if h.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(128);
    for v in h.iter_quantiles(4) {
        let x = tail_position(v.quantile_iterated_to(), nines);
        let y = h.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0;
        if points.last().is_some_and(|p| p.0 >= x) {
            // Steps of one value: keep the largest latency at a position.
            if let Some(last) = points.last_mut() {
                last.1 = last.1.max(y);
            }
            continue;
        }
        points.push((x, y));
        if x >= nines {
            break;
        }
    }
    points
}

/// The nines a histogram of `count` values can show (at least 2, at most 6).
pub fn nines_for(count: u64) -> f64 {
    (count.max(1) as f64).log10().ceil().clamp(2.0, 6.0)
}

/// A percentile spectrum chart of several histograms.
pub fn spectrum(title: &str, series: &[(&str, &Latency)]) -> Result<String, ReportError> {
    let nines = nines_for(series.iter().map(|(_, h)| h.histogram().len()).max().unwrap_or(0));
    // Colours by position from the end, so the last (drawn on top) is always the first colour.
    let n = series.len();
    let ls: Vec<Line> =
        series.iter().enumerate().map(|(i, (name, h))| Line::new(n - 1 - i, name, spectrum_points(h, nines))).collect();
    lines(title, "percentile", "ms", Axis::Value, &ls, &[], &tail_label, Some(nines as usize + 1))
}

/// Utilisation to colour: pale green when idle, yellow near the target, red at the quota.
pub fn heat(v: f64) -> RGBColor {
    const STOPS: [(f64, (u8, u8, u8)); 4] =
        [(0.0, (237, 248, 233)), (0.6, (254, 224, 139)), (0.85, (252, 141, 89)), (1.0, (165, 0, 38))];
    let v = v.clamp(0.0, 1.0);
    for w in STOPS.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if v <= b {
            let f = if b > a { (v - a) / (b - a) } else { 0.0 };
            let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
            return RGBColor(mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2));
        }
    }
    RGBColor(165, 0, 38)
}

/// A heat map: `cells[row][column]` in 0–1 (more is clamped), columns `column_secs`
/// seconds wide, rows labelled by `row_label` (every row when they fit, else every
/// `label_every()`-th), each cell with a tooltip.
pub fn heat_map(
    title: &str,
    cells: &[Vec<f64>],
    column_secs: f64,
    row_desc: &str,
    row_label: &dyn Fn(usize) -> String,
) -> Result<String, ReportError> {
    let rows = cells.len().max(1);
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let every = label_every(rows);
    draw(title, 0.0..cols as f64, 0.0..rows as f64, |chart, overlay| {
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("seconds since start")
            .y_desc(row_desc)
            .label_style(("sans-serif", LABEL_PX))
            .axis_desc_style(("sans-serif", LABEL_PX))
            .x_label_formatter(&|x| format!("{:.0}", x * column_secs))
            .y_labels(rows + 1)
            .y_label_formatter(&|y| {
                let row = y.floor() as usize;
                if (y - y.floor()).abs() < 1e-9 && row < rows && row.is_multiple_of(every) {
                    row_label(row)
                } else {
                    String::new()
                }
            })
            .draw()?;
        chart.draw_series(cells.iter().enumerate().flat_map(|(r, row)| {
            row.iter().enumerate().map(move |(c, v)| {
                Rectangle::new([(c as f64, r as f64), (c as f64 + 1.0, r as f64 + 1.0)], heat(*v).filled())
            })
        }))?;
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (from, to) = (c as f64 * column_secs, (c + 1) as f64 * column_secs);
                let text = format!("{row_desc} {}, {from:.0}–{to:.0} s: {:.1}%", row_label(r), v * 100.0);
                overlay.title_rect(
                    chart.backend_coord(&(c as f64, r as f64 + 1.0)),
                    chart.backend_coord(&(c as f64 + 1.0, r as f64)),
                    &text,
                );
            }
        }
        Ok(())
    })
}

/// Which rows of a heat map of `rows` rows carry a label: all up to 16, else every n-th.
pub fn label_every(rows: usize) -> usize {
    rows.div_ceil(16).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_labels() {
        assert_eq!(tail_label(&0.0), "0%");
        assert_eq!(tail_label(&1.0), "90%");
        assert_eq!(tail_label(&2.0), "99%");
        assert_eq!(tail_label(&3.0), "99.9%");
    }

    #[test]
    fn heat_scale_is_clamped_and_monotone_in_red() {
        assert_eq!(heat(-1.0), heat(0.0));
        assert_eq!(heat(2.0), heat(1.0));
        assert!(heat(0.0).1 > heat(1.0).1);
    }

    #[test]
    fn spectrum_reaches_the_tail() {
        let mut l = Latency::default();
        for us in 1..=100_000u64 {
            l.record(std::time::Duration::from_micros(us));
        }
        let pts = spectrum_points(&l, nines_for(l.histogram().len()));
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0), "x increases");
        let last = pts.last().unwrap();
        assert!((last.0 - 5.0).abs() < 1e-9, "{last:?}");
        assert!((last.1 - 100.0).abs() < 0.2, "{last:?}");
    }

    #[test]
    fn charts_carry_tooltips_references_and_whole_counts() {
        let line = Line::new(0, "retries", vec![(0.0, 0.0), (1.0, 2.0), (2.0, 1.0)]);
        let svg =
            time_series("retries", "per second", Axis::Count, &[line], &[Reference { name: "quota".into(), y: 3.0 }])
                .unwrap();
        assert!(svg.contains("<title>retries: 2 at 1 s</title>"), "{svg}");
        assert!(svg.contains("data-ref=\"quota\""), "{svg}");
        assert!(!svg.contains(">0.5<") && !svg.contains(">1.5<"), "no fractional ticks on a count axis");
        let svg = heat_map("u", &[vec![0.5, 1.0]], 10.0, "shard", &|i| i.to_string()).unwrap();
        assert!(svg.contains("<title>shard 0, 10–20 s: 100.0%</title>"), "{svg}");
        assert_eq!(label_every(12), 1);
        assert_eq!(label_every(32), 2);
    }

    #[test]
    fn empty_charts_still_draw() {
        let svg = time_series("nothing", "events/s", Axis::Count, &[Line::new(0, "none", vec![])], &[]).unwrap();
        assert!(svg.starts_with("<svg"));
        let svg = heat_map("none", &[], 1.0, "shard", &|i| i.to_string()).unwrap();
        assert!(svg.contains("</svg>"));
    }
}
