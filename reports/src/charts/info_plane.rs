//! `info_plane`: the information plane, I(X;V) on x against I(V;V') on y, one trajectory per run
//! with markers coloured by epoch (ARCHITECTURE.md §5); an epoch where either estimate is saturated
//! has an open (white) marker. All in nats at one explicit
//! (estimator, space, scale), chosen by [`super::select::info_key`].

use super::plot::spec::{ChartSpec, ColourBar, LineStyleKind, PanelSpec, Series, XAxis, SIZE};
use super::plot::style::{ramp, run_colour};
use super::select::{is_saturated, InfoKey};
use super::series::{info_row, run_entry, saturated_entry};
use crate::record::{MethodRun, RunRecord};
use plotters::style::RGBColor;

/// The epoch colour ramp (viridis, stopping before its palest yellow so markers stay visible).
pub const EPOCH_RAMP: [RGBColor; 5] = [
    RGBColor(68, 1, 84),
    RGBColor(59, 82, 139),
    RGBColor(33, 145, 140),
    RGBColor(94, 201, 98),
    RGBColor(200, 210, 30),
];

/// `(I(X;V), I(V;V'), epoch, saturated)` of every epoch of `run` where both are finite;
/// `saturated` when either row is marked saturated (drawn as an open marker).
fn plane_points(run: &MethodRun, key: &InfoKey) -> Vec<(f64, f64, usize, bool)> {
    run.epochs
        .iter()
        .filter_map(|e| {
            let x = info_row(e, key, "I(X;V)")?;
            let y = info_row(e, key, "I(V;V')")?;
            Some((
                x.value?,
                y.value?,
                e.epoch,
                is_saturated(x) || is_saturated(y),
            ))
        })
        .collect()
}

/// I(X;V) on x against I(V;V') on y, one trajectory per run, markers coloured by epoch.
pub(super) fn info_plane(record: &RunRecord, key: &InfoKey) -> ChartSpec {
    let per_run: Vec<Vec<(f64, f64, usize, bool)>> =
        record.runs.iter().map(|r| plane_points(r, key)).collect();
    let epochs = per_run.iter().flatten().map(|p| p.2);
    let lo = epochs.clone().min().unwrap_or(0) as f64;
    let hi = epochs.max().unwrap_or(0) as f64;
    let t = |e: usize| {
        if hi > lo {
            (e as f64 - lo) / (hi - lo)
        } else {
            1.0
        }
    };
    let mut panel = PanelSpec::new("I(X;V)  (nats)", "I(V;V')  (nats)", XAxis::Linear);
    let mut legend = Vec::new();
    for (i, (run, pts)) in record.runs.iter().zip(&per_run).enumerate() {
        legend.push(run_entry(
            i,
            run,
            !pts.is_empty(),
            "no finite values at this scale",
        ));
        panel.series.push(Series {
            name: run.name.clone(),
            colour: run_colour(i),
            style: LineStyleKind::Solid,
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
            point_colours: pts.iter().map(|p| ramp(&EPOCH_RAMP, t(p.2))).collect(),
            markers: true,
            open: pts.iter().map(|p| p.3).collect(),
        });
    }
    if per_run.iter().flatten().any(|p| p.3) {
        legend.push(saturated_entry());
    }
    ChartSpec {
        name: "info_plane",
        title: "Information plane: I(X;V) vs I(V;V')".into(),
        subtitle: Some(format!("nats · {} · marker colour = epoch", key.describe())),
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: Some(ColourBar {
            label: "epoch".into(),
            lo,
            hi,
            stops: EPOCH_RAMP.to_vec(),
        }),
        notes: Vec::new(),
    }
}
