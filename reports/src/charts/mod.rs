//! Charts of a [`RunRecord`]: each chart is described once as plain data (a [`ChartSpec`])
//! and drawn by one generic function over the plotters backend, so the SVG and the PNG never differ.
//! A chart whose data is absent from the record is not produced at all.
//!
//! Layout: `charts/<name>.rs` builds the chart `<name>` (see [`CHART_NAMES`]) from the record;
//! `select` picks the tensor and information series shown, `series` reads per-run points and
//! legend rows; `plot/` is the drawer (plain-data spec, axes, panels, legend, font and colours),
//! which knows nothing of run records.

mod channel_std;
mod class_structure;
mod effective_rank;
mod figure2;
mod info_epochs;
mod info_plane;
mod info_scale;
mod knn_accuracy;
mod lagrangian;
mod loss;
mod panel_epochs;
mod plot;
mod select;
mod series;
mod spectrum;
mod std_l2;

use crate::atomic;
use crate::error::ReportError;
use crate::record::RunRecord;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Re-exported from [`crate::format`], where number formatting lives.
pub use crate::format::scale_text;
pub use lagrangian::THEOREM_UNKNOWN;
pub use plot::spec::{
    ChartSpec, ColourBar, LegendEntry, LineStyleKind, PanelSpec, PointLabel, RefLine, Series,
    VLine, XAxis, SIZE,
};
pub use plot::style::{ensure_font, ramp, run_colour, PALETTE};
pub use select::{
    chart_tensor, has_trajectories, info_key, lagrangian_key, InfoKey, DEFAULT_TENSOR,
};
pub use series::{h_t_origin, loss_series, metric_series};
pub use spectrum::{fit_points, FIT_DETAIL, FIT_LABEL};

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
    "panel_epochs",
    "info_plane",
    "info_epochs",
    "lagrangian",
    "spectrum",
    "channel_std",
    "info_scale",
    "class_structure",
];

/// The charts whose x axis is the epoch (or that draw a trajectory over epochs): produced only
/// when at least one run has two or more epochs ([`has_trajectories`], ARCHITECTURE.md §10).
pub const EPOCH_CHARTS: &[&str] = &[
    "figure2",
    "loss",
    "std_l2",
    "effective_rank",
    "knn_accuracy",
    "panel_epochs",
    "info_plane",
    "info_epochs",
];

/// The plain-data description of every chart of `record` that has data, in display order
/// (see [`CHART_NAMES`]). Every panel over epochs marks the onset of each run's verdict
/// ([`series::onset_lines`]); a panel of one run (captioned with its name) only that run's.
/// The charts of [`EPOCH_CHARTS`] appear only when a run has two or more epochs.
pub fn chart_specs(record: &RunRecord) -> Vec<ChartSpec> {
    let trajectories = has_trajectories(record);
    let tensor = chart_tensor(record);
    let t = tensor.as_deref();
    let info = info_key(record);
    let lb = lagrangian_key(record);
    let specs = [
        figure2::figure2(record, t),
        Some(loss::loss(record)),
        Some(std_l2::std_l2(record, t)),
        Some(effective_rank::effective_rank(record, t)),
        Some(knn_accuracy::knn_accuracy(record)),
        panel_epochs::panel_epochs(record, t),
        info.as_ref().map(|k| info_plane::info_plane(record, k)),
        info.as_ref().map(|k| info_epochs::info_epochs(record, k)),
        lb.as_ref().map(|k| lagrangian::lagrangian(record, k)),
        t.map(|t| spectrum::spectrum(record, t)),
        t.map(|t| channel_std::channel_std(record, t)),
        info_scale::info_scale(record),
        t.and_then(|t| class_structure::class_structure(record, t)),
    ];
    let onsets = series::onset_lines(record);
    specs
        .into_iter()
        .flatten()
        .filter(|spec| trajectories || !EPOCH_CHARTS.contains(&spec.name))
        .filter(ChartSpec::has_data)
        .map(|mut spec| {
            for panel in &mut spec.panels {
                if panel.x_axis == XAxis::Epoch {
                    let own = panel
                        .caption
                        .as_deref()
                        .filter(|c| record.runs.iter().any(|r| r.name == *c));
                    panel.v_lines = onsets
                        .iter()
                        .filter(|(name, _)| own.is_none_or(|c| c == *name))
                        .map(|(_, line)| line.clone())
                        .collect();
                }
            }
            spec
        })
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
        plot::draw(&root, spec).map_err(|e| ReportError::chart(spec.name, e))?;
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

/// Render one chart spec as a PNG file at `path` (atomically, [`atomic::write_with_extension`]).
pub fn write_png(spec: &ChartSpec, path: &Path) -> Result<(), ReportError> {
    ensure_font()?;
    // A drawing error is returned as itself, not as the I/O error that aborts the write.
    let mut chart_error = None;
    let written = atomic::write_with_extension(path, |tmp| {
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
    plot::draw(&root, spec).map_err(|e| ReportError::chart(spec.name, e))?;
    root.present().map_err(|e| ReportError::chart(spec.name, e))
}
