//! The one chart drawer, generic over the plotters backend (SVG string or PNG bitmap).
//!
//! A chart ([`ChartSpec`]) is a title, one or more panels ([`PanelSpec`]: axes, lines, markers,
//! reference lines, point labels) laid out in a grid, and a legend column on the right that may end
//! with a colour bar ([`ColourBar`]).

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
/// Colour of secondary text (tick labels, notes, legend details).
pub const MUTED: RGBColor = RGBColor(87, 96, 106);
/// Colour of reference lines (e.g. 1/√d).
pub const REFERENCE: RGBColor = RGBColor(110, 119, 129);

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyleKind {
    Solid,
    Dashed,
    /// Markers only, no connecting line.
    None,
}

/// How the x axis is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// Epochs: integer ticks only.
    Epoch,
    /// A 1-based index (singular value or channel rank): integer ticks only.
    Index,
    /// A continuous quantity (β, nats): decimals chosen from the range.
    Linear,
}

/// One curve: `(x, y)` points in drawing order. May be empty (a run with nothing to show).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Run or quantity name.
    pub name: String,
    pub colour: RGBColor,
    pub style: LineStyleKind,
    pub points: Vec<(f64, f64)>,
    /// Fill colour of each point's marker (e.g. an epoch colour ramp); empty = the series colour.
    /// When set, markers are drawn larger and outlined in the series colour.
    pub point_colours: Vec<RGBColor>,
    /// Draw a marker at every point (always drawn for a single point).
    pub markers: bool,
}

impl Series {
    /// A plain line in one colour, with markers.
    pub fn line(
        name: impl Into<String>,
        colour: RGBColor,
        style: LineStyleKind,
        points: Vec<(f64, f64)>,
    ) -> Self {
        Series {
            name: name.into(),
            colour,
            style,
            points,
            point_colours: Vec::new(),
            markers: true,
        }
    }
}

/// A dashed horizontal reference line with a short label drawn at its right end.
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    pub y: f64,
    pub label: String,
    pub colour: RGBColor,
}

/// A short text drawn next to a data point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointLabel {
    pub x: f64,
    pub y: f64,
    pub text: String,
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

impl LegendEntry {
    pub fn new(label: impl Into<String>, colour: RGBColor, style: LineStyleKind) -> Self {
        LegendEntry {
            label: label.into(),
            detail: None,
            colour,
            style,
        }
    }
}

/// A vertical colour ramp with its value range, drawn under the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct ColourBar {
    pub label: String,
    pub lo: f64,
    pub hi: f64,
    /// Ramp stops from `lo` to `hi`, evenly spaced.
    pub stops: Vec<RGBColor>,
}

/// One plot: axes, curves, reference lines and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelSpec {
    /// Caption above the panel (small multiples), in `caption_colour`.
    pub caption: Option<String>,
    pub caption_colour: RGBColor,
    pub x_desc: String,
    pub y_desc: String,
    pub x_axis: XAxis,
    /// Logarithmic y axis: non-positive values are not drawn.
    pub y_log: bool,
    /// Fixed x range (e.g. every recorded epoch, so all charts share one x axis); `None` fits
    /// the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None` fits the data and the reference lines.
    pub y_range: Option<(f64, f64)>,
    /// When fitting a linear axis, extend the y range to include 0.
    pub y_include_zero: bool,
    pub series: Vec<Series>,
    pub ref_lines: Vec<RefLine>,
    pub labels: Vec<PointLabel>,
    /// A note shown in the middle of the plot (always shown when no series has a point).
    pub note: Option<String>,
}

impl PanelSpec {
    /// An empty panel with the given axes.
    pub fn new(x_desc: impl Into<String>, y_desc: impl Into<String>, x_axis: XAxis) -> Self {
        PanelSpec {
            caption: None,
            caption_colour: BLACK,
            x_desc: x_desc.into(),
            y_desc: y_desc.into(),
            x_axis,
            y_log: false,
            x_range: None,
            y_range: None,
            y_include_zero: false,
            series: Vec::new(),
            ref_lines: Vec::new(),
            labels: Vec::new(),
            note: None,
        }
    }

    /// True when at least one series has a point that can be drawn.
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .flat_map(|s| s.points.iter())
            .any(|p| p.0.is_finite() && p.1.is_finite() && (!self.y_log || p.1 > 0.0))
    }

    /// The x range: the data, or a unit window around a single value.
    pub fn x_range(&self) -> (f64, f64) {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .chain(self.x_range.into_iter().flat_map(|(a, b)| [a, b]));
        match min_max(xs) {
            None => (0.0, 1.0),
            Some((lo, hi)) if hi - lo < 1e-9 => (lo - 0.5, hi + 0.5),
            Some((lo, hi)) if self.x_axis == XAxis::Linear => {
                let pad = (hi - lo) * 0.04;
                (lo - pad, hi + pad)
            }
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
            .chain(self.labels.iter().map(|l| l.y))
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

    /// The same panel with every y replaced by log10(y) (non-positive values dropped), so a
    /// linear axis with 10^v tick labels draws it on a logarithmic scale.
    fn to_log10(&self) -> PanelSpec {
        let log = |y: f64| (y > 0.0).then(|| y.log10());
        let mut out = self.clone();
        for s in &mut out.series {
            let (points, colours): (Vec<_>, Vec<_>) = s
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, &(x, y))| {
                    let c = s.point_colours.get(i).copied();
                    log(y).map(|ly| ((x, ly), c))
                })
                .unzip();
            s.points = points;
            s.point_colours = colours.into_iter().flatten().collect();
        }
        out.ref_lines
            .retain_mut(|r| log(r.y).map(|ly| r.y = ly).is_some());
        out.labels
            .retain_mut(|l| log(l.y).map(|ly| l.y = ly).is_some());
        out.y_range = self.y_range.and_then(|(a, b)| Some((log(a)?, log(b)?)));
        out.y_include_zero = false;
        out.y_log = false;
        out
    }
}

/// Everything needed to draw a chart: plain data, computed from the record only.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// File stem (`std_l2`, ...).
    pub name: &'static str,
    pub title: String,
    /// A smaller second title line (what is plotted: tensor, estimator, scale, units).
    pub subtitle: Option<String>,
    /// Canvas size in pixels (width, height).
    pub size: (u32, u32),
    /// Panels per row (the grid has as many rows as needed).
    pub columns: usize,
    pub panels: Vec<PanelSpec>,
    pub legend: Vec<LegendEntry>,
    pub colour_bar: Option<ColourBar>,
}

impl ChartSpec {
    /// True when at least one panel has a point to draw.
    pub fn has_data(&self) -> bool {
        self.panels.iter().any(PanelSpec::has_data)
    }

    /// Title and subtitle on one line (the HTML caption).
    pub fn full_title(&self) -> String {
        match &self.subtitle {
            Some(s) => format!("{} — {}", self.title, s),
            None => self.title.clone(),
        }
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

/// Tick label of a log10-transformed axis value: 10^v with two significant digits.
fn log_label(v: &f64) -> String {
    let x = 10f64.powf(*v);
    if !x.is_finite() {
        return String::new();
    }
    let rounded = format!("{x:.1e}");
    // `{:e}` gives e.g. "3.2e-5"; show plain decimals for 1e-3 ≤ x < 1e4.
    if (1e-3..1e4).contains(&x) {
        let exp = x.log10().floor() as i32;
        let decimals = (1 - exp).max(0) as usize;
        let plain = format!("{x:.decimals$}");
        if plain.contains('.') {
            plain
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            plain
        }
    } else {
        rounded.replace(".0e", "e")
    }
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
    caption: u32,
}

const FULL: PlotStyle = PlotStyle {
    desc: 20,
    ticks: 17,
    x_label_area: 56,
    y_label_area: 84,
    note: 20,
    caption: 19,
};

const SMALL: PlotStyle = PlotStyle {
    desc: 16,
    ticks: 14,
    x_label_area: 46,
    y_label_area: 70,
    note: 16,
    caption: 17,
};

/// Draw `spec` on `root` (the whole canvas).
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let title_style = text(28, &BLACK);
    let title = fit_text(root, &spec.title, &title_style, w.saturating_sub(24))?;
    root.draw(&Text::new(
        title,
        (w as i32 / 2, 8),
        title_style.pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let mut top = 46;
    if let Some(sub) = &spec.subtitle {
        let sub_style = text(17, &MUTED);
        let sub = fit_text(root, sub, &sub_style, w.saturating_sub(24))?;
        root.draw(&Text::new(
            sub,
            (w as i32 / 2, top),
            sub_style.pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        top += 26;
    }
    let body = root.margin(top, 0, 0, 0);
    let (bw, _) = body.dim_in_pixel();
    let (plot, legend) = body.split_horizontally(bw.saturating_sub(LEGEND_WIDTH));

    match spec.panels.as_slice() {
        [] => {}
        [one] => draw_panel(&plot, one, &FULL)?,
        panels => {
            let cols = spec.columns.clamp(1, panels.len());
            let rows = panels.len().div_ceil(cols);
            for (area, panel) in plot.split_evenly((rows, cols)).iter().zip(panels) {
                draw_panel(area, panel, &SMALL)?;
            }
        }
    }
    draw_legend(&legend, &spec.legend, spec.colour_bar.as_ref())
}

/// Draw one panel (its caption, axes, reference lines, series, labels and note) into `area`.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &PanelSpec,
    ps: &PlotStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let plot = match &panel.caption {
        Some(c) => area.titled(c, text(ps.caption, &panel.caption_colour))?,
        None => area.clone(),
    };
    if panel.y_log {
        draw_plot(&plot, &panel.to_log10(), ps, true)
    } else {
        draw_plot(&plot, panel, ps, false)
    }
}

/// Draw the axes, reference lines, series, labels and note of `spec` into `plot`. With `log_y`,
/// y values are already log10-transformed and tick labels show 10^v.
fn draw_plot<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    spec: &PanelSpec,
    ps: &PlotStyle,
    log_y: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x0, x1) = spec.x_range();
    let (y0, y1) = spec.y_range();
    let y_decimals = decimals_for(y1 - y0);
    let x_decimals = decimals_for(x1 - x0);
    let y_fmt = move |y: &f64| {
        if log_y {
            log_label(y)
        } else {
            format!("{:.*}", y_decimals, y)
        }
    };
    let x_fmt = move |x: &f64| match spec.x_axis {
        XAxis::Epoch => epoch_label(x),
        XAxis::Index => match epoch_label(x).as_str() {
            "0" => String::new(),
            s => s.to_string(),
        },
        XAxis::Linear => format!("{:.*}", x_decimals, x),
    };
    let x_labels = match spec.x_axis {
        XAxis::Epoch => ((x1 - x0).round().max(1.0) as usize + 1).min(11),
        XAxis::Index => 10,
        XAxis::Linear => 8,
    };

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
        .x_labels(x_labels)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
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
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        if points.is_empty() {
            continue;
        }
        let style = s.colour.stroke_width(2);
        match s.style {
            LineStyleKind::Solid => {
                chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
            }
            LineStyleKind::Dashed => {
                chart.draw_series(DashedLineSeries::new(points.iter().copied(), 8, 5, style))?;
            }
            LineStyleKind::None => {}
        }
        if !s.point_colours.is_empty() {
            // Ramp-coloured markers outlined in the series colour.
            chart.draw_series(
                points
                    .iter()
                    .zip(&s.point_colours)
                    .map(|(&p, c)| Circle::new(p, 7, c.filled())),
            )?;
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 8, s.colour.stroke_width(2))),
            )?;
        } else if s.markers || points.len() == 1 {
            let marker = if points.len() == 1 { 5 } else { 3 };
            chart.draw_series(points.iter().map(|&p| match s.style {
                LineStyleKind::Dashed => Circle::new(p, marker, s.colour.stroke_width(2)),
                _ => Circle::new(p, marker, s.colour.filled()),
            }))?;
        }
    }

    for l in &spec.labels {
        if !(l.x.is_finite() && l.y.is_finite()) {
            continue;
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((l.x, l.y))
                + Text::new(
                    l.text.clone(),
                    (9, -9),
                    text(ps.ticks, &l.colour).pos(Pos::new(HPos::Left, VPos::Bottom)),
                ),
        ))?;
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

/// Linear interpolation in a list of evenly spaced colour stops, `t` in [0, 1].
pub fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
    match stops {
        [] => BLACK,
        [one] => *one,
        _ => {
            let t = if t.is_finite() {
                t.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let pos = t * (stops.len() - 1) as f64;
            let i = (pos.floor() as usize).min(stops.len() - 2);
            let f = pos - i as f64;
            let (a, b) = (stops[i], stops[i + 1]);
            let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
            RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
        }
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    bar: Option<&ColourBar>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = area.dim_in_pixel();
    let (left, top, right) = (4i32, 14i32, w as i32 - 14);
    let sample = 30i32;
    let text_x = left + 12 + sample + 8;
    let max_text = (right - 8 - text_x).max(10) as u32;
    let label_style = text(17, &BLACK);
    let detail_style = text(15, &MUTED);

    let mut y_end = top;
    if !entries.is_empty() {
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
        y_end = top + height;

        let mut y = top + 18;
        for e in entries {
            let line = vec![(left + 12, y), (left + 12 + sample, y)];
            let style = e.colour.stroke_width(2);
            match e.style {
                LineStyleKind::Solid => area.draw(&PathElement::new(line, style))?,
                LineStyleKind::Dashed => area.draw(&DashedPathElement::new(line, 7, 4, style))?,
                LineStyleKind::None => area.draw(&Circle::new(
                    (left + 12 + sample / 2, y),
                    6,
                    e.colour.filled(),
                ))?,
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
    }

    if let Some(bar) = bar {
        // A vertical ramp, `hi` at the top, with the two end values and the label.
        let bx = left + 12;
        let by = y_end + 24;
        let label = fit_text(area, &bar.label, &label_style, (right - bx) as u32)?;
        area.draw(&Text::new(
            label,
            (bx, by),
            label_style.pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        // 32 bands of 5 px: smooth enough, and a short SVG.
        let (bar_top, bands, band_h, bar_w) = (by + 28, 32i32, 5i32, 22i32);
        let bar_h = bands * band_h;
        for i in 0..bands {
            let t = 1.0 - i as f64 / (bands - 1) as f64;
            let c = ramp(&bar.stops, t);
            let y = bar_top + i * band_h;
            area.draw(&Rectangle::new(
                [(bx, y), (bx + bar_w, y + band_h)],
                c.filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(bx, bar_top), (bx + bar_w, bar_top + bar_h)],
            LEGEND_BORDER.stroke_width(1),
        ))?;
        let value = |v: f64| {
            let r = v.round();
            if (v - r).abs() < 1e-9 {
                format!("{r:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        for (v, y, vpos) in [
            (bar.hi, bar_top, VPos::Top),
            (bar.lo, bar_top + bar_h, VPos::Bottom),
        ] {
            area.draw(&Text::new(
                value(v),
                (bx + bar_w + 8, y),
                detail_style.pos(Pos::new(HPos::Left, vpos)),
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(points: Vec<(f64, f64)>) -> PanelSpec {
        let mut p = PanelSpec::new("x", "y", XAxis::Epoch);
        p.series
            .push(Series::line("s", BLACK, LineStyleKind::Solid, points));
        p
    }

    #[test]
    fn ranges_of_empty_and_single_points_are_not_degenerate() {
        let empty = panel(vec![]);
        assert_eq!(empty.x_range(), (0.0, 1.0));
        assert_eq!(empty.y_range(), (0.0, 1.0));
        let one = panel(vec![(3.0, -0.9)]);
        assert_eq!(one.x_range(), (2.5, 3.5));
        let (lo, hi) = one.y_range();
        assert!(lo < -0.9 && hi > -0.9 && hi - lo > 0.1);
    }

    #[test]
    fn log_panels_drop_non_positive_values() {
        let mut p = panel(vec![(1.0, 100.0), (2.0, 0.0), (3.0, 0.01)]);
        p.y_log = true;
        assert!(p.has_data());
        let l = p.to_log10();
        assert_eq!(l.series[0].points, vec![(1.0, 2.0), (3.0, -2.0)]);
        let mut zeros = panel(vec![(1.0, 0.0)]);
        zeros.y_log = true;
        assert!(!zeros.has_data());
    }

    #[test]
    fn epoch_labels_are_integers_only() {
        assert_eq!(epoch_label(&2.0), "2");
        assert_eq!(epoch_label(&2.5), "");
        assert_eq!(epoch_label(&-1.0), "");
    }

    #[test]
    fn log_labels_are_compact() {
        assert_eq!(log_label(&0.0), "1");
        assert_eq!(log_label(&2.0), "100");
        assert_eq!(log_label(&-1.0), "0.1");
        assert_eq!(log_label(&-7.0), "1e-7");
        assert_eq!(log_label(&0.5), "3.2");
        assert_eq!(log_label(&5.0), "1e5");
    }

    #[test]
    fn decimals_follow_tick_spacing() {
        assert_eq!(decimals_for(0.16), 2);
        assert_eq!(decimals_for(80.0), 0);
        assert_eq!(decimals_for(f64::NAN), 2);
    }

    #[test]
    fn ramp_interpolates_between_stops() {
        let stops = [RGBColor(0, 0, 0), RGBColor(200, 100, 50)];
        assert_eq!(ramp(&stops, 0.0), RGBColor(0, 0, 0));
        assert_eq!(ramp(&stops, 1.0), RGBColor(200, 100, 50));
        assert_eq!(ramp(&stops, 0.5), RGBColor(100, 50, 25));
        assert_eq!(ramp(&stops, f64::NAN), RGBColor(0, 0, 0));
    }
}
