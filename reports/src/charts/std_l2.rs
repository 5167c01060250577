//! `std_l2`: the std of the l2-normalised output over epochs, one line per run, with the 1/√d
//! level of an uncollapsed output (SimSiam paper, Chen & He 2021, Fig. 2 middle).

use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, RefLine, XAxis};
use super::plot::style::REFERENCE;
use super::select::tensor_suffix;
use super::series::{epoch_span, metric_series, per_run, tensor_dims};
use crate::record::RunRecord;

/// The std_l2 panel with its 1/√d reference lines, and the reference legend rows.
pub(super) fn panel(record: &RunRecord, tensor: Option<&str>) -> (PanelSpec, Vec<LegendEntry>) {
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
pub(super) fn std_l2(record: &RunRecord, tensor: Option<&str>) -> ChartSpec {
    let (_, mut legend) = per_run(record, "no finite values", |run| {
        tensor
            .map(|t| metric_series(run, t, "std_l2"))
            .unwrap_or_default()
    });
    let (panel, refs) = panel(record, tensor);
    legend.extend(refs);
    ChartSpec::single(
        "std_l2",
        format!("Std of l2-normalised output{}", tensor_suffix(tensor)),
        panel,
        legend,
    )
}
