//! SVG charts for the HTML report, drawn with plotters' SVG backend (no fonts needed:
//! text is left to the browser). Each function returns one `<svg>` element as a string.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::ReportError;
use loadgen_engine::measure::Latency;

/// Chart size in pixels; the page scales them to its width.
pub const WIDTH: u32 = 960;
/// Chart height in pixels.
pub const HEIGHT: u32 = 300;

/// Colours in a fixed order, distinguishable in print and for common colour blindness.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x7f, 0x7f, 0x7f),
];

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
/// `body`, as an `<svg>` string.
fn draw(
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    body: impl FnOnce(&mut Chart<'_>) -> Result<(), DrawError>,
) -> Result<String, ReportError> {
    let failed = |e: DrawError| ReportError::Render { what: format!("the chart '{title}'"), detail: e.to_string() };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(x, y)
            .map_err(failed)?;
        body(&mut chart).map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
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

/// From zero to a little above the largest value.
fn y_top(lines: &[Line]) -> f64 {
    let top = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).filter(|v| v.is_finite()).fold(0.0, f64::max);
    if top > 0.0 {
        top * 1.08
    } else {
        1.0
    }
}

/// A line chart over `x_desc` (seconds unless `x_label` says otherwise).
pub fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    x_label: &dyn Fn(&f64) -> String,
    x_ticks: Option<usize>,
) -> Result<String, ReportError> {
    let (x0, x1) = x_range(lines);
    draw(title, x0..x1, 0.0..y_top(lines), |chart| {
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(x_label)
            .y_label_formatter(&|v| short(*v))
            .light_line_style(RGBColor(238, 238, 238))
            .bold_line_style(RGBColor(215, 215, 215));
        if let Some(n) = x_ticks {
            mesh.x_labels(n);
        }
        mesh.draw()?;
        for l in lines {
            let color = l.color;
            chart
                .draw_series(LineSeries::new(l.points.iter().copied(), color.stroke_width(2)))?
                .label(l.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()
    })
}

/// A time series: x in seconds since the start.
pub fn time_series(title: &str, y_desc: &str, series: &[Line]) -> Result<String, ReportError> {
    lines(title, "seconds since start", y_desc, series, &|x| format!("{x:.0}"), None)
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
    lines(title, "percentile", "ms", &ls, &tail_label, Some(nines as usize + 1))
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
/// seconds wide, rows labelled by `row_label`.
pub fn heat_map(
    title: &str,
    cells: &[Vec<f64>],
    column_secs: f64,
    row_desc: &str,
    row_label: &dyn Fn(usize) -> String,
) -> Result<String, ReportError> {
    let rows = cells.len().max(1);
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    draw(title, 0.0..cols as f64, 0.0..rows as f64, |chart| {
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("seconds since start")
            .y_desc(row_desc)
            .x_label_formatter(&|x| format!("{:.0}", x * column_secs))
            .y_labels(rows.min(12))
            .y_label_formatter(&|y| {
                let row = y.floor() as usize;
                if (y - y.floor()).abs() < 1e-9 && row < rows {
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
        Ok(())
    })
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
    fn empty_charts_still_draw() {
        let svg = time_series("nothing", "events/s", &[Line::new(0, "none", vec![])]).unwrap();
        assert!(svg.starts_with("<svg"));
        let svg = heat_map("none", &[], 1.0, "shard", &|i| i.to_string()).unwrap();
        assert!(svg.contains("</svg>"));
    }
}
