//! Charts of a [`RunRecord`]: each chart is described once as plain data (a [`LineChartSpec`])
//! and drawn by one generic function over the plotters backend, so the SVG and the PNG never differ.
//!
//! Text is laid out with the bundled DejaVu Sans (registered with plotters' `ab_glyph` feature),
//! so rendering needs no system fonts and the SVG bytes do not depend on the machine.

mod curves;
mod line;

use crate::error::ReportError;
use crate::fsutil;
use crate::record::{MethodRun, RunRecord};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use line::{LegendEntry, LineChartSpec, LineStyleKind, RefLine, Series};

/// Size of every chart in pixels (width, height).
pub const SIZE: (u32, u32) = (960, 560);

/// The tensor charts show by default: the projector output z of the SimSiam paper.
pub const DEFAULT_TENSOR: &str = "online.projector";

/// The font family every chart names; the bundled font is registered under it.
pub(crate) const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static FONT_REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Register the bundled DejaVu Sans as "sans-serif" (Normal; Bold falls back to it). Idempotent.
pub fn ensure_font() -> Result<(), ReportError> {
    FONT_REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "DejaVuSans.ttf is not a valid font file".to_string())
        })
        .clone()
        .map_err(ReportError::Font)
}

/// Colour-blind-safe palette (Okabe–Ito, with yellow replaced by a darker gold), by run index.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(153, 128, 0),   // dark gold
];

/// Colour of the run at `index` in `record.runs` (the same in every chart).
pub fn run_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// One rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem and identifier (`std_l2`, `effective_rank`, `loss`).
    pub name: &'static str,
    pub title: String,
    /// The complete SVG document.
    pub svg: String,
}

/// The plain-data description of every chart of `record`, in display order.
pub fn chart_specs(record: &RunRecord) -> Vec<LineChartSpec> {
    let tensor = chart_tensor(record);
    vec![
        curves::std_l2(record, tensor.as_deref()),
        curves::effective_rank(record, tensor.as_deref()),
        curves::loss(record),
    ]
}

/// Render every chart as an SVG string.
pub fn render_svgs(record: &RunRecord) -> Result<Vec<Chart>, ReportError> {
    ensure_font()?;
    chart_specs(record)
        .iter()
        .map(|spec| {
            Ok(Chart {
                name: spec.name,
                title: spec.title.clone(),
                svg: render_svg(spec)?,
            })
        })
        .collect()
}

/// Render one chart spec as an SVG document.
pub fn render_svg(spec: &LineChartSpec) -> Result<String, ReportError> {
    ensure_font()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        line::draw(&root, spec).map_err(|e| ReportError::chart(spec.name, e))?;
        root.present()
            .map_err(|e| ReportError::chart(spec.name, e))?;
    }
    Ok(buf)
}

/// Render every chart as `<dir>/<name>.png` (each written atomically); returns the paths.
pub fn write_pngs(record: &RunRecord, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    ensure_font()?;
    fsutil::create_dir_all(dir)?;
    chart_specs(record)
        .iter()
        .map(|spec| {
            let path = dir.join(format!("{}.png", spec.name));
            write_png(spec, &path)?;
            Ok(path)
        })
        .collect()
}

/// Render one chart spec as a PNG file at `path` (atomically).
pub fn write_png(spec: &LineChartSpec, path: &Path) -> Result<(), ReportError> {
    ensure_font()?;
    let tmp = fsutil::temp_path_for(path);
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
        line::draw(&root, spec).map_err(|e| ReportError::chart(spec.name, e))?;
        root.present().map_err(|e| ReportError::chart(spec.name, e))
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    fsutil::commit(&tmp, path)
}

/// The tensor the charts plot: [`DEFAULT_TENSOR`] when any run records it, otherwise the first
/// tensor name found (runs in order, epochs in order, names in sorted order).
pub fn chart_tensor(record: &RunRecord) -> Option<String> {
    let mut first = None;
    for run in &record.runs {
        for epoch in &run.epochs {
            if epoch.tensors.contains_key(DEFAULT_TENSOR) {
                return Some(DEFAULT_TENSOR.to_string());
            }
            if first.is_none() {
                first = epoch.tensors.keys().next().cloned();
            }
        }
    }
    first
}

/// `(epoch, value)` of a tensor metric over a run, keeping only finite values of finite tensors.
pub fn metric_series(run: &MethodRun, tensor: &str, metric: &str) -> Vec<(f64, f64)> {
    run.epochs
        .iter()
        .filter_map(|e| {
            let t = e.tensors.get(tensor)?;
            if !t.finite {
                return None;
            }
            let v = t.metric(metric)?;
            v.is_finite().then_some((e.epoch as f64, v))
        })
        .collect()
}

/// `(epoch, loss)` over a run, skipping epochs without a finite loss.
pub fn loss_series(run: &MethodRun) -> Vec<(f64, f64)> {
    run.epochs
        .iter()
        .filter_map(|e| {
            let l = e.loss?;
            l.is_finite().then_some((e.epoch as f64, l))
        })
        .collect()
}
