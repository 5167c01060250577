//! The "Collapse-metric panel" section: per judged tensor, one row per panel metric
//! ([`crate::panel::PANEL_METRICS`]), one column per run (the value at the run's last epoch
//! recording the tensor), and the isotropic-Gaussian reference value (`TensorRecord::reference`,
//! ARCHITECTURE.md §4). A null metric shows "—" with its reason from `unavailable` as visible
//! text; a metric computed on a seeded subsample says on how many rows.
//!
//! [`PanelTable::build_all`] makes the view model (raw strings), [`render`] writes the escaped
//! HTML fragment.

use super::escape;
use crate::format::fmt_num;
use crate::panel::{FIELD_METRICS, PANEL_METRICS};
use crate::record::{EpochRecord, MethodRun, RunRecord, TensorRecord};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Shown in place of a value that is null or missing.
pub const MISSING: &str = "—";

/// The panel of one tensor across the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelTable {
    pub tensor: String,
    /// One column per run, in record order.
    pub runs: Vec<PanelColumn>,
    pub rows: Vec<PanelRow>,
}

/// A run's column: its name and the epoch its values are from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelColumn {
    pub run: String,
    /// The run's last epoch recording the tensor; None when no epoch does.
    pub epoch: Option<String>,
}

/// One metric across the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelRow {
    /// Key in `TensorRecord::metrics`.
    pub metric: String,
    /// Display name.
    pub name: String,
    /// One line with the paper.
    pub definition: String,
    /// One cell per run, in the order of [`PanelTable::runs`].
    pub values: Vec<PanelCell>,
    /// The isotropic-Gaussian value; empty where the record has none. When the runs' tensors
    /// differ in N or d and so in reference, each value with its `N × d`.
    pub reference: String,
}

/// A value with an optional line under it: the reason of a null, or the subsample it was
/// computed on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelCell {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The last epoch of `run` recording `tensor`, with its record.
fn last_record<'a>(
    run: &'a MethodRun,
    tensor: &str,
) -> Option<(&'a EpochRecord, &'a TensorRecord)> {
    run.epochs
        .iter()
        .rev()
        .find_map(|e| Some((e, e.tensors.get(tensor)?)))
}

/// True when `t` was recorded with the panel: a field metric (even null) or a reference value.
fn has_panel(t: &TensorRecord) -> bool {
    !t.reference.is_empty() || FIELD_METRICS.iter().any(|m| t.metrics.contains_key(*m))
}

/// The cell of `metric` in the run's record `t` (None: the run never recorded the tensor).
fn cell(t: Option<&TensorRecord>, metric: &str) -> PanelCell {
    let missing = |why: &str| PanelCell {
        value: MISSING.into(),
        note: Some(why.to_string()),
    };
    let Some(t) = t else {
        return missing("tensor not recorded");
    };
    if !t.finite {
        return missing("non-finite tensor (NaN or inf)");
    }
    match t.metrics.get(metric) {
        None => missing("not recorded"),
        Some(None) => missing(
            t.unavailable
                .get(metric)
                .map_or("null, no reason recorded", String::as_str),
        ),
        Some(Some(v)) => PanelCell {
            value: fmt_num(*v),
            note: t
                .subsamples
                .get(metric)
                .map(|s| format!("on {} of {} rows (seed {})", s.rows, s.of, s.seed)),
        },
    }
}

/// The reference column of `metric` over the runs' records: one value, or each distinct value
/// with the `N × d` it belongs to.
fn reference(records: &[Option<&TensorRecord>], metric: &str) -> String {
    let mut seen: Vec<(f64, usize, usize)> = Vec::new();
    for t in records.iter().flatten() {
        if let Some(&v) = t.reference.get(metric) {
            if !seen
                .iter()
                .any(|(x, n, d)| x.to_bits() == v.to_bits() && (*n, *d) == (t.n, t.d))
            {
                seen.push((v, t.n, t.d));
            }
        }
    }
    let values: BTreeSet<u64> = seen.iter().map(|(v, _, _)| v.to_bits()).collect();
    match values.len() {
        0 => String::new(),
        1 => fmt_num(seen[0].0),
        _ => seen
            .iter()
            .map(|(v, n, d)| format!("{} ({n} × {d})", fmt_num(*v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

impl PanelTable {
    /// The panels of `record`: one per judged tensor (the tensors of the runs' verdicts, sorted)
    /// that some run recorded with the panel at its last epoch; none for a record without it.
    pub fn build_all(record: &RunRecord) -> Vec<PanelTable> {
        let tensors: BTreeSet<&str> = record
            .runs
            .iter()
            .flat_map(|r| r.verdict.tensors.keys().map(String::as_str))
            .collect();
        tensors
            .into_iter()
            .filter_map(|t| PanelTable::build(record, t))
            .collect()
    }

    fn build(record: &RunRecord, tensor: &str) -> Option<PanelTable> {
        let last: Vec<Option<(&EpochRecord, &TensorRecord)>> =
            record.runs.iter().map(|r| last_record(r, tensor)).collect();
        let records: Vec<Option<&TensorRecord>> = last.iter().map(|x| x.map(|(_, t)| t)).collect();
        if !records.iter().flatten().any(|t| has_panel(t)) {
            return None;
        }
        let rows = PANEL_METRICS
            .iter()
            .filter(|m| {
                records
                    .iter()
                    .flatten()
                    .any(|t| t.metrics.contains_key(m.key) || t.reference.contains_key(m.key))
            })
            .map(|m| PanelRow {
                metric: m.key.to_string(),
                name: m.name.to_string(),
                definition: m.definition.to_string(),
                values: records.iter().map(|t| cell(*t, m.key)).collect(),
                reference: reference(&records, m.key),
            })
            .collect();
        Some(PanelTable {
            tensor: tensor.to_string(),
            runs: record
                .runs
                .iter()
                .zip(&last)
                .map(|(r, l)| PanelColumn {
                    run: r.name.clone(),
                    epoch: l.map(|(e, _)| e.epoch.to_string()),
                })
                .collect(),
            rows,
        })
    }
}

/// The section's HTML; empty (no section) when no tensor has a panel.
pub fn render(panels: &[PanelTable]) -> String {
    if panels.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<section id=\"panel\">\n<h2>Collapse-metric panel</h2>\n<p class=\"meta\">Each run's \
         value at its last epoch recording the tensor. <em>isotropic Gaussian</em>: the value on \
         Gaussian rows of the same N and d (N ≫ d limit), the scale to read a value against; \
         blank where none is known. — marks a metric that could not be computed, with the \
         reason under it.</p>\n",
    );
    for p in panels {
        let _ = writeln!(s, "<h3><code>{}</code></h3>", escape(&p.tensor));
        s.push_str("<div class=\"scroll\"><table class=\"panel\">\n<thead><tr><th>metric</th>");
        for c in &p.runs {
            let epoch = c
                .epoch
                .as_ref()
                .map(|e| format!("<br><small>epoch {}</small>", escape(e)))
                .unwrap_or_default();
            let _ = write!(s, "<th>{}{epoch}</th>", escape(&c.run));
        }
        s.push_str("<th>isotropic Gaussian</th></tr></thead>\n<tbody>\n");
        for r in &p.rows {
            let _ = write!(
                s,
                "<tr><td><strong>{}</strong> <code>{}</code><br><small class=\"note\">{}</small></td>",
                escape(&r.name),
                escape(&r.metric),
                escape(&r.definition)
            );
            for c in &r.values {
                let note = c
                    .note
                    .as_ref()
                    .map(|n| format!("<br><small class=\"reason\">{}</small>", escape(n)))
                    .unwrap_or_default();
                let _ = write!(s, "<td class=\"num\">{}{note}</td>", escape(&c.value));
            }
            let _ = writeln!(s, "<td class=\"num\">{}</td></tr>", escape(&r.reference));
        }
        s.push_str("</tbody>\n</table></div>\n");
    }
    s.push_str("</section>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Subsample;

    fn tensor() -> TensorRecord {
        let mut t = TensorRecord::empty(512, 64);
        t.metrics.insert("lidar".into(), None);
        t.unavailable
            .insert("lidar".into(), "no views of this tensor".into());
        t.metrics.insert("uniformity".into(), Some(-3.5));
        t.subsamples.insert(
            "uniformity".into(),
            Subsample {
                rows: 10_000,
                of: 20_000,
                seed: 7,
            },
        );
        t.metrics.insert("nc1".into(), None);
        t
    }

    #[test]
    fn a_null_shows_its_reason_and_a_subsample_its_rows() {
        let t = tensor();
        let lidar = cell(Some(&t), "lidar");
        assert_eq!(lidar.value, MISSING);
        assert_eq!(lidar.note.as_deref(), Some("no views of this tensor"));
        let u = cell(Some(&t), "uniformity");
        assert_eq!(u.value, "-3.500");
        assert_eq!(u.note.as_deref(), Some("on 10000 of 20000 rows (seed 7)"));
        assert_eq!(
            cell(Some(&t), "nc1").note.as_deref(),
            Some("null, no reason recorded")
        );
        assert_eq!(
            cell(Some(&t), "alignment").note.as_deref(),
            Some("not recorded")
        );
        assert_eq!(
            cell(None, "lidar").note.as_deref(),
            Some("tensor not recorded")
        );
        let mut bad = TensorRecord::empty(512, 64);
        bad.finite = false;
        assert_eq!(
            cell(Some(&bad), "lidar").note.as_deref(),
            Some("non-finite tensor (NaN or inf)")
        );
    }

    #[test]
    fn references_that_differ_name_their_shape() {
        let mut a = TensorRecord::empty(512, 64);
        a.reference.insert("effective_rank".into(), 64.0);
        let mut b = TensorRecord::empty(512, 64);
        b.reference.insert("effective_rank".into(), 64.0);
        assert_eq!(
            reference(&[Some(&a), Some(&b), None], "effective_rank"),
            "64.00"
        );
        b.d = 32;
        b.reference.insert("effective_rank".into(), 32.0);
        assert_eq!(
            reference(&[Some(&a), Some(&b)], "effective_rank"),
            "64.00 (512 × 64); 32.00 (512 × 32)"
        );
        assert_eq!(reference(&[Some(&a)], "lidar"), "");
    }

    #[test]
    fn the_section_escapes_record_text() {
        let panel = PanelTable {
            tensor: "<t>".into(),
            runs: vec![PanelColumn {
                run: "a&b".into(),
                epoch: Some("3".into()),
            }],
            rows: vec![PanelRow {
                metric: "lidar".into(),
                name: "LiDAR".into(),
                definition: "d".into(),
                values: vec![PanelCell {
                    value: MISSING.into(),
                    note: Some("no <views>".into()),
                }],
                reference: String::new(),
            }],
        };
        let html = render(&[panel]);
        assert!(html.contains("<code>&lt;t&gt;</code>"), "{html}");
        assert!(html.contains("a&amp;b"), "{html}");
        assert!(html.contains("no &lt;views&gt;"), "{html}");
        assert!(render(&[]).is_empty());
    }
}
