//! `figure2`: the SimSiam paper's Figure 2 layout (Chen & He 2021): training loss | std of the
//! l2-normalised output | kNN accuracy (or effective rank), side by side, from the panels of the
//! single charts.

use super::plot::spec::ChartSpec;
use super::{effective_rank, knn_accuracy, loss, std_l2};
use crate::record::RunRecord;

/// The SimSiam paper's Figure 2 layout: training loss | std of the l2-normalised output |
/// kNN accuracy (or, without labels, effective rank), side by side. Produced for records with
/// both a training loss and std_l2 curves.
pub(super) fn figure2(record: &RunRecord, tensor: Option<&str>) -> Option<ChartSpec> {
    let (mut loss, legend) = loss::panel(record);
    let (mut std, refs) = std_l2::panel(record, tensor);
    if !(loss.has_data() && std.has_data()) {
        return None;
    }
    let (mut third, _) = knn_accuracy::panel(record);
    if !third.has_data() {
        third = effective_rank::panel(record, tensor).0;
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
        notes: Vec::new(),
    })
}
