//! `info_scale`: the information quantities of the last snapshot against the scale they were
//! estimated at (ARCHITECTURE.md §5, §10). One panel per (estimator, space) with at least two
//! scales; x = the absolute scale ε or σ (log), y = nats. With one run, one colour per quantity;
//! with several, one colour per run and one line style per quantity (H(V), I(X;V), I(V;V′)).
//! Saturated rows are drawn as open markers: their value says nothing about the embedding.

use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, Series, XAxis, SIZE};
use super::plot::style::run_colour;
use super::select::{info_tensor, is_saturated, scale_symbol};
use super::series::saturated_entry;
use crate::record::{EpochRecord, InfoRow, MethodRun, RunRecord};
use plotters::style::BLACK;

/// The quantities drawn for a single run, in legend order, each in its palette colour.
const ONE_RUN: &[&str] = &["H(V)", "H(V|X)", "I(X;V)", "I(V;V')", "H(V|V')"];

/// The quantities drawn when runs are compared, with the line style that names each.
const COMPARED: &[(&str, LineStyleKind)] = &[
    ("I(X;V)", LineStyleKind::Solid),
    ("I(V;V')", LineStyleKind::Dashed),
    ("H(V)", LineStyleKind::Dotted),
];

/// Said when a point is drawn open (cf. `InfoRow::saturated`).
pub const SATURATION_NOTE: &str = "Open markers: saturated at that scale — every point has its \
     own cell, or all share one, so the value (ln of the sample size, or 0) says nothing about \
     the embedding.";

/// The last epoch of `run` with information rows on `tensor`.
fn last_info<'a>(run: &'a MethodRun, tensor: &str) -> Option<&'a EpochRecord> {
    run.epochs
        .iter()
        .rev()
        .find(|e| e.info.iter().any(|r| r.tensor == tensor))
}

/// A row drawn on this chart: on `tensor`, with a positive finite scale and a finite value.
fn drawable(r: &InfoRow, tensor: &str) -> bool {
    r.tensor == tensor
        && r.scale.is_some_and(|s| s.is_finite() && s > 0.0)
        && r.value.is_some_and(f64::is_finite)
}

/// `(scale, value, saturated)` of `quantity` in the (estimator, space) group, ascending in scale.
fn points(
    epoch: &EpochRecord,
    tensor: &str,
    group: &(String, String),
    quantity: &str,
) -> Vec<(f64, f64, bool)> {
    let mut pts: Vec<(f64, f64, bool)> = epoch
        .info
        .iter()
        .filter(|r| {
            drawable(r, tensor)
                && r.quantity == quantity
                && r.estimator == group.0
                && r.space == group.1
        })
        .filter_map(|r| Some((r.scale?, r.value?, is_saturated(r))))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

/// The sentence that says how the scales of the drawn rows were chosen, from their rules.
fn rules_note(rows: &[&InfoRow]) -> Option<String> {
    let has =
        |f: &dyn Fn(&str) -> bool| rows.iter().any(|r| r.scale_rule.as_deref().is_some_and(f));
    let mut parts = Vec::new();
    if has(&|r: &str| r.starts_with("cells")) {
        parts.push(
            "cells P% = the ε at which the points occupy about P% as many cells as there are \
             points (chosen from this sample)",
        );
    }
    if has(&|r: &str| r.ends_with("rms")) {
        parts.push("k×rms = σ as k times the rows' root-mean-square norm");
    }
    if rows.iter().any(|r| r.scale_rule.is_none()) {
        parts.push("other scales are fixed by the configuration");
    }
    (!parts.is_empty()).then(|| format!("Scales: {}.", parts.join("; ")))
}

/// The information quantities against scale at each run's last epoch with information rows on
/// the information tensor; None without a group of two or more scales.
pub(super) fn info_scale(record: &RunRecord) -> Option<ChartSpec> {
    let tensor = info_tensor(record)?;
    let lasts: Vec<Option<&EpochRecord>> =
        record.runs.iter().map(|r| last_info(r, &tensor)).collect();
    // (estimator, space) groups in record order, kept when they have >= 2 distinct scales.
    let mut groups: Vec<(String, String)> = Vec::new();
    let mut drawn: Vec<&InfoRow> = Vec::new();
    for e in lasts.iter().flatten() {
        for r in e.info.iter().filter(|r| drawable(r, &tensor)) {
            let g = (r.estimator.clone(), r.space.clone());
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    groups.retain(|g| {
        let mut scales: Vec<f64> = lasts
            .iter()
            .flatten()
            .flat_map(|e| e.info.iter())
            .filter(|r| drawable(r, &tensor) && r.estimator == g.0 && r.space == g.1)
            .filter_map(|r| r.scale)
            .collect();
        scales.sort_by(f64::total_cmp);
        scales.dedup();
        scales.len() >= 2
    });
    if groups.is_empty() {
        return None;
    }
    let several = record.runs.len() > 1;
    let mut any_open = false;
    let mut panels = Vec::new();
    for g in &groups {
        let symbol = scale_symbol(&g.0);
        let what = if symbol == "σ" {
            "noise σ"
        } else {
            "scale ε"
        };
        let mut panel = PanelSpec::new(format!("{what} (log scale)"), "nats", XAxis::Linear);
        panel.x_log = true;
        panel.caption = Some(format!("{} · {}", g.0, g.1));
        for (i, (run, last)) in record.runs.iter().zip(&lasts).enumerate() {
            let Some(e) = last else { continue };
            drawn.extend(
                e.info
                    .iter()
                    .filter(|r| drawable(r, &tensor) && r.estimator == g.0 && r.space == g.1),
            );
            let quantities: Vec<(usize, &str, LineStyleKind)> = if several {
                COMPARED.iter().map(|&(q, st)| (i, q, st)).collect()
            } else {
                ONE_RUN
                    .iter()
                    .enumerate()
                    .map(|(k, &q)| (k, q, LineStyleKind::Solid))
                    .collect()
            };
            for (colour, q, style) in quantities {
                let pts = points(e, &tensor, g, q);
                any_open |= pts.iter().any(|p| p.2);
                let mut s = Series::line(
                    format!("{} {q}", run.name),
                    run_colour(colour),
                    style,
                    pts.iter().map(|p| (p.0, p.1)).collect(),
                );
                s.open = pts.iter().map(|p| p.2).collect();
                panel.series.push(s);
            }
        }
        panels.push(panel);
    }
    let mut legend = Vec::new();
    if several {
        for (i, (run, last)) in record.runs.iter().zip(&lasts).enumerate() {
            let mut entry = LegendEntry::new(run.name.clone(), run_colour(i), LineStyleKind::Solid);
            entry.detail = Some(match last {
                Some(e) => format!("epoch {}", e.epoch),
                None => "no information rows".into(),
            });
            legend.push(entry);
        }
        for &(q, style) in COMPARED {
            legend.push(LegendEntry::new(q, BLACK, style));
        }
    } else {
        for (k, q) in ONE_RUN.iter().enumerate() {
            legend.push(LegendEntry::new(*q, run_colour(k), LineStyleKind::Solid));
        }
    }
    if any_open {
        legend.push(saturated_entry());
    }
    let mut notes = Vec::new();
    if any_open {
        notes.push(SATURATION_NOTE.to_string());
    }
    notes.extend(rules_note(&drawn));
    if several {
        notes.push("H(V|X) and H(V|V′) of each run are in the report's Information tables.".into());
    }
    let epochs: Vec<usize> = lasts.iter().flatten().map(|e| e.epoch).collect();
    let at = match (
        epochs.first(),
        epochs.iter().all(|e| Some(e) == epochs.first()),
    ) {
        (Some(e), true) => format!("epoch {e}"),
        _ => "each run's last epoch".into(),
    };
    let columns = if panels.len() == 1 { 1 } else { 2 };
    let rows = panels.len().div_ceil(columns) as u32;
    Some(ChartSpec {
        name: "info_scale",
        title: format!("Information against scale ({tensor})"),
        subtitle: Some(format!(
            "nats at {at}; x = the estimator's absolute scale (bin width ε or noise σ, log)"
        )),
        size: (SIZE.0, SIZE.1.max(72 + rows * 280)),
        columns,
        panels,
        legend,
        colour_bar: None,
        notes,
    })
}
