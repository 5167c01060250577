//! `spectrum`: the singular-value spectrum of the chart tensor at each run's first and last epoch,
//! index on x, log y.

use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, Series, XAxis, SIZE};
use super::plot::style::run_colour;
use super::select::tensor_suffix;
use super::series::{indexed, run_entry, with_field};
use crate::record::RunRecord;
use plotters::style::BLACK;

/// Singular values (descending, index on x, log y) at each run's first (dashed) and last
/// (solid) epoch with a finite spectrum.
pub(super) fn spectrum(record: &RunRecord, tensor: &str) -> ChartSpec {
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
    panel.thin_markers();
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
        notes: Vec::new(),
    }
}
