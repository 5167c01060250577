//! `effective_rank`: the effective rank of the chart tensor over epochs (uncentred solid, centred
//! dashed), one colour per run, on a y axis from 0 to the largest width d.

use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, RefLine, Series, XAxis};
use super::plot::style::{run_colour, REFERENCE};
use super::select::tensor_suffix;
use super::series::{epoch_span, metric_series, run_entry, tensor_dims};
use crate::record::RunRecord;
use plotters::style::BLACK;

/// The effective-rank panel (uncentred solid, centred dashed), y from 0 to the largest d.
pub(super) fn panel(record: &RunRecord, tensor: Option<&str>) -> (PanelSpec, Vec<LegendEntry>) {
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
pub(super) fn effective_rank(record: &RunRecord, tensor: Option<&str>) -> ChartSpec {
    let (panel, legend) = panel(record, tensor);
    ChartSpec::single(
        "effective_rank",
        format!("Effective rank{}", tensor_suffix(tensor)),
        panel,
        legend,
    )
}
