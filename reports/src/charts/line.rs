//! The one line-chart drawer, generic over the plotters backend (SVG string or PNG bitmap).

use super::FONT;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the legend column to the right of the plot, in pixels.
const LEGEND_WIDTH: u32 = 250;
const GRID: RGBColor = RGBColor(225, 228, 232);
const GRID_LIGHT: RGBColor = RGBColor(243, 244, 246);
const LEGEND_BG: RGBColor = RGBColor(246, 248, 250);
const LEGEND_BORDER: RGBColor = RGBColor(208, 215, 222);
const MUTED: RGBColor = RGBColor(87, 96, 106);
/// Colour of reference lines (e.g. 1/√d).
pub const REFERENCE: RGBColor = RGBColor(110, 119, 129);

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyleKind {
    Solid,
    Dashed,
}

/// One curve: `(x, y)` points in x order. May be empty (a run with nothing to show).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Run name (the panel caption when the chart is drawn as small multiples).
    pub name: String,
    pub colour: RGBColor,
    pub style: LineStyleKind,
    pub points: Vec<(f64, f64)>,
}

/// A dashed horizontal reference line with a short label drawn at its right end.
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    pub y: f64,
    pub label: String,
    pub colour: RGBColor,
}

/// One row of the legend column.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    pub label: String,
    /// A second, smaller grey line (e.g. "diverged at epoch 3").
    pub detail: Option<String>,
    pub colour: RGBColor,
    pub style: LineStyleKind,
}

/// Everything needed to draw a line chart: plain data, computed from the record only.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChartSpec {
    /// File stem (`std_l2`, ...).
    pub name: &'static str,
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    /// Fixed x range (e.g. every recorded epoch, so all charts share one x axis); `None` fits
    /// the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None` fits the data and the reference lines.
    pub y_range: Option<(f64, f64)>,
    /// When fitting, extend the y range to include 0.
    pub y_include_zero: bool,
    pub series: Vec<Series>,
    pub ref_lines: Vec<RefLine>,
    pub legend: Vec<LegendEntry>,
    /// A note shown in the middle of the plot (always shown when no series has a point).
    pub note: Option<String>,
    /// Draw one small panel per non-empty series, each with its own y range (for quantities
    /// whose scales differ by orders of magnitude between runs, such as losses of different methods).
    pub panels: bool,
}

impl LineChartSpec {
    /// True when at least one series has a point.
    pub fn has_data(&self) -> bool {
        self.series.iter().any(|s| !s.points.is_empty())
    }

    /// The x range: the data's epochs, or a unit window around a single epoch.
    pub fn x_range(&self) -> (f64, f64) {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .chain(self.x_range.into_iter().flat_map(|(a, b)| [a, b]));
        match min_max(xs) {
            None => (0.0, 1.0),
            Some((lo, hi)) if hi - lo < 1e-9 => (lo - 0.5, hi + 0.5),
            Some(r) => r,
        }
    }

    /// The y range: fixed, or the data and reference lines with a 6 % margin.
    pub fn y_range(&self) -> (f64, f64) {
        if let Some(r) = self.y_range {
            return r;
        }
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(self.ref_lines.iter().map(|r| r.y))
            .chain(self.y_include_zero.then_some(0.0));
        let Some((lo, hi)) = min_max(ys) else {
            return (0.0, 1.0);
        };
        let span = hi - lo;
        let pad = if span < 1e-12 {
            (hi.abs() * 0.1).max(0.5)
        } else {
            span * 0.06
        };
        let lo_out = if self.y_include_zero && lo == 0.0 {
            0.0
        } else {
            lo - pad
        };
        (lo_out, hi + pad)
    }
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Tick label for an epoch axis: integers only (ticks between epochs stay unlabelled).
fn epoch_label(x: &f64) -> String {
    let r = x.round();
    if (x - r).abs() < 1e-9 && r >= 0.0 {
        format!("{r:.0}")
    } else {
        String::new()
    }
}

/// Number of decimals that distinguishes ticks spaced about `span / 8` apart.
fn decimals_for(span: f64) -> usize {
    if !(span.is_finite() && span > 0.0) {
        return 2;
    }
    let step = span / 8.0;
    (-step.log10().floor()).clamp(0.0, 6.0) as usize
}

fn text(size: u32, colour: &RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(colour)
}

/// Shorten `s` with an ellipsis until it fits `max_px` in `style`.
fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max_px: u32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(s, style)?.0 <= max_px {
        return Ok(s.to_string());
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if area.estimate_text_size(&candidate, style)?.0 <= max_px {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// Font sizes and label areas of one plot (the full chart, or one small panel).
struct PlotStyle {
    desc: u32,
    ticks: u32,
    x_label_area: u32,
    y_label_area: u32,
    note: u32,
}

const FULL: PlotStyle = PlotStyle {
    desc: 20,
    ticks: 17,
    x_label_area: 56,
    y_label_area: 84,
    note: 20,
};

const PANEL: PlotStyle = PlotStyle {
    desc: 16,
    ticks: 14,
    x_label_area: 44,
    y_label_area: 64,
    note: 16,
};

/// Draw `spec` on `root` (the whole canvas).
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &LineChartSpec,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let body = root.titled(&spec.title, text(28, &BLACK))?;
    let (w, _) = body.dim_in_pixel();
    let (plot, legend) = body.split_horizontally(w.saturating_sub(LEGEND_WIDTH));

    let shown: Vec<&Series> = spec
        .series
        .iter()
        .filter(|s| !s.points.is_empty())
        .collect();
    if spec.panels && shown.len() > 1 {
        // Small multiples: one panel per non-empty series, each with its own y range.
        let cols = (shown.len() as f64).sqrt().ceil() as usize;
        let rows = shown.len().div_ceil(cols);
        let x_range = Some(spec.x_range());
        for (area, series) in plot.split_evenly((rows, cols)).iter().zip(shown) {
            let panel_spec = LineChartSpec {
                y_desc: String::new(),
                x_range,
                y_range: None,
                series: vec![series.clone()],
                note: None,
                ..spec.clone()
            };
            let area = area.titled(&series.name, text(17, &series.colour))?;
            draw_plot(&area, &panel_spec, &PANEL)?;
        }
    } else {
        draw_plot(&plot, spec, &FULL)?;
    }
    draw_legend(&legend, &spec.legend)
}

/// Draw the axes, reference lines, series and note of `spec` into `plot`.
fn draw_plot<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    spec: &LineChartSpec,
    ps: &PlotStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x0, x1) = spec.x_range();
    let (y0, y1) = spec.y_range();
    let y_decimals = decimals_for(y1 - y0);
    let y_fmt = move |y: &f64| format!("{:.*}", y_decimals, y);
    let x_span = (x1 - x0).round().max(1.0) as usize;

    let mut chart = ChartBuilder::on(plot)
        .margin_left(12)
        .margin_right(16)
        .margin_top(12)
        .margin_bottom(8)
        .x_label_area_size(ps.x_label_area)
        .y_label_area_size(ps.y_label_area)
        .build_cartesian_2d(x0..x1, y0..y1)?;

    chart
        .configure_mesh()
        .x_desc(spec.x_desc.as_str())
        .y_desc(spec.y_desc.as_str())
        .axis_desc_style(text(ps.desc, &BLACK))
        .label_style(text(ps.ticks, &MUTED))
        .x_labels((x_span + 1).min(11))
        .y_labels(8)
        .x_label_formatter(&epoch_label)
        .y_label_formatter(&y_fmt)
        .bold_line_style(GRID)
        .light_line_style(GRID_LIGHT)
        .max_light_lines(1)
        .draw()?;

    // Reference lines under the data.
    for r in &spec.ref_lines {
        if !r.y.is_finite() || r.y < y0 || r.y > y1 {
            continue;
        }
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, r.y), (x1, r.y)],
            9,
            6,
            r.colour.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            r.label.clone(),
            (x1, r.y),
            text(ps.ticks, &r.colour).pos(Pos::new(HPos::Right, VPos::Bottom)),
        )))?;
    }

    for s in &spec.series {
        if s.points.is_empty() {
            continue;
        }
        let style = s.colour.stroke_width(2);
        match s.style {
            LineStyleKind::Solid => {
                chart.draw_series(LineSeries::new(s.points.iter().copied(), style))?;
            }
            LineStyleKind::Dashed => {
                chart.draw_series(DashedLineSeries::new(s.points.iter().copied(), 8, 5, style))?;
            }
        }
        let marker = if s.points.len() == 1 { 5 } else { 3 };
        chart.draw_series(s.points.iter().map(|&p| match s.style {
            LineStyleKind::Solid => Circle::new(p, marker, s.colour.filled()),
            LineStyleKind::Dashed => Circle::new(p, marker, s.colour.stroke_width(2)),
        }))?;
    }

    let note = match (&spec.note, spec.has_data()) {
        (Some(n), _) => Some(n.as_str()),
        (None, false) => Some("no finite values recorded"),
        (None, true) => None,
    };
    if let Some(note) = note {
        // Pixel ranges are absolute; `plot` draws relative to its own top-left corner.
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (bx, by) = plot.get_base_pixel();
        let centre = ((xr.start + xr.end) / 2 - bx, (yr.start + yr.end) / 2 - by);
        plot.draw(&Text::new(
            note.to_string(),
            centre,
            text(ps.note, &MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if entries.is_empty() {
        return Ok(());
    }
    let (w, _) = area.dim_in_pixel();
    let (left, top, right) = (4i32, 14i32, w as i32 - 14);
    let sample = 30i32;
    let text_x = left + 12 + sample + 8;
    let max_text = (right - 8 - text_x).max(10) as u32;
    let label_style = text(17, &BLACK);
    let detail_style = text(15, &MUTED);

    let mut height = 10;
    for e in entries {
        height += if e.detail.is_some() { 44 } else { 26 };
    }
    area.draw(&Rectangle::new(
        [(left, top), (right, top + height)],
        LEGEND_BG.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(left, top), (right, top + height)],
        LEGEND_BORDER.stroke_width(1),
    ))?;

    let mut y = top + 18;
    for e in entries {
        let line = vec![(left + 12, y), (left + 12 + sample, y)];
        let style = e.colour.stroke_width(2);
        match e.style {
            LineStyleKind::Solid => area.draw(&PathElement::new(line, style))?,
            LineStyleKind::Dashed => area.draw(&DashedPathElement::new(line, 7, 4, style))?,
        }
        let label = fit_text(area, &e.label, &label_style, max_text)?;
        area.draw(&Text::new(
            label,
            (text_x, y),
            label_style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        if let Some(d) = &e.detail {
            let detail = fit_text(area, d, &detail_style, max_text)?;
            area.draw(&Text::new(
                detail,
                (text_x, y + 19),
                detail_style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            y += 44;
        } else {
            y += 26;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(points: Vec<(f64, f64)>) -> LineChartSpec {
        LineChartSpec {
            name: "t",
            title: "t".into(),
            x_desc: "x".into(),
            y_desc: "y".into(),
            x_range: None,
            y_range: None,
            y_include_zero: false,
            series: vec![Series {
                name: "s".into(),
                colour: BLACK,
                style: LineStyleKind::Solid,
                points,
            }],
            ref_lines: vec![],
            legend: vec![],
            note: None,
            panels: false,
        }
    }

    #[test]
    fn ranges_of_empty_and_single_points_are_not_degenerate() {
        let empty = spec(vec![]);
        assert_eq!(empty.x_range(), (0.0, 1.0));
        assert_eq!(empty.y_range(), (0.0, 1.0));
        let one = spec(vec![(3.0, -0.9)]);
        assert_eq!(one.x_range(), (2.5, 3.5));
        let (lo, hi) = one.y_range();
        assert!(lo < -0.9 && hi > -0.9 && hi - lo > 0.1);
    }

    #[test]
    fn epoch_labels_are_integers_only() {
        assert_eq!(epoch_label(&2.0), "2");
        assert_eq!(epoch_label(&2.5), "");
        assert_eq!(epoch_label(&-1.0), "");
    }

    #[test]
    fn decimals_follow_tick_spacing() {
        assert_eq!(decimals_for(0.16), 2);
        assert_eq!(decimals_for(80.0), 0);
        assert_eq!(decimals_for(f64::NAN), 2);
    }
}
