//! `loss`: the training loss over epochs, one line per run (SimSiam paper, Chen & He 2021, Fig. 2
//! left); small multiples when the runs' losses live on different scales.

use super::plot::spec::{ChartSpec, LegendEntry, PanelSpec, Series, XAxis, SIZE};
use super::series::{epoch_span, loss_series, per_run};
use crate::record::RunRecord;

/// Ratio of the largest to the smallest per-run loss magnitude above which one shared y axis
/// would flatten the small-scale runs, and the loss chart switches to one panel per run.
pub const LOSS_SCALE_RATIO_FOR_PANELS: f64 = 10.0;

/// The training-loss panel: one line per run over epochs.
pub(super) fn panel(record: &RunRecord) -> (PanelSpec, Vec<LegendEntry>) {
    let (series, legend) = per_run(record, "no loss recorded", loss_series);
    let mut panel = PanelSpec::new("epoch", "training loss (method's own units)", XAxis::Epoch);
    panel.x_range = epoch_span(record);
    panel.series = series;
    (panel, legend)
}

/// Training loss vs epoch, skipping epochs without a loss (SimSiam Fig. 2, left). Methods whose
/// losses live on different scales (negative cosine near −1 vs Barlow Twins in the hundreds) are
/// drawn as small multiples, one panel per run, each with its own y axis.
pub(super) fn loss(record: &RunRecord) -> ChartSpec {
    let (panel, legend) = panel(record);
    if !scales_differ(&panel.series) {
        return ChartSpec::single("loss", "Training loss".into(), panel, legend);
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
        notes: Vec::new(),
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
