//! A chart as plain data: everything needed to draw it, computed from the record only. The chart
//! builders (`charts/<name>.rs`) fill these structs; the drawer ([`super::draw`]) reads them.
//!
//! A chart ([`ChartSpec`]) is a title, one or more panels ([`PanelSpec`]: axes, lines, markers,
//! reference lines, point labels) laid out in a grid, and a legend column on the right that may end
//! with a colour bar ([`ColourBar`]).

use plotters::style::{RGBColor, BLACK};

/// Size of a single-panel chart in pixels (width, height).
pub const SIZE: (u32, u32) = (960, 560);

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyleKind {
    Solid,
    Dashed,
    /// Short dots: a line drawn from a stored fit rather than measured points (e.g. the α-ReQ
    /// power law on the spectrum chart).
    Dotted,
    /// Markers only, no connecting line.
    None,
    /// An open (hollow) marker, no line: the legend sample of points drawn open (e.g. saturated
    /// estimates, ARCHITECTURE.md §5).
    OpenMarker,
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
    /// Points whose marker is drawn open (white, outlined in the series colour); empty = none.
    /// Indexed like `points`.
    pub open: Vec<bool>,
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
            open: Vec::new(),
        }
    }

    /// True when the marker of point `i` is drawn open.
    pub fn is_open(&self, i: usize) -> bool {
        self.open.get(i).copied().unwrap_or(false)
    }
}

/// A dashed horizontal reference line with a short label drawn at its right end.
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    pub y: f64,
    pub label: String,
    pub colour: RGBColor,
}

/// A dotted vertical marker at `x` with a short label at its top (e.g. the epoch a run's
/// verdict began, ARCHITECTURE.md §6).
#[derive(Debug, Clone, PartialEq)]
pub struct VLine {
    pub x: f64,
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
    /// Logarithmic x axis (e.g. a scale ε or σ): non-positive values are not drawn.
    pub x_log: bool,
    /// Fixed x range (e.g. every recorded epoch, so all charts share one x axis); `None` fits
    /// the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None` fits the data and the reference lines.
    pub y_range: Option<(f64, f64)>,
    /// When fitting a linear axis, extend the y range to include 0.
    pub y_include_zero: bool,
    pub series: Vec<Series>,
    pub ref_lines: Vec<RefLine>,
    /// Vertical markers (drawn under the data; not part of the fitted x range).
    pub v_lines: Vec<VLine>,
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
            x_log: false,
            x_range: None,
            y_range: None,
            y_include_zero: false,
            series: Vec::new(),
            ref_lines: Vec::new(),
            v_lines: Vec::new(),
            labels: Vec::new(),
            note: None,
        }
    }

    /// True when at least one series has a point that can be drawn.
    pub fn has_data(&self) -> bool {
        self.series.iter().flat_map(|s| s.points.iter()).any(|p| {
            p.0.is_finite()
                && p.1.is_finite()
                && (!self.y_log || p.1 > 0.0)
                && (!self.x_log || p.0 > 0.0)
        })
    }

    /// Long per-index curves read better as lines without a marker at every index: markers only
    /// on series of at most 16 points.
    pub fn thin_markers(&mut self) {
        for s in &mut self.series {
            s.markers = s.points.len() <= 16;
        }
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
    /// Sentences drawn under the legend (and the colour bar), wrapped to the legend column:
    /// what the chart cannot show and why (e.g. no theorem line while H(T) is unknown).
    pub notes: Vec<String>,
}

impl ChartSpec {
    /// A chart of one panel, of the default [`SIZE`], without subtitle or colour bar.
    pub fn single(
        name: &'static str,
        title: String,
        panel: PanelSpec,
        legend: Vec<LegendEntry>,
    ) -> Self {
        ChartSpec {
            name,
            title,
            subtitle: None,
            size: SIZE,
            columns: 1,
            panels: vec![panel],
            legend,
            colour_bar: None,
            notes: Vec::new(),
        }
    }

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
