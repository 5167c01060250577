//! `channel_std`: the per-channel std of the chart tensor at each run's last epoch, channels sorted
//! by std for display, log y.

use super::plot::spec::{ChartSpec, LineStyleKind, PanelSpec, Series, XAxis, SIZE};
use super::plot::style::run_colour;
use super::select::{has_trajectories, tensor_suffix};
use super::series::{indexed, run_entry, with_field};
use crate::record::RunRecord;

/// Per-channel std at each run's last epoch with a finite tensor, sorted descending, log y.
pub(super) fn channel_std(record: &RunRecord, tensor: &str) -> ChartSpec {
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
    panel.thin_markers();
    ChartSpec {
        name: "channel_std",
        // "last epoch" only where there are several (ARCHITECTURE.md §10).
        title: format!(
            "Per-channel std{}{}",
            if has_trajectories(record) {
                ", last epoch"
            } else {
                ""
            },
            tensor_suffix(Some(tensor))
        ),
        subtitle: Some("raw rows, channels sorted by std (descending); zeros not drawn".into()),
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
        notes: Vec::new(),
    }
}
