//! `lagrangian`: the bottleneck Lagrangian LB(β) = I(X;V) − β I(V;V'), measured (solid) vs the
//! theorem's form with H(V|X) taken as H(T) (dashed), per run at its last epoch with rows
//! (ARCHITECTURE.md §5). All in nats at one explicit (estimator, space, scale), chosen by
//! [`super::select::lagrangian_key`].

use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, Series, XAxis, SIZE};
use super::plot::style::run_colour;
use super::select::InfoKey;
use super::series::run_entry;
use crate::format::fmt_num;
use crate::record::RunRecord;
use plotters::style::BLACK;

/// LB_measured(β) (solid) and LB_theorem(β) (dashed) against β, per run, at the last epoch that
/// has rows for `key`; the gap H(T) − H(V|X) is given in the legend.
pub(super) fn lagrangian(record: &RunRecord, key: &InfoKey) -> ChartSpec {
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
            .filter_map(|r| Some((r.beta, finite(r.theorem?)?)))
            .collect();
        let mut entry = run_entry(i, run, !rows.is_empty(), "no LB rows at this scale");
        if let (Some(e), Some(r)) = (last, rows.first()) {
            let gap = r.gap.map_or_else(|| "n/a (H(T) unknown)".to_string(), fmt_num);
            entry.detail = Some(format!("gap {gap} · epoch {}", e.epoch));
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
