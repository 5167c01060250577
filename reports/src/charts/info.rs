//! Information charts (ARCHITECTURE.md §5), all in nats at one explicit (estimator, space, scale):
//! the information plane, the entropies and informations over epochs, and the bottleneck
//! Lagrangian LB(β) measured vs the theorem's form.

use super::curves::{epoch_span, run_entry};
use super::line::{
    ChartSpec, ColourBar, LegendEntry, LineStyleKind, PanelSpec, RefLine, Series, XAxis, REFERENCE,
};
use super::{ramp, run_colour, InfoKey, SIZE};
use crate::format::fmt_num;
use crate::record::{EpochRecord, MethodRun, RunRecord};
use plotters::style::{RGBColor, BLACK};

/// The epoch colour ramp (viridis, stopping before its palest yellow so markers stay visible).
pub const EPOCH_RAMP: [RGBColor; 5] = [
    RGBColor(68, 1, 84),
    RGBColor(59, 82, 139),
    RGBColor(33, 145, 140),
    RGBColor(94, 201, 98),
    RGBColor(200, 210, 30),
];

/// The information quantities in display order, with their colour and line style
/// (entropies solid, informations dashed).
pub const QUANTITIES: [(&str, RGBColor, LineStyleKind); 5] = [
    ("H(V)", RGBColor(0, 114, 178), LineStyleKind::Solid),
    ("H(V|X)", RGBColor(213, 94, 0), LineStyleKind::Solid),
    ("H(V|V')", RGBColor(86, 180, 233), LineStyleKind::Solid),
    ("I(X;V)", RGBColor(0, 158, 115), LineStyleKind::Dashed),
    ("I(V;V')", RGBColor(204, 121, 167), LineStyleKind::Dashed),
];

/// The finite value of `quantity` in `epoch` for the series `key`.
fn value(epoch: &EpochRecord, key: &InfoKey, quantity: &str) -> Option<f64> {
    epoch
        .info
        .iter()
        .find(|r| r.quantity == quantity && key.matches_info(r))
        .and_then(|r| r.value)
        .filter(|v| v.is_finite())
}

/// `(I(X;V), I(V;V'), epoch)` of every epoch of `run` where both are finite.
fn plane_points(run: &MethodRun, key: &InfoKey) -> Vec<(f64, f64, usize)> {
    run.epochs
        .iter()
        .filter_map(|e| Some((value(e, key, "I(X;V)")?, value(e, key, "I(V;V')")?, e.epoch)))
        .collect()
}

/// I(X;V) on x against I(V;V') on y, one trajectory per run, markers coloured by epoch.
pub(crate) fn info_plane(record: &RunRecord, key: &InfoKey) -> ChartSpec {
    let per_run: Vec<Vec<(f64, f64, usize)>> =
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
        });
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
    }
}

/// H(V), H(V|X), H(V|V'), I(X;V), I(V;V') over epochs, one panel per run, at one scale.
pub(crate) fn info_epochs(record: &RunRecord, key: &InfoKey) -> ChartSpec {
    let mut panels = Vec::new();
    let mut present = [false; QUANTITIES.len()];
    for (i, run) in record.runs.iter().enumerate() {
        let mut panel = PanelSpec::new("epoch", "nats", XAxis::Epoch);
        panel.caption = Some(run.name.clone());
        panel.caption_colour = run_colour(i);
        panel.x_range = epoch_span(record);
        if let Some(h_t) = record.dataset.h_t.filter(|h| h.is_finite()) {
            panel.ref_lines.push(RefLine {
                y: h_t,
                label: "H(T) = ln K".into(),
                colour: REFERENCE,
            });
        }
        for (q, (name, colour, style)) in QUANTITIES.iter().enumerate() {
            let points: Vec<(f64, f64)> = run
                .epochs
                .iter()
                .filter_map(|e| Some((e.epoch as f64, value(e, key, name)?)))
                .collect();
            present[q] |= !points.is_empty();
            panel
                .series
                .push(Series::line(*name, *colour, *style, points));
        }
        panels.push(panel);
    }
    let mut legend: Vec<LegendEntry> = QUANTITIES
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|((name, colour, style), _)| LegendEntry::new(*name, *colour, *style))
        .collect();
    if let Some(h_t) = record.dataset.h_t.filter(|h| h.is_finite()) {
        legend.push(LegendEntry {
            label: format!("H(T) = {}", fmt_num(h_t)),
            detail: Some("ln K, K probe transforms".into()),
            colour: REFERENCE,
            style: LineStyleKind::Dashed,
        });
    }
    let (columns, size) = grid(panels.len());
    ChartSpec {
        name: "info_epochs",
        title: "Entropies and informations over epochs".into(),
        subtitle: Some(format!("nats · {} · one panel per run", key.describe())),
        size,
        columns,
        panels,
        legend,
        colour_bar: None,
    }
}

/// Columns and canvas size of a small-multiples grid of `n` panels.
fn grid(n: usize) -> (usize, (u32, u32)) {
    match n {
        0 | 1 => (1, SIZE),
        2 => (2, (1200, 560)),
        _ => {
            let cols = if n <= 4 { 2 } else { 3 };
            let rows = n.div_ceil(cols) as u32;
            (cols, (1200, 100 + rows * 320))
        }
    }
}

/// LB_measured(β) (solid) and LB_theorem(β) (dashed) against β, per run, at the last epoch that
/// has rows for `key`; the gap H(T) − H(V|X) is given in the legend.
pub(crate) fn lagrangian(record: &RunRecord, key: &InfoKey) -> ChartSpec {
    let mut panel = PanelSpec::new("β", "LB(β)  (nats)", XAxis::Linear);
    let mut legend = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let last = run
            .epochs
            .iter()
            .rev()
            .find(|e| e.lagrangian.iter().any(|r| key.matches_lagrangian(r)));
        let mut rows: Vec<_> = last
            .map(|e| {
                e.lagrangian
                    .iter()
                    .filter(|r| key.matches_lagrangian(r))
                    .filter(|r| r.beta.is_finite())
                    .collect()
            })
            .unwrap_or_default();
        rows.sort_by(|a, b| a.beta.total_cmp(&b.beta));
        let finite = |v: f64| v.is_finite().then_some(v);
        let measured: Vec<_> = rows
            .iter()
            .filter_map(|r| Some((r.beta, finite(r.measured)?)))
            .collect();
        let theorem: Vec<_> = rows
            .iter()
            .filter_map(|r| Some((r.beta, finite(r.theorem)?)))
            .collect();
        let mut entry = run_entry(i, run, !rows.is_empty(), "no LB rows at this scale");
        if let (Some(e), Some(r)) = (last, rows.first()) {
            entry.detail = Some(format!("gap {} · epoch {}", fmt_num(r.gap), e.epoch));
        }
        legend.push(entry);
        panel.series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Solid,
            measured,
        ));
        panel.series.push(Series::line(
            run.name.clone(),
            run_colour(i),
            LineStyleKind::Dashed,
            theorem,
        ));
    }
    legend.push(LegendEntry {
        label: "measured".into(),
        detail: Some("I(X;V) − β I(V;V')".into()),
        colour: BLACK,
        style: LineStyleKind::Solid,
    });
    legend.push(LegendEntry {
        label: "theorem".into(),
        detail: Some("H(V|X) taken as H(T)".into()),
        colour: BLACK,
        style: LineStyleKind::Dashed,
    });
    let h_t = record
        .dataset
        .h_t
        .map(|h| format!(" · H(T) = {}", fmt_num(h)))
        .unwrap_or_default();
    ChartSpec {
        name: "lagrangian",
        title: "Bottleneck Lagrangian LB(β), measured vs theorem".into(),
        subtitle: Some(format!(
            "nats · {}{h_t} · gap = measured − theorem = H(T) − H(V|X)",
            key.describe()
        )),
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
    }
}
