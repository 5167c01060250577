//! Per-run data of the charts, read from the record: `(x, y)` points of one quantity over epochs or
//! over an index, the epoch span shared by every epoch axis, and the legend row of a run.
//! Non-finite values are dropped here; nothing is computed beyond selecting and sorting.

use super::plot::spec::{LegendEntry, LineStyleKind, Series, VLine};
use super::plot::style::{run_colour, OPEN_MARKER};
use super::select::InfoKey;
use crate::record::{
    DatasetInfo, EpochRecord, InfoRow, MethodRun, RunRecord, TensorRecord, Verdict,
};
use std::collections::BTreeSet;

/// `(epoch, value)` of a tensor metric over a run, keeping only finite values of finite tensors.
pub fn metric_series(run: &MethodRun, tensor: &str, metric: &str) -> Vec<(f64, f64)> {
    run.epochs
        .iter()
        .filter_map(|e| {
            let t = e.tensors.get(tensor)?;
            if !t.finite {
                return None;
            }
            let v = t.metric(metric)?;
            v.is_finite().then_some((e.epoch as f64, v))
        })
        .collect()
}

/// `(epoch, loss)` over a run, skipping epochs without a finite loss.
pub fn loss_series(run: &MethodRun) -> Vec<(f64, f64)> {
    run.epochs
        .iter()
        .filter_map(|e| {
            let l = e.loss?;
            l.is_finite().then_some((e.epoch as f64, l))
        })
        .collect()
}

/// The row of `quantity` in `epoch` for the series `key`, when its value is finite.
pub(super) fn info_row<'a>(
    epoch: &'a EpochRecord,
    key: &InfoKey,
    quantity: &str,
) -> Option<&'a InfoRow> {
    epoch
        .info
        .iter()
        .find(|r| r.quantity == quantity && key.matches_info(r))
        .filter(|r| r.value.is_some_and(f64::is_finite))
}

/// How H(T) was obtained, for labels: `ln K` when it equals ln K of the recorded K (K fixed,
/// equiprobable transforms), otherwise `given` (stated by the user in nats, e.g. `--h-t`).
pub fn h_t_origin(dataset: &DatasetInfo) -> &'static str {
    match (dataset.h_t, dataset.k_views) {
        (Some(h), Some(k)) if (h - (k as f64).ln()).abs() <= 1e-9 => "ln K",
        _ => "given",
    }
}

/// The legend row explaining open markers: estimates marked saturated (ARCHITECTURE.md §5).
pub(super) fn saturated_entry() -> LegendEntry {
    LegendEntry {
        label: "open: saturated".into(),
        detail: Some("see the report".into()),
        colour: OPEN_MARKER,
        style: LineStyleKind::OpenMarker,
    }
}

/// Epochs of `run` whose `tensor` is finite and has a non-empty `field`.
pub(super) fn with_field<'a>(
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
pub(super) fn indexed(values: impl IntoIterator<Item = f64>) -> Vec<(f64, f64)> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64, v))
        .collect()
}

/// Distinct widths `d` of `tensor` across every run and epoch, ascending.
pub(super) fn tensor_dims(record: &RunRecord, tensor: &str) -> BTreeSet<usize> {
    record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter())
        .filter_map(|e| e.tensors.get(tensor).map(|t| t.d))
        .collect()
}

/// The span of every recorded epoch, so the three charts share one x axis.
pub(super) fn epoch_span(record: &RunRecord) -> Option<(f64, f64)> {
    let mut epochs = record
        .runs
        .iter()
        .flat_map(|r| r.epochs.iter().map(|e| e.epoch));
    let first = epochs.next()?;
    let (lo, hi) = epochs.fold((first, first), |(lo, hi), e| (lo.min(e), hi.max(e)));
    Some((lo as f64, hi as f64))
}

/// One marker per run whose verdict records an onset (`onset_epoch`, ARCHITECTURE.md §6), at
/// that epoch, in the run's colour (which names the run), labelled `onset E`; with the run's name.
pub(super) fn onset_lines(record: &RunRecord) -> Vec<(&str, VLine)> {
    record
        .runs
        .iter()
        .enumerate()
        .filter_map(|(i, run)| {
            let e = run.verdict.onset_epoch?;
            Some((
                run.name.as_str(),
                VLine {
                    x: e as f64,
                    label: format!("onset {e}"),
                    colour: run_colour(i),
                },
            ))
        })
        .collect()
}

/// The legend row of a run: its name, and why it shows nothing or where it diverged.
pub(super) fn run_entry(
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

/// The first word of a verdict (`complete`, `dimensional`, ...), for the narrow legend column.
fn short_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::DimensionalCollapse => "dimensional",
        Verdict::CompleteCollapse => "complete",
        Verdict::Diverged => "diverged",
    }
}

/// One solid line per run of `points(run)`, with the run legend (over epochs: a run with
/// points whose verdict has an onset says since when, as its marker does).
pub(super) fn per_run(
    record: &RunRecord,
    missing: &str,
    points: impl Fn(&MethodRun) -> Vec<(f64, f64)>,
) -> (Vec<Series>, Vec<LegendEntry>) {
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let p = points(run);
        let mut entry = run_entry(i, run, !p.is_empty(), missing);
        if let (None, Some(e)) = (&entry.detail, run.verdict.onset_epoch) {
            entry.detail = Some(format!(
                "{} since epoch {e}",
                short_word(run.verdict.verdict)
            ));
        }
        legend.push(entry);
        series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Solid,
            p,
        ));
    }
    (series, legend)
}
