//! Charts of a [`RunRecord`]: each chart is described once as plain data (a [`ChartSpec`])
//! and drawn by one generic function over the plotters backend, so the SVG and the PNG never differ.
//! A chart whose data is absent from the record is not produced at all.
//!
//! Text is laid out with the bundled DejaVu Sans (registered with plotters' `ab_glyph` feature),
//! so rendering needs no system fonts and the SVG bytes do not depend on the machine.

mod curves;
mod info;
mod line;
mod spectra;

use crate::atomic;
use crate::error::ReportError;
/// Re-exported from [`crate::format`], where number formatting lives.
pub use crate::format::scale_text;
use crate::record::{InfoRow, LagrangianRow, MethodRun, RunRecord};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use line::{
    ramp, ChartSpec, ColourBar, LegendEntry, LineStyleKind, PanelSpec, PointLabel, RefLine, Series,
    XAxis,
};

/// Size of a single-panel chart in pixels (width, height).
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
    /// File stem and identifier (`std_l2`, `effective_rank`, `loss`, ...).
    pub name: &'static str,
    /// Title and subtitle on one line (the HTML caption).
    pub title: String,
    /// The complete SVG document.
    pub svg: String,
}

/// Names of every chart this crate can produce, in display order.
pub const CHART_NAMES: &[&str] = &[
    "figure2",
    "loss",
    "std_l2",
    "effective_rank",
    "knn_accuracy",
    "info_plane",
    "info_epochs",
    "lagrangian",
    "spectrum",
    "channel_std",
];

/// The plain-data description of every chart of `record` that has data, in display order
/// (see [`CHART_NAMES`]).
pub fn chart_specs(record: &RunRecord) -> Vec<ChartSpec> {
    let tensor = chart_tensor(record);
    let t = tensor.as_deref();
    let info = info_key(record);
    let lb = lagrangian_key(record);
    let specs = [
        curves::figure2(record, t),
        Some(curves::loss(record)),
        Some(curves::std_l2(record, t)),
        Some(curves::effective_rank(record, t)),
        Some(curves::knn_accuracy(record)),
        info.as_ref().map(|k| info::info_plane(record, k)),
        info.as_ref().map(|k| info::info_epochs(record, k)),
        lb.as_ref().map(|k| info::lagrangian(record, k)),
        t.map(|t| spectra::spectrum(record, t)),
        t.map(|t| spectra::channel_std(record, t)),
    ];
    specs
        .into_iter()
        .flatten()
        .filter(ChartSpec::has_data)
        .collect()
}

/// Render every chart as an SVG string.
pub fn render_svgs(record: &RunRecord) -> Result<Vec<Chart>, ReportError> {
    ensure_font()?;
    chart_specs(record)
        .iter()
        .map(|spec| {
            Ok(Chart {
                name: spec.name,
                title: spec.full_title(),
                svg: render_svg(spec)?,
            })
        })
        .collect()
}

/// Render one chart spec as an SVG document.
pub fn render_svg(spec: &ChartSpec) -> Result<String, ReportError> {
    ensure_font()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, spec.size).into_drawing_area();
        line::draw(&root, spec).map_err(|e| ReportError::chart(spec.name, e))?;
        root.present()
            .map_err(|e| ReportError::chart(spec.name, e))?;
    }
    Ok(buf)
}

/// Render every chart as `<dir>/<name>.png` (each written atomically); returns the paths.
pub fn write_pngs(record: &RunRecord, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    ensure_font()?;
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    chart_specs(record)
        .iter()
        .map(|spec| {
            let path = dir.join(format!("{}.png", spec.name));
            write_png(spec, &path)?;
            Ok(path)
        })
        .collect()
}

/// Render one chart spec as a PNG file at `path` (atomically, [`atomic::write_with`]).
pub fn write_png(spec: &ChartSpec, path: &Path) -> Result<(), ReportError> {
    ensure_font()?;
    // A drawing error is returned as itself, not as the I/O error that aborts the write.
    let mut chart_error = None;
    let written = atomic::write_with(path, |tmp| {
        draw_png(spec, tmp).map_err(|e| {
            let message = e.to_string();
            chart_error = Some(e);
            std::io::Error::other(message)
        })
    });
    match chart_error {
        Some(e) => Err(e),
        None => written.map_err(|e| ReportError::io(path, e)),
    }
}

/// Draw `spec` into a PNG file at `path` (the encoder picks the format from the extension).
fn draw_png(spec: &ChartSpec, path: &Path) -> Result<(), ReportError> {
    let root = BitMapBackend::new(path, spec.size).into_drawing_area();
    line::draw(&root, spec).map_err(|e| ReportError::chart(spec.name, e))?;
    root.present().map_err(|e| ReportError::chart(spec.name, e))
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

/// Which info series the information charts show: one (tensor, estimator, space, scale).
#[derive(Debug, Clone, PartialEq)]
pub struct InfoKey {
    pub tensor: String,
    pub estimator: String,
    pub space: String,
    pub scale: Option<f64>,
}

impl InfoKey {
    fn of_info(r: &InfoRow) -> Self {
        InfoKey {
            tensor: r.tensor.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: r.scale,
        }
    }

    fn of_lagrangian(r: &LagrangianRow) -> Self {
        InfoKey {
            tensor: r.tensor.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: r.scale,
        }
    }

    /// True when `r` belongs to this series.
    pub fn matches_info(&self, r: &InfoRow) -> bool {
        r.tensor == self.tensor
            && r.estimator == self.estimator
            && r.space == self.space
            && r.scale == self.scale
    }

    /// True when `r` belongs to this series.
    pub fn matches_lagrangian(&self, r: &LagrangianRow) -> bool {
        r.tensor == self.tensor
            && r.estimator == self.estimator
            && r.space == self.space
            && r.scale == self.scale
    }

    /// `tensor · estimator · space · scale` for titles.
    pub fn describe(&self) -> String {
        format!(
            "{} · {} · {} · scale {}",
            self.tensor,
            self.estimator,
            self.space,
            scale_text(self.scale)
        )
    }
}

/// The tensor the information charts use: the chart tensor when it has info rows, otherwise the
/// tensor of the first info row.
fn info_tensor(record: &RunRecord) -> Option<String> {
    let rows = || {
        record
            .runs
            .iter()
            .flat_map(|r| r.epochs.iter())
            .flat_map(|e| e.info.iter())
    };
    let preferred = chart_tensor(record);
    if let Some(t) = preferred {
        if rows().any(|r| r.tensor == t) {
            return Some(t);
        }
    }
    rows().next().map(|r| r.tensor.clone())
}

/// The info series the information charts show: on the info tensor, the first
/// (estimator, space, scale) in record order (runs, epochs, rows) that has both I(X;V) and
/// I(V;V') at one epoch; failing that, the first series of that tensor.
pub fn info_key(record: &RunRecord) -> Option<InfoKey> {
    let tensor = info_tensor(record)?;
    let epochs = || record.runs.iter().flat_map(|r| r.epochs.iter());
    for e in epochs() {
        for r in e.info.iter().filter(|r| r.tensor == tensor) {
            let key = InfoKey::of_info(r);
            let has = |q: &str| {
                e.info
                    .iter()
                    .any(|x| x.quantity == q && key.matches_info(x))
            };
            if has("I(X;V)") && has("I(V;V')") {
                return Some(key);
            }
        }
    }
    epochs()
        .flat_map(|e| e.info.iter())
        .find(|r| r.tensor == tensor)
        .map(InfoKey::of_info)
}

/// The Lagrangian series the LB chart shows: the info series when it has Lagrangian rows,
/// otherwise the first Lagrangian row's series.
pub fn lagrangian_key(record: &RunRecord) -> Option<InfoKey> {
    let rows = || {
        record
            .runs
            .iter()
            .flat_map(|r| r.epochs.iter())
            .flat_map(|e| e.lagrangian.iter())
    };
    if let Some(k) = info_key(record) {
        if rows().any(|r| k.matches_lagrangian(r)) {
            return Some(k);
        }
    }
    rows().next().map(InfoKey::of_lagrangian)
}
