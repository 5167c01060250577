//! Per-index views of one tensor: the singular-value spectrum at the first and last epoch, and the
//! per-channel std at the last epoch (sorted for display), both on a log y axis.

use super::curves::{run_entry, tensor_suffix};
use super::line::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, Series, XAxis};
use super::{run_colour, SIZE};
use crate::record::{EpochRecord, MethodRun, RunRecord, TensorRecord};
use plotters::style::BLACK;

/// Epochs of `run` whose `tensor` is finite and has a non-empty `field`.
fn with_field<'a>(
    run: &'a MethodRun,
    tensor: &'a str,
    field: fn(&TensorRecord) -> &Vec<f64>,
) -> impl DoubleEndedIterator<Item = (&'a EpochRecord, &'a Vec<f64>)> + 'a {
    run.epochs.iter().filter_map(move |e| {
        let t = e.tensors.get(tensor)?;
        let v = field(t);
        (t.finite && !v.is_empty()).then_some((e, v))
    })
}

/// `(index from 1, value)` of `values`.
fn indexed(values: impl IntoIterator<Item = f64>) -> Vec<(f64, f64)> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64, v))
        .collect()
}

/// Singular values (descending, index on x, log y) at each run's first (dashed) and last
/// (solid) epoch with a finite spectrum.
pub(crate) fn spectrum(record: &RunRecord, tensor: &str) -> ChartSpec {
    let mut panel = PanelSpec::new("index", "singular value (log scale)", XAxis::Index);
    panel.y_log = true;
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let first = with_field(run, tensor, |t| &t.spectrum).next();
        let last = with_field(run, tensor, |t| &t.spectrum).next_back();
        let mut entry = run_entry(i, run, first.is_some(), "no finite spectrum");
        match (first, last) {
            (Some((f, fv)), Some((l, lv))) if f.epoch != l.epoch => {
                entry
                    .detail
                    .get_or_insert(format!("epochs {} → {}", f.epoch, l.epoch));
                panel.series.push(Series::line(
                    run.name.clone(),
                    run_colour(i),
                    LineStyleKind::Dashed,
                    indexed(fv.iter().copied()),
                ));
                panel.series.push(Series::line(
                    run.name.clone(),
                    run_colour(i),
                    LineStyleKind::Solid,
                    indexed(lv.iter().copied()),
                ));
            }
            (_, Some((l, lv))) => {
                entry.detail.get_or_insert(format!("epoch {}", l.epoch));
                panel.series.push(Series::line(
                    run.name.clone(),
                    run_colour(i),
                    LineStyleKind::Solid,
                    indexed(lv.iter().copied()),
                ));
            }
            _ => {}
        }
        legend.push(entry);
    }
    thin_markers(&mut panel);
    legend.push(LegendEntry::new(
        "first epoch",
        BLACK,
        LineStyleKind::Dashed,
    ));
    legend.push(LegendEntry::new("last epoch", BLACK, LineStyleKind::Solid));
    ChartSpec {
        name: "spectrum",
        title: format!("Singular-value spectrum{}", tensor_suffix(Some(tensor))),
        subtitle: Some("uncentred, descending; zeros are not drawn on the log axis".into()),
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
    }
}

/// Per-channel std at each run's last epoch with a finite tensor, sorted descending, log y.
pub(crate) fn channel_std(record: &RunRecord, tensor: &str) -> ChartSpec {
    let mut panel = PanelSpec::new("channel (sorted by std)", "std (log scale)", XAxis::Index);
    panel.y_log = true;
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let last = with_field(run, tensor, |t| &t.channel_std).next_back();
        let mut entry = run_entry(i, run, last.is_some(), "no finite channel std");
        let points = match last {
            Some((e, v)) => {
                entry.detail.get_or_insert(format!("epoch {}", e.epoch));
                let mut sorted = v.clone();
                // Display order only: descending, NaN (never recorded) last.
                sorted.sort_by(|a, b| b.total_cmp(a));
                indexed(sorted)
            }
            None => Vec::new(),
        };
        legend.push(entry);
        panel.series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Solid,
            points,
        ));
    }
    thin_markers(&mut panel);
    ChartSpec {
        name: "channel_std",
        title: format!("Per-channel std, last epoch{}", tensor_suffix(Some(tensor))),
        subtitle: Some("raw rows, channels sorted by std (descending); zeros not drawn".into()),
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
    }
}

/// Long per-index curves read better as lines without a marker at every index.
fn thin_markers(panel: &mut PanelSpec) {
    for s in &mut panel.series {
        s.markers = s.points.len() <= 16;
    }
}
