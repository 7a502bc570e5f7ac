//! Drawing a chart as PNG: plotters on an in-memory RGB buffer with the
//! embedded Noto Sans font (no system font libraries), encoded with `png`.
//! The title, a legend of the labels that differ between series, dashed
//! threshold lines, the firing window shaded, gaps where samples are
//! missing, a time axis in the configured zone and values in Alertmanager's
//! `humanize` style. The same spec always gives the same bytes.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::template::fmt::format_float;

/// Series colours (never red, which is for thresholds and firing).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];
/// The threshold lines' colour.
pub const THRESHOLD: RGBColor = RGBColor(214, 39, 40);
/// The firing window's shade (a light red over white).
pub const FIRING_SHADE: RGBColor = RGBColor(252, 228, 228);

/// How values are written on the axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `humanize`: SI prefixes (`1.5k`, `250m`).
    Plain,
    /// `humanizeDuration` for seconds (`1m 30s`, `250ms`).
    Seconds,
    /// `humanize1024` for bytes (`1.5Ki`).
    Bytes,
    /// `humanizePercentage` for ratios (`5%`).
    Ratio,
}

impl Unit {
    /// The unit a query's metric names suggest.
    pub fn guess(expr: &str, burn_rate: bool) -> Unit {
        if burn_rate {
            Unit::Plain
        } else if expr.contains("_seconds") {
            Unit::Seconds
        } else if expr.contains("_bytes") {
            Unit::Bytes
        } else if expr.contains("_ratio") {
            Unit::Ratio
        } else {
            Unit::Plain
        }
    }

    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Plain => humanize(v),
            Unit::Seconds => humanize_seconds(v),
            Unit::Bytes => humanize_1024(v),
            Unit::Ratio => format!("{}%", g4(v * 100.0)),
        }
    }
}

fn g4(v: f64) -> String {
    format_float(v, 'g', 4)
}

/// Prometheus' `humanize`.
pub fn humanize(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    let mut v = v;
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", g4(v))
}

/// Prometheus' `humanize1024`.
pub fn humanize_1024(v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return g4(v);
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", g4(v))
}

/// Prometheus' `humanizeDuration`, short enough for an axis.
pub fn humanize_seconds(v: f64) -> String {
    crate::template::amfuncs::humanize_duration(&crate::template::value::Value::from(v))
        .unwrap_or_else(|_| g4(v))
}

/// One line of the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: String,
    /// (Unix seconds, value), in time order.
    pub points: Vec<(i64, f64)>,
}

/// Everything a chart shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    /// A second line under the title ("+3 more series", the query).
    pub subtitle: String,
    pub lines: Vec<Line>,
    pub thresholds: Vec<f64>,
    /// The firing window in Unix seconds.
    pub firing: Option<(i64, i64)>,
    pub start: i64,
    pub end: i64,
    /// The query step: points further apart than 1.5 steps are not joined.
    pub step: i64,
    pub tz: chrono_tz::Tz,
    pub unit: Unit,
    pub width: u32,
    pub height: u32,
}

const FONT: &str = "sans-serif";

/// Registers the embedded font with plotters (once).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_err()
        {
            tracing::error!("The embedded chart font could not be loaded");
        }
    });
}

/// Round times between `start` and `end` (Unix seconds) for the axis: at
/// most about 8, on a whole number of minutes, hours or days in `tz`.
fn time_ticks(start: i64, end: i64, tz: chrono_tz::Tz) -> Vec<i64> {
    use chrono::{Offset, TimeZone};
    const STEPS: [i64; 13] = [
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        10800,
        21600,
        43200,
        86400,
        7 * 86400,
    ];
    let span = (end - start).max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 8)
        .unwrap_or(span / 8 + 1);
    // Round in local time, so that hours and days fall on local ones.
    let offset = tz
        .timestamp_opt(start, 0)
        .single()
        .map_or(0, |d| i64::from(d.offset().fix().local_minus_utc()));
    let first = (start + offset + step - 1).div_euclid(step) * step - offset;
    (0..)
        .map(|k| first + k * step)
        .take_while(|t| *t <= end)
        .collect()
}

/// Renders `spec` as PNG bytes.
pub fn render_png(spec: &ChartSpec) -> Result<Vec<u8>, String> {
    register_font();
    let (w, h) = (spec.width.max(200), spec.height.max(120));
    let mut buf = vec![255u8; (w * h * 3) as usize];
    draw(spec, &mut buf, (w, h)).map_err(|e| format!("drawing the chart: {e}"))?;
    let mut out = Vec::with_capacity(64 << 10);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc
            .write_header()
            .map_err(|e| format!("encoding the PNG: {e}"))?;
        writer
            .write_image_data(&buf)
            .map_err(|e| format!("encoding the PNG: {e}"))?;
    }
    Ok(out)
}

/// The value range shown: every value and threshold, padded.
fn y_range(spec: &ChartSpec) -> (f64, f64) {
    let values = spec
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(spec.thresholds.iter().copied());
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.08;
    if lo >= 0.0 && lo - pad < 0.0 {
        lo = 0.0;
    } else {
        lo -= pad;
    }
    hi += pad;
    (lo, hi)
}

fn draw(
    spec: &ChartSpec,
    buf: &mut [u8],
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(buf, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (title_area, plot_area) =
        root.split_vertically(if spec.subtitle.is_empty() { 30 } else { 46 });
    title_area.draw_text(&spec.title, &(FONT, 18).into_font().color(&BLACK), (12, 6))?;
    if !spec.subtitle.is_empty() {
        title_area.draw_text(
            &spec.subtitle,
            &(FONT, 12).into_font().color(&RGBColor(90, 90, 90)),
            (12, 28),
        )?;
    }
    let (lo, hi) = y_range(spec);
    let (start, end) = (spec.start, spec.end.max(spec.start + 1));
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(8)
        .margin_right(16)
        .margin_bottom(6)
        .x_label_area_size(24)
        .y_label_area_size(64)
        .build_cartesian_2d(
            (start..end).with_key_points(time_ticks(start, end, spec.tz)),
            lo..hi,
        )?;

    if let Some((fs, fe)) = spec.firing {
        let (fs, fe) = (fs.clamp(start, end), fe.clamp(start, end));
        if fe > fs {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(fs, lo), (fe, hi)],
                FIRING_SHADE.filled(),
            )))?;
        }
    }

    let tz = spec.tz;
    let long = end - start > 86_400;
    let x_fmt = move |t: &i64| {
        use chrono::TimeZone;
        match tz.timestamp_opt(*t, 0).single() {
            Some(d) if long => d.format("%m-%d %H:%M").to_string(),
            Some(d) => d.format("%H:%M").to_string(),
            None => String::new(),
        }
    };
    let unit = spec.unit;
    let y_fmt = move |v: &f64| unit.format(*v);
    chart
        .configure_mesh()
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FONT, 12))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(220, 220, 220))
        .axis_style(RGBColor(160, 160, 160))
        .draw()?;

    for t in &spec.thresholds {
        chart.draw_series(DashedLineSeries::new(
            [(start, *t), (end, *t)],
            8,
            5,
            THRESHOLD.stroke_width(2),
        ))?;
    }

    let gap = spec.step.max(1) * 3 / 2;
    for (i, line) in spec.lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = color.stroke_width(2);
        let mut segments: Vec<Vec<(i64, f64)>> = Vec::new();
        for p in &line.points {
            match segments.last_mut() {
                Some(seg) if p.0 - seg.last().map_or(p.0, |q| q.0) <= gap => seg.push(*p),
                _ => segments.push(vec![*p]),
            }
        }
        let mut labelled = false;
        for seg in segments {
            let drawn = if seg.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(seg[0], 2, color.filled())))?
            } else {
                chart.draw_series(LineSeries::new(seg, style))?
            };
            if !labelled && !line.name.is_empty() {
                drawn.label(&line.name).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
                labelled = true;
            }
        }
    }
    if spec.lines.iter().any(|l| !l.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font((FONT, 12))
            .draw()?;
    }
    if spec.lines.iter().all(|l| l.points.is_empty()) {
        plot_area.draw_text(
            "no data in this range",
            &(FONT, 16).into_font().color(&RGBColor(90, 90, 90)),
            (size.0 as i32 / 2 - 80, (size.1 as i32 - 46) / 2),
        )?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(n: usize) -> ChartSpec {
        let start = 1_700_000_000;
        let step = 36;
        let lines = (0..3)
            .map(|k| Line {
                name: format!("instance=\"host-{k}\""),
                points: (0..n)
                    .map(|i| {
                        let t = start + i as i64 * step;
                        (t, 0.5 + 0.3 * ((i as f64 / 20.0) + k as f64).sin())
                    })
                    .collect(),
            })
            .collect();
        ChartSpec {
            title: "HighErrorRate job=\"api\"".into(),
            subtitle: String::new(),
            lines,
            thresholds: vec![0.7],
            firing: Some((start + 200 * step, start + 300 * step)),
            start,
            end: start + n as i64 * step,
            step,
            tz: chrono_tz::UTC,
            unit: Unit::Plain,
            width: 800,
            height: 400,
        }
    }

    pub(crate) fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn count(pixels: &[u8], c: RGBColor) -> usize {
        pixels
            .chunks_exact(3)
            .filter(|p| p[0] == c.0 && p[1] == c.1 && p[2] == c.2)
            .count()
    }

    #[test]
    fn a_chart_shows_its_series_threshold_and_firing_window() {
        let png_bytes = render_png(&sample(300)).unwrap();
        let (w, h, px) = decode(&png_bytes);
        assert_eq!((w, h), (800, 400));
        for c in &PALETTE[..3] {
            assert!(count(&px, *c) > 300, "series colour {c:?}");
        }
        assert!(count(&px, THRESHOLD) > 300, "threshold line");
        assert!(count(&px, FIRING_SHADE) > 2000, "firing window");
        assert_eq!(count(&px, PALETTE[3]), 0, "only three series");
    }

    #[test]
    fn rendering_is_deterministic_and_survives_odd_data() {
        let spec = sample(300);
        assert_eq!(render_png(&spec).unwrap(), render_png(&spec).unwrap());
        let mut empty = spec.clone();
        empty.lines.iter_mut().for_each(|l| l.points.clear());
        render_png(&empty).unwrap();
        let mut flat = spec.clone();
        flat.lines.truncate(1);
        flat.lines[0].points = vec![(spec.start, 5.0), (spec.start + 36, 5.0)];
        flat.thresholds.clear();
        render_png(&flat).unwrap();
        let mut gaps = spec;
        gaps.lines[0].points.retain(|p| (p.0 / 36) % 10 != 0);
        gaps.end = gaps.start;
        render_png(&gaps).unwrap();
    }

    #[test]
    fn time_ticks_are_round() {
        let start = 1_767_000_123; // 09:22:03 UTC
        let ticks = time_ticks(start, start + 3 * 3600, chrono_tz::UTC);
        assert!(ticks.len() <= 8 && ticks.len() >= 3, "{ticks:?}");
        assert!(ticks.iter().all(|t| t % 1800 == 0), "{ticks:?}");
        // Whole hours in a zone half an hour off UTC.
        let ticks = time_ticks(start, start + 6 * 3600, chrono_tz::Asia::Kolkata);
        assert!(ticks.iter().all(|t| (t + 1800) % 3600 == 0), "{ticks:?}");
    }

    #[test]
    fn humanize_follows_prometheus() {
        assert_eq!(humanize(0.0), "0");
        assert_eq!(humanize(1234.0), "1.234k");
        assert_eq!(humanize(0.05), "50m");
        assert_eq!(humanize(2_500_000.0), "2.5M");
        assert_eq!(humanize_1024(2048.0), "2Ki");
        assert_eq!(humanize_seconds(90.0), "1m 30s");
        assert_eq!(Unit::Ratio.format(0.05), "5%");
        assert_eq!(
            Unit::guess("rate(http_request_duration_seconds_sum[5m])", false),
            Unit::Seconds
        );
    }
}
