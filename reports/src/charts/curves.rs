//! Curves over epochs, one line per run: std of the l2-normalised output, effective rank, loss,
//! kNN accuracy, and the three of them side by side (the SimSiam paper's Figure 2 layout).

use super::line::{
    ChartSpec, LegendEntry, LineStyleKind, PanelSpec, RefLine, Series, XAxis, REFERENCE,
};
use super::{loss_series, metric_series, run_colour, SIZE};
use crate::record::{MethodRun, RunRecord};
use plotters::style::BLACK;
use std::collections::BTreeSet;

/// Distinct widths `d` of `tensor` across every run and epoch, ascending.
pub(crate) fn tensor_dims(record: &RunRecord, tensor: &str) -> BTreeSet<usize> {
    record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter())
        .filter_map(|e| e.tensors.get(tensor).map(|t| t.d))
        .collect()
}

/// The span of every recorded epoch, so the three charts share one x axis.
pub(crate) fn epoch_span(record: &RunRecord) -> Option<(f64, f64)> {
    let mut epochs = record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter().map(|e| e.epoch));
    let first = epochs.next()?;
    let (lo, hi) = epochs.fold((first, first), |(lo, hi), e| (lo.min(e), hi.max(e)));
    Some((lo as f64, hi as f64))
}

/// The legend row of a run: its name, and why it shows nothing or where it diverged.
pub(crate) fn run_entry(
    index: usize,
    run: &MethodRun,
    has_points: bool,
    missing: &str,
) -> LegendEntry {
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

pub(crate) fn tensor_suffix(tensor: Option<&str>) -> String {
    tensor.map(|t| format!(" ({t})")).unwrap_or_default()
}

/// One single-panel chart of the default size.
fn single(
    name: &'static str,
    title: String,
    panel: PanelSpec,
    legend: Vec<LegendEntry>,
) -> ChartSpec {
    ChartSpec {
        name,
        title,
        subtitle: None,
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
    }
}

/// One solid line per run of `points(run)`, with the run legend.
fn per_run(
    record: &RunRecord,
    missing: &str,
    points: impl Fn(&MethodRun) -> Vec<(f64, f64)>,
) -> (Vec<Series>, Vec<LegendEntry>) {
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let p = points(run);
        legend.push(run_entry(i, run, !p.is_empty(), missing));
        series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Solid,
            p,
        ));
    }
    (series, legend)
}

/// The std_l2 panel with its 1/√d reference lines, and the reference legend rows.
fn std_l2_panel(record: &RunRecord, tensor: Option<&str>) -> (PanelSpec, Vec<LegendEntry>) {
    let (series, _) = per_run(record, "", |run| {
        tensor
            .map(|t| metric_series(run, t, "std_l2"))
            .unwrap_or_default()
    });
    let dims = tensor.map(|t| tensor_dims(record, t)).unwrap_or_default();
    let several = dims.len() > 1;
    let mut ref_lines = Vec::new();
    let mut legend = Vec::new();
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
    let mut panel = PanelSpec::new(
        "epoch",
        "std of l2-normalised rows (per channel, mean)",
        XAxis::Epoch,
    );
    panel.x_range = epoch_span(record);
    panel.y_include_zero = true;
    panel.series = series;
    panel.ref_lines = ref_lines;
    (panel, legend)
}

/// Std of the l2-normalised output vs epoch, with the 1/√d reference (SimSiam Fig. 2, middle).
pub(crate) fn std_l2(record: &RunRecord, tensor: Option<&str>) -> ChartSpec {
    let (_, mut legend) = per_run(record, "no finite values", |run| {
        tensor
            .map(|t| metric_series(run, t, "std_l2"))
            .unwrap_or_default()
    });
    let (panel, refs) = std_l2_panel(record, tensor);
    legend.extend(refs);
    single(
        "std_l2",
        format!("Std of l2-normalised output{}", tensor_suffix(tensor)),
        panel,
        legend,
    )
}

/// The effective-rank panel (uncentred solid, centred dashed), y from 0 to the largest d.
fn effective_rank_panel(record: &RunRecord, tensor: Option<&str>) -> (PanelSpec, Vec<LegendEntry>) {
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
        series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Solid,
            raw,
        ));
        series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Dashed,
            centred,
        ));
    }
    legend.push(LegendEntry::new("uncentred", BLACK, LineStyleKind::Solid));
    legend.push(LegendEntry::new("centred", BLACK, LineStyleKind::Dashed));
    let max_d = tensor
        .and_then(|t| tensor_dims(record, t).last().copied())
        .unwrap_or(1)
        .max(1);
    let mut panel = PanelSpec::new("epoch", "effective rank (dimensions)", XAxis::Epoch);
    if max_d > 1 {
        panel.ref_lines.push(RefLine {
            y: max_d as f64,
            label: format!("d = {max_d}"),
            colour: REFERENCE,
        });
    }
    panel.x_range = epoch_span(record);
    // From 0 rather than 1 so a completely collapsed run (rank 1) stays visible above the axis.
    panel.y_range = Some((0.0, max_d as f64 * 1.06));
    panel.series = series;
    (panel, legend)
}

/// Effective rank (uncentred solid, centred dashed) vs epoch.
pub(crate) fn effective_rank(record: &RunRecord, tensor: Option<&str>) -> ChartSpec {
    let (panel, legend) = effective_rank_panel(record, tensor);
    single(
        "effective_rank",
        format!("Effective rank{}", tensor_suffix(tensor)),
        panel,
        legend,
    )
}

/// Ratio of the largest to the smallest per-run loss magnitude above which one shared y axis
/// would flatten the small-scale runs, and the loss chart switches to one panel per run.
pub const LOSS_SCALE_RATIO_FOR_PANELS: f64 = 10.0;

fn loss_panel(record: &RunRecord) -> (PanelSpec, Vec<LegendEntry>) {
    let (series, legend) = per_run(record, "no loss recorded", loss_series);
    let mut panel = PanelSpec::new("epoch", "training loss (method's own units)", XAxis::Epoch);
    panel.x_range = epoch_span(record);
    panel.series = series;
    (panel, legend)
}

/// Training loss vs epoch, skipping epochs without a loss (SimSiam Fig. 2, left). Methods whose
/// losses live on different scales (negative cosine near −1 vs Barlow Twins in the hundreds) are
/// drawn as small multiples, one panel per run, each with its own y axis.
pub(crate) fn loss(record: &RunRecord) -> ChartSpec {
    let (panel, legend) = loss_panel(record);
    if !scales_differ(&panel.series) {
        return single("loss", "Training loss".into(), panel, legend);
    }
    let panels: Vec<PanelSpec> = panel
        .series
        .iter()
        .filter(|s| !s.points.is_empty())
        .map(|s| {
            let mut p = panel.clone();
            p.caption = Some(s.name.clone());
            p.caption_colour = s.colour;
            p.y_desc = String::new();
            p.series = vec![s.clone()];
            p
        })
        .collect();
    let cols = (panels.len() as f64).sqrt().ceil() as usize;
    ChartSpec {
        name: "loss",
        title: "Training loss (one panel per run: scales differ)".into(),
        subtitle: None,
        size: SIZE,
        columns: cols,
        panels,
        legend,
        colour_bar: None,
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

/// `(epoch, kNN accuracy)` over a run, finite values only.
fn knn_series(run: &MethodRun) -> Vec<(f64, f64)> {
    run.epochs
        .iter()
        .filter_map(|e| {
            let a = e.knn_accuracy?;
            a.is_finite().then_some((e.epoch as f64, a))
        })
        .collect()
}

fn knn_panel(record: &RunRecord) -> (PanelSpec, Vec<LegendEntry>) {
    let (series, legend) = per_run(record, "no kNN accuracy", knn_series);
    let mut panel = PanelSpec::new("epoch", "kNN accuracy (probe set)", XAxis::Epoch);
    panel.x_range = epoch_span(record);
    panel.y_range = Some((0.0, 1.0));
    panel.series = series;
    (panel, legend)
}

/// kNN classification accuracy of the probe embedding vs epoch (SimSiam Fig. 2, right).
pub(crate) fn knn_accuracy(record: &RunRecord) -> ChartSpec {
    let (panel, legend) = knn_panel(record);
    single("knn_accuracy", "kNN accuracy".into(), panel, legend)
}

/// The SimSiam paper's Figure 2 layout: training loss | std of the l2-normalised output |
/// kNN accuracy (or, without labels, effective rank), side by side. Produced for records with
/// both a training loss and std_l2 curves.
pub(crate) fn figure2(record: &RunRecord, tensor: Option<&str>) -> Option<ChartSpec> {
    let (mut loss, legend) = loss_panel(record);
    let (mut std, refs) = std_l2_panel(record, tensor);
    if !(loss.has_data() && std.has_data()) {
        return None;
    }
    let (mut third, _) = knn_panel(record);
    if !third.has_data() {
        third = effective_rank_panel(record, tensor).0;
        third.caption = Some("effective rank (solid) / centred (dashed)".into());
        third.y_desc = "dimensions".into();
    } else {
        third.caption = Some("kNN accuracy".into());
        third.y_desc = "accuracy".into();
    }
    loss.caption = Some("training loss".into());
    loss.y_desc = "loss".into();
    std.caption = Some("std of l2-normalised output".into());
    std.y_desc = "std".into();
    let mut legend = legend;
    legend.extend(refs);
    Some(ChartSpec {
        name: "figure2",
        title: "Training overview (SimSiam Fig. 2 layout)".into(),
        subtitle: tensor.map(|t| format!("tensor {t} · one colour per run")),
        size: (1500, 520),
        columns: 3,
        panels: vec![loss, std, third],
        legend,
        colour_bar: None,
    })
}
