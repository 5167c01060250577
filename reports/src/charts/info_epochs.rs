//! `info_epochs`: H(V), H(V|X), H(V|V'), I(X;V) and I(V;V') over epochs, one panel per run, with
//! the H(T) reference (ln K, or as given) when H(T) is known (ARCHITECTURE.md §5). All in nats at
//! one explicit (estimator, space, scale), chosen by [`super::select::info_key`]. Saturated
//! estimates have open markers.

use super::plot::spec::{
    ChartSpec, LegendEntry, LineStyleKind, PanelSpec, RefLine, Series, XAxis, SIZE,
};
use super::plot::style::{run_colour, REFERENCE};
use super::select::{is_saturated, InfoKey};
use super::series::{epoch_span, h_t_origin, info_row, saturated_entry};
use crate::format::fmt_num;
use crate::record::{InfoRow, RunRecord};
use plotters::style::RGBColor;

/// The information quantities in display order, with their colour and line style
/// (entropies solid, informations dashed).
pub const QUANTITIES: [(&str, RGBColor, LineStyleKind); 5] = [
    ("H(V)", RGBColor(0, 114, 178), LineStyleKind::Solid),
    ("H(V|X)", RGBColor(213, 94, 0), LineStyleKind::Solid),
    ("H(V|V')", RGBColor(86, 180, 233), LineStyleKind::Solid),
    ("I(X;V)", RGBColor(0, 158, 115), LineStyleKind::Dashed),
    ("I(V;V')", RGBColor(204, 121, 167), LineStyleKind::Dashed),
];

/// H(V), H(V|X), H(V|V'), I(X;V), I(V;V') over epochs, one panel per run, at one scale.
pub(super) fn info_epochs(record: &RunRecord, key: &InfoKey) -> ChartSpec {
    let mut panels = Vec::new();
    let mut present = [false; QUANTITIES.len()];
    let mut any_saturated = false;
    for (i, run) in record.runs.iter().enumerate() {
        let mut panel = PanelSpec::new("epoch", "nats", XAxis::Epoch);
        panel.caption = Some(run.name.clone());
        panel.caption_colour = run_colour(i);
        panel.x_range = epoch_span(record);
        if let Some(h_t) = record.dataset.h_t.filter(|h| h.is_finite()) {
            panel.ref_lines.push(RefLine {
                y: h_t,
                label: format!("H(T) = {}", h_t_origin(&record.dataset)),
                colour: REFERENCE,
            });
        }
        for (q, (name, colour, style)) in QUANTITIES.iter().enumerate() {
            let rows: Vec<(f64, &InfoRow)> = run
                .epochs
                .iter()
                .filter_map(|e| Some((e.epoch as f64, info_row(e, key, name)?)))
                .collect();
            present[q] |= !rows.is_empty();
            let mut series = Series::line(
                *name,
                *colour,
                *style,
                rows.iter()
                    .filter_map(|(x, r)| Some((*x, r.value?)))
                    .collect(),
            );
            if rows.iter().any(|(_, r)| is_saturated(r)) {
                any_saturated = true;
                series.open = rows.iter().map(|(_, r)| is_saturated(r)).collect();
            }
            panel.series.push(series);
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
            detail: Some(match h_t_origin(&record.dataset) {
                "ln K" => "ln K, K probe transforms".into(),
                _ => "given in nats".into(),
            }),
            colour: REFERENCE,
            style: LineStyleKind::Dashed,
        });
    }
    if any_saturated {
        legend.push(saturated_entry());
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
        notes: Vec::new(),
    }
}

/// Columns and canvas size of a small-multiples grid of `n` panels.
pub(super) fn grid(n: usize) -> (usize, (u32, u32)) {
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
