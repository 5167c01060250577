//! Curves over epochs, one line per run: std of the l2-normalised output, effective rank, loss.

use super::line::{LegendEntry, LineChartSpec, LineStyleKind, RefLine, Series, REFERENCE};
use super::{loss_series, metric_series, run_colour};
use crate::record::{MethodRun, RunRecord};
use plotters::style::BLACK;
use std::collections::BTreeSet;

/// Distinct widths `d` of `tensor` across every run and epoch, ascending.
fn tensor_dims(record: &RunRecord, tensor: &str) -> BTreeSet<usize> {
    record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter())
        .filter_map(|e| e.tensors.get(tensor).map(|t| t.d))
        .collect()
}

/// The span of every recorded epoch, so the three charts share one x axis.
fn epoch_span(record: &RunRecord) -> Option<(f64, f64)> {
    let mut epochs = record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter().map(|e| e.epoch));
    let first = epochs.next()?;
    let (lo, hi) = epochs.fold((first, first), |(lo, hi), e| (lo.min(e), hi.max(e)));
    Some((lo as f64, hi as f64))
}

/// The legend row of a run: its name, and why it shows nothing or where it diverged.
fn run_entry(index: usize, run: &MethodRun, has_points: bool, missing: &str) -> LegendEntry {
    let detail = match (run.diverged_at, has_points) {
        (Some(e), _) => Some(format!("diverged at epoch {e}")),
        (None, false) => Some(missing.to_string()),
        (None, true) => None,
    };
    LegendEntry {
        label: run.name.clone(),
        detail,
        colour: run_colour(index),
        style: LineStyleKind::Solid,
    }
}

fn tensor_suffix(tensor: Option<&str>) -> String {
    tensor.map(|t| format!(" ({t})")).unwrap_or_default()
}

/// Std of the l2-normalised output vs epoch, with the 1/√d reference (SimSiam Fig. 2, middle).
pub(crate) fn std_l2(record: &RunRecord, tensor: Option<&str>) -> LineChartSpec {
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let points = tensor
            .map(|t| metric_series(run, t, "std_l2"))
            .unwrap_or_default();
        legend.push(run_entry(i, run, !points.is_empty(), "no finite values"));
        series.push(Series {
            name: run.name.clone(),
            colour: run_colour(i),
            style: LineStyleKind::Solid,
            points,
        });
    }
    let dims = tensor.map(|t| tensor_dims(record, t)).unwrap_or_default();
    let several = dims.len() > 1;
    let mut ref_lines = Vec::new();
    for &d in dims.iter().filter(|&&d| d > 0) {
        let y = 1.0 / (d as f64).sqrt();
        let short = if several {
            format!("1/√d (d = {d})")
        } else {
            "1/√d".to_string()
        };
        ref_lines.push(RefLine {
            y,
            label: short,
            colour: REFERENCE,
        });
        legend.push(LegendEntry {
            label: format!("1/√d = {y:.4}"),
            detail: Some(format!("uncollapsed level, d = {d}")),
            colour: REFERENCE,
            style: LineStyleKind::Dashed,
        });
    }
    LineChartSpec {
        name: "std_l2",
        title: format!("Std of l2-normalised output{}", tensor_suffix(tensor)),
        x_desc: "epoch".into(),
        y_desc: "std of l2-normalised rows (per channel, mean)".into(),
        x_range: epoch_span(record),
        y_range: None,
        y_include_zero: true,
        series,
        ref_lines,
        legend,
        note: None,
        panels: false,
    }
}

/// Effective rank (uncentred solid, centred dashed) vs epoch, y from 0 to the largest d.
pub(crate) fn effective_rank(record: &RunRecord, tensor: Option<&str>) -> LineChartSpec {
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let (raw, centred) = match tensor {
            Some(t) => (
                metric_series(run, t, "effective_rank"),
                metric_series(run, t, "effective_rank_centred"),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let has_points = !(raw.is_empty() && centred.is_empty());
        legend.push(run_entry(i, run, has_points, "no finite values"));
        series.push(Series {
            name: run.name.clone(),
            colour: run_colour(i),
            style: LineStyleKind::Solid,
            points: raw,
        });
        series.push(Series {
            name: run.name.clone(),
            colour: run_colour(i),
            style: LineStyleKind::Dashed,
            points: centred,
        });
    }
    legend.push(LegendEntry {
        label: "uncentred".into(),
        detail: None,
        colour: BLACK,
        style: LineStyleKind::Solid,
    });
    legend.push(LegendEntry {
        label: "centred".into(),
        detail: None,
        colour: BLACK,
        style: LineStyleKind::Dashed,
    });
    let max_d = tensor
        .and_then(|t| tensor_dims(record, t).last().copied())
        .unwrap_or(1)
        .max(1);
    let mut ref_lines = Vec::new();
    if max_d > 1 {
        ref_lines.push(RefLine {
            y: max_d as f64,
            label: format!("d = {max_d}"),
            colour: REFERENCE,
        });
    }
    LineChartSpec {
        name: "effective_rank",
        title: format!("Effective rank{}", tensor_suffix(tensor)),
        x_desc: "epoch".into(),
        y_desc: "effective rank (dimensions)".into(),
        // From 0 rather than 1 so a completely collapsed run (rank 1) stays visible above the axis.
        x_range: epoch_span(record),
        y_range: Some((0.0, max_d as f64 * 1.06)),
        y_include_zero: true,
        series,
        ref_lines,
        legend,
        note: None,
        panels: false,
    }
}

/// Ratio of the largest to the smallest per-run loss magnitude above which one shared y axis
/// would flatten the small-scale runs, and the loss chart switches to one panel per run.
pub const LOSS_SCALE_RATIO_FOR_PANELS: f64 = 10.0;

/// Training loss vs epoch, skipping epochs without a loss (SimSiam Fig. 2, left). Methods whose
/// losses live on different scales (negative cosine near −1 vs Barlow Twins in the hundreds) are
/// drawn as small multiples, one panel per run.
pub(crate) fn loss(record: &RunRecord) -> LineChartSpec {
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let points = loss_series(run);
        legend.push(run_entry(i, run, !points.is_empty(), "no loss recorded"));
        series.push(Series {
            name: run.name.clone(),
            colour: run_colour(i),
            style: LineStyleKind::Solid,
            points,
        });
    }
    let note = (!series.iter().any(|s| !s.points.is_empty()))
        .then(|| "no training loss recorded".to_string());
    let panels = scales_differ(&series);
    LineChartSpec {
        name: "loss",
        title: if panels {
            "Training loss (one panel per run: scales differ)".into()
        } else {
            "Training loss".into()
        },
        x_desc: "epoch".into(),
        y_desc: "training loss (method's own units)".into(),
        x_range: epoch_span(record),
        y_range: None,
        y_include_zero: false,
        series,
        ref_lines: Vec::new(),
        legend,
        note,
        panels,
    }
}

/// True when the runs' loss magnitudes (max |loss| per run) differ by more than
/// [`LOSS_SCALE_RATIO_FOR_PANELS`].
fn scales_differ(series: &[Series]) -> bool {
    let mags: Vec<f64> = series
        .iter()
        .filter(|s| !s.points.is_empty())
        .map(|s| s.points.iter().map(|p| p.1.abs()).fold(0.0, f64::max))
        .collect();
    let lo = mags.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = mags.iter().copied().fold(0.0, f64::max);
    mags.len() > 1 && (lo <= 0.0 || hi / lo > LOSS_SCALE_RATIO_FOR_PANELS)
}
