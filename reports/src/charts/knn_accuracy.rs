//! `knn_accuracy`: the kNN classification accuracy of the probe embedding over epochs, one line
//! per run (SimSiam paper, Chen & He 2021, Fig. 2 right).

use super::plot::spec::{ChartSpec, LegendEntry, PanelSpec, XAxis};
use super::series::{epoch_span, per_run};
use crate::record::{MethodRun, RunRecord};

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

/// The kNN-accuracy panel: one line per run over epochs, y from 0 to 1.
pub(super) fn panel(record: &RunRecord) -> (PanelSpec, Vec<LegendEntry>) {
    let (series, legend) = per_run(record, "no kNN accuracy", knn_series);
    let mut panel = PanelSpec::new("epoch", "kNN accuracy (probe set)", XAxis::Epoch);
    panel.x_range = epoch_span(record);
    panel.y_range = Some((0.0, 1.0));
    panel.series = series;
    (panel, legend)
}

/// kNN classification accuracy of the probe embedding vs epoch (SimSiam Fig. 2, right).
pub(super) fn knn_accuracy(record: &RunRecord) -> ChartSpec {
    let (panel, legend) = panel(record);
    ChartSpec::single("knn_accuracy", "kNN accuracy".into(), panel, legend)
}
