//! `panel_epochs`: the metrics of the collapse-metric panel over epochs (α-ReQ, LiDAR,
//! uniformity, alignment, TwoNN intrinsic dimension, NC1; [`crate::panel::EPOCH_METRICS`]),
//! one small panel per metric that some run recorded, one colour per run, with the
//! isotropic-Gaussian value of the record (`TensorRecord::reference`, ARCHITECTURE.md §4) as a
//! dashed reference line where there is one.

use super::info_epochs::grid;
use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, RefLine, XAxis};
use super::plot::style::REFERENCE;
use super::select::tensor_suffix;
use super::series::{epoch_span, metric_series, per_run};
use crate::format::fmt_num;
use crate::panel::{panel_metric, PanelMetric, EPOCH_METRICS};
use crate::record::RunRecord;

/// Distinct reference values of `metric` over every finite record of `tensor`, with the
/// `(N, d)` of the first record holding each, in order of appearance.
fn references(record: &RunRecord, tensor: &str, metric: &str) -> Vec<(f64, usize, usize)> {
    let mut out: Vec<(f64, usize, usize)> = Vec::new();
    let records = record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter())
        .filter_map(|e| e.tensors.get(tensor))
        .filter(|t| t.finite);
    for t in records {
        if let Some(&v) = t.reference.get(metric) {
            if v.is_finite() && !out.iter().any(|(x, _, _)| x.to_bits() == v.to_bits()) {
                out.push((v, t.n, t.d));
            }
        }
    }
    out
}

/// One metric's panel: a line per run over epochs, and its reference lines.
fn metric_panel(record: &RunRecord, tensor: &str, m: &PanelMetric) -> PanelSpec {
    let (series, _) = per_run(record, "", |run| metric_series(run, tensor, m.key));
    let mut panel = PanelSpec::new("epoch", m.axis, XAxis::Epoch);
    panel.caption = Some(m.name.to_string());
    panel.x_range = epoch_span(record);
    panel.y_include_zero = true;
    panel.series = series;
    let refs = references(record, tensor, m.key);
    let several = refs.len() > 1;
    panel.ref_lines = refs
        .into_iter()
        .map(|(y, n, d)| RefLine {
            y,
            label: if several {
                format!("Gaussian ({n} × {d})")
            } else {
                "Gaussian".into()
            },
            colour: REFERENCE,
        })
        .collect();
    panel
}

/// The panel metrics over epochs, or None when no run recorded a finite value of any of them.
pub(super) fn panel_epochs(record: &RunRecord, tensor: Option<&str>) -> Option<ChartSpec> {
    let tensor = tensor?;
    let metrics: Vec<&PanelMetric> = EPOCH_METRICS
        .iter()
        .filter_map(|k| panel_metric(k))
        .filter(|m| {
            record
                .runs
                .iter()
                .any(|r| !metric_series(r, tensor, m.key).is_empty())
        })
        .collect();
    if metrics.is_empty() {
        return None;
    }
    let panels: Vec<PanelSpec> = metrics
        .iter()
        .map(|m| metric_panel(record, tensor, m))
        .collect();
    let (_, mut legend) = per_run(record, "no panel metrics", |run| {
        metrics
            .iter()
            .flat_map(|m| metric_series(run, tensor, m.key))
            .collect()
    });
    // The reference values, said once each under the legend.
    let notes: Vec<String> = metrics
        .iter()
        .flat_map(|m| {
            references(record, tensor, m.key)
                .into_iter()
                .map(move |(v, n, d)| {
                    format!(
                        "{}: {} on Gaussian rows, N = {n}, d = {d}.",
                        m.name,
                        fmt_num(v)
                    )
                })
        })
        .collect();
    let mut subtitle = "one panel per metric, one colour per run".to_string();
    if !notes.is_empty() {
        legend.push(LegendEntry {
            label: "isotropic Gaussian".into(),
            detail: Some("same N and d".into()),
            colour: REFERENCE,
            style: LineStyleKind::Dashed,
        });
        subtitle.push_str("; dashed grey: the value on isotropic Gaussian rows");
    }
    let (columns, size) = grid(panels.len());
    Some(ChartSpec {
        name: "panel_epochs",
        title: format!(
            "Collapse-metric panel over epochs{}",
            tensor_suffix(Some(tensor))
        ),
        subtitle: Some(subtitle),
        size,
        columns,
        panels,
        legend,
        colour_bar: None,
        notes,
    })
}
