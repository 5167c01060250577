//! The HTML page's view model: plain structs of already-formatted strings, built from the record
//! only. Strings here are raw (not HTML-escaped); escaping happens when the page is written.
//! The view model derives `Serialize` so it can be snapshot-tested apart from the markup.

use super::glance::GlanceView;
use super::panel::PanelTable;
use super::verdict_class;
use crate::charts::{chart_tensor, h_t_origin, Chart, THEOREM_UNKNOWN};
/// Re-exported from [`crate::format`], where number formatting lives.
pub use crate::format::fmt_num;
use crate::format::scale_text;
use crate::record::{
    EpochRecord, Evidence, InfoRow, LagrangianRow, MethodRun, RunRecord, TensorRecord,
};
use serde::Serialize;
use std::collections::BTreeSet;

/// Metrics shown first in the last-epoch table, in this order, with a short note each.
const METRIC_ORDER: &[(&str, &str)] = &[
    ("std_l2", "std of l2-normalised rows"),
    ("expected_std_l2", "1/√d, the uncollapsed value"),
    (
        "normalised_std_l2",
        "√d · std_l2 (≈1 healthy, ≪1 collapsed)",
    ),
    ("collapse_level", "1 − √d · std_l2"),
    ("effective_rank", "dimensions, uncentred"),
    ("effective_rank_ratio", "effective_rank / min(N, d)"),
    ("effective_rank_centred", "dimensions, centred"),
    ("effective_rank_centred_ratio", "centred / min(N−1, d)"),
    ("angular_spread", "radians"),
    ("relative_spread", ""),
    (
        "alpha_req",
        "α-ReQ, power-law decay of the covariance spectrum",
    ),
    ("alpha_req_r2", "R² of the α-ReQ fit"),
    ("lidar", "LiDAR, dimensions"),
    ("alignment", "mean ‖u_a − u_b‖² between views"),
    ("uniformity", "ln mean exp(−2‖u_i − u_j‖²)"),
    ("intrinsic_dim", "TwoNN intrinsic dimension"),
    ("nc1", "NC1, tr(Σ_W Σ_B⁺)/C"),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportView {
    pub title: String,
    pub tool: String,
    pub created: String,
    pub source: String,
    pub schema_version: u32,
    /// The "At a glance" section (ARCHITECTURE.md §10).
    pub glance: GlanceView,
    /// The tensor the charts plot, if any.
    pub chart_tensor: Option<String>,
    pub runs: Vec<RunView>,
    pub charts: Vec<ChartView>,
    /// The collapse-metric panel, one table per judged tensor recorded with it; empty (and
    /// absent) for a record without panel metrics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub panel: Vec<PanelTable>,
    /// Information quantities and Lagrangian rows per run (only runs that have any).
    pub info: Vec<InfoTable>,
    /// What the intervals cover ([`INTERVAL_NOTE`]), when a row states its interval method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_note: Option<String>,
    /// What a scale rule means ([`SCALE_RULE_NOTE`]), when a row has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_rule_note: Option<String>,
    pub dataset: Vec<KeyValue>,
    /// The resolved configuration, pretty-printed JSON.
    pub config_json: String,
    /// Tool, record schema and renderer versions.
    pub versions: Vec<KeyValue>,
}

/// The information rows of one run at its last epoch that has any (ARCHITECTURE.md §5), in nats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfoTable {
    pub run: String,
    /// Epoch of the info rows (the last epoch with info rows).
    pub info_epoch: Option<String>,
    pub rows: Vec<InfoRowView>,
    /// Epoch of the Lagrangian rows (the last epoch with Lagrangian rows).
    pub lagrangian_epoch: Option<String>,
    pub lagrangian: Vec<LagrangianRowView>,
    /// Why the theorem form and the gap are `n/a` ([`THEOREM_UNKNOWN`]), when a row lacks them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theorem_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfoRowView {
    pub tensor: String,
    pub quantity: String,
    pub estimator: String,
    pub space: String,
    /// The absolute scale (ε or σ), or `none` for an estimator without one; followed by the
    /// rule that chose it from the sample (`0.0123 (cells 50%)`), when there is one.
    pub scale: String,
    pub dim: String,
    /// The estimate in nats, or its non-finite word (`-inf`, ...).
    pub value: String,
    /// The interval `[lo, hi]` in nats, `–` when absent.
    pub ci: String,
    /// How the interval was computed (e.g. `jackknife-20 t 95%`), when the record says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_method: Option<String>,
    /// A kNN estimate in more than 3 dimensions with a stated interval: its bias can exceed the
    /// interval ([`knn_bias_note`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias_note: Option<String>,
    /// Why a row marked saturated says nothing about the embedding ([`saturation_reason`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saturated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagrangianRowView {
    pub tensor: String,
    pub beta: String,
    pub estimator: String,
    pub space: String,
    pub scale: String,
    pub measured: String,
    pub theorem: String,
    pub gap: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    pub name: String,
    pub method: String,
    pub seed: String,
    /// The verdict word (`healthy`, ...).
    pub verdict: String,
    /// CSS class of the verdict badge.
    pub verdict_class: String,
    pub epoch: String,
    pub summary: String,
    pub diverged_at: Option<String>,
    /// The epoch the verdict began (`onset_epoch` of the record), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_epoch: Option<String>,
    /// Caveats of the judged epoch's tensors, `TENSOR: text` (e.g. N ≤ d).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub tensors: Vec<TensorEvidenceView>,
    pub metrics: MetricTable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorEvidenceView {
    pub tensor: String,
    pub verdict: String,
    pub verdict_class: String,
    /// Deciding signals that fired (advisory ones are never counted here).
    pub fired: usize,
    /// Deciding signals weighed.
    pub total: usize,
    /// The deciding signals.
    pub rows: Vec<EvidenceRow>,
    /// Signals shown beside the deciding ones that do not decide the verdict
    /// (`Evidence::advisory`, ARCHITECTURE.md §6); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub advisory: Vec<EvidenceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceRow {
    pub signal: String,
    pub value: String,
    pub op: String,
    pub threshold: String,
    pub supports: String,
    pub fired: bool,
}

/// Last-epoch metrics of one run: one column per tensor, one row per metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricTable {
    /// The epoch shown (the run's last recorded epoch), if any.
    pub epoch: Option<String>,
    pub loss: String,
    /// kNN accuracy of the probe embedding at that epoch, `–` when not recorded.
    pub knn_accuracy: String,
    pub tensors: Vec<String>,
    /// `N × d` per tensor, with "(non-finite)" when the tensor held NaN/inf.
    pub shapes: Vec<String>,
    pub rows: Vec<MetricRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    pub metric: String,
    pub note: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartView {
    pub name: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl EvidenceRow {
    fn build(e: &Evidence) -> Self {
        EvidenceRow {
            signal: e.signal.clone(),
            value: fmt_num(e.value),
            op: e.op.clone(),
            threshold: fmt_num(e.threshold),
            supports: e.supports.as_str().to_string(),
            fired: e.fired,
        }
    }
}

fn fmt_opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "–".into())
}

impl ReportView {
    /// Build the view model of `record` with the given charts.
    pub fn build(record: &RunRecord, charts: &[Chart]) -> Result<Self, serde_json::Error> {
        let d = &record.dataset;
        let dataset = vec![
            kv("name", d.name.clone()),
            kv("training rows", d.n_train.to_string()),
            kv("probe rows", d.n_probe.to_string()),
            kv("input dimension", d.input_dim.to_string()),
            kv("probe transforms K", fmt_opt(d.k_views)),
            match (d.h_t, h_t_origin(d)) {
                (None, _) | (Some(_), "ln K") => {
                    kv("H(T) = ln K (nats)", fmt_opt(d.h_t.map(fmt_num)))
                }
                (Some(h), _) => kv("H(T), given (nats)", fmt_num(h)),
            },
        ];
        Ok(ReportView {
            title: title(record),
            tool: record.tool.clone(),
            created: record.created.clone(),
            source: record.source.clone(),
            schema_version: record.schema_version,
            glance: GlanceView::build(record),
            chart_tensor: chart_tensor(record),
            runs: record.runs.iter().map(RunView::build).collect(),
            charts: charts
                .iter()
                .map(|c| ChartView {
                    name: c.name.to_string(),
                    title: c.title.clone(),
                })
                .collect(),
            panel: PanelTable::build_all(record),
            info: record.runs.iter().filter_map(InfoTable::build).collect(),
            interval_note: record
                .runs
                .iter()
                .filter_map(|r| last_with(r, |e| !e.info.is_empty()))
                .flat_map(|e| e.info.iter())
                .any(|r| r.ci.is_some() && r.ci_method.is_some())
                .then(|| INTERVAL_NOTE.to_string()),
            scale_rule_note: record
                .runs
                .iter()
                .flat_map(|r| r.epochs.iter())
                .any(|e| {
                    e.info.iter().any(|r| r.scale_rule.is_some())
                        || e.lagrangian.iter().any(|r| r.scale_rule.is_some())
                })
                .then(|| SCALE_RULE_NOTE.to_string()),
            dataset,
            config_json: serde_json::to_string_pretty(&record.config)?,
            versions: vec![
                kv("tool", record.tool.clone()),
                kv("run.json schema", record.schema_version.to_string()),
                kv(
                    "renderer",
                    format!("ib-reports {}", env!("CARGO_PKG_VERSION")),
                ),
                kv("record created", record.created.clone()),
            ],
        })
    }
}

/// The page title (ARCHITECTURE.md §10). A training record (`source` other than `analyze`)
/// keeps `ib-analyze report: <dataset>`. An analysed record of one run names the input by its
/// file name and key ([`input_label`]; the full path stays in the Dataset table); of two runs,
/// `a vs b`; of more, `N runs: a, b, c`.
pub fn title(record: &RunRecord) -> String {
    let names: Vec<&str> = record.runs.iter().map(|r| r.name.as_str()).collect();
    let what = match (record.source.as_str(), names.as_slice()) {
        ("analyze", [] | [_]) => input_label(&record.dataset.name),
        ("analyze", [a, b]) => format!("{a} vs {b}"),
        ("analyze", many) => format!("{} runs: {}", many.len(), many.join(", ")),
        _ => record.dataset.name.clone(),
    };
    format!("ib-analyze report: {what}")
}

/// The file name of an input given as `path` or `path:KEY`, with its key: `/data/emb.npz:z`
/// reads `emb.npz:z`. The key starts at the first `:` whose left part has a file extension,
/// so a key may itself hold `/` or `:`; a name without a file part is kept whole.
pub fn input_label(name: &str) -> String {
    let split = name
        .char_indices()
        .filter(|&(_, c)| c == ':')
        .find(|&(i, _)| {
            let left = std::path::Path::new(&name[..i]);
            left.extension().is_some() && left.file_name().is_some()
        });
    let (path, key) = match split {
        Some((i, _)) => (&name[..i], Some(&name[i + 1..])),
        None => (name, None),
    };
    let file = std::path::Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    match key {
        Some(k) => format!("{file}:{k}"),
        None => file,
    }
}

fn kv(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value,
    }
}

impl RunView {
    fn build(run: &MethodRun) -> Self {
        let v = &run.verdict;
        let tensors = v
            .tensors
            .iter()
            .map(|(name, tv)| {
                let (advisory, deciding): (Vec<&Evidence>, Vec<&Evidence>) =
                    tv.evidence.iter().partition(|e| e.advisory);
                TensorEvidenceView {
                    tensor: name.clone(),
                    verdict: tv.verdict.as_str().to_string(),
                    verdict_class: verdict_class(tv.verdict),
                    fired: deciding.iter().filter(|e| e.fired).count(),
                    total: deciding.len(),
                    rows: deciding.into_iter().map(EvidenceRow::build).collect(),
                    advisory: advisory.into_iter().map(EvidenceRow::build).collect(),
                }
            })
            .collect();
        RunView {
            name: run.name.clone(),
            method: run.method.clone(),
            seed: run.seed.to_string(),
            verdict: v.verdict.as_str().to_string(),
            verdict_class: verdict_class(v.verdict),
            epoch: v.epoch.to_string(),
            summary: v.summary.clone(),
            diverged_at: run.diverged_at.map(|e| e.to_string()),
            onset_epoch: v.onset_epoch.map(|e| e.to_string()),
            warnings: run
                .epochs
                .iter()
                .rev()
                .find(|e| e.epoch == v.epoch && !e.tensors.is_empty())
                .map(|e| {
                    e.tensors
                        .iter()
                        .flat_map(|(t, tr)| tr.warnings.iter().map(move |w| format!("{t}: {w}")))
                        .collect()
                })
                .unwrap_or_default(),
            tensors,
            metrics: MetricTable::build(run),
        }
    }
}

impl MetricTable {
    fn build(run: &MethodRun) -> Self {
        let Some(last) = run.epochs.last() else {
            return MetricTable {
                epoch: None,
                loss: "–".into(),
                knn_accuracy: "–".into(),
                tensors: Vec::new(),
                shapes: Vec::new(),
                rows: Vec::new(),
            };
        };
        let recs: Vec<(&String, &TensorRecord)> = last.tensors.iter().collect();
        let present: BTreeSet<&str> = recs
            .iter()
            .flat_map(|(_, t)| t.metrics.keys().map(String::as_str))
            .collect();
        let mut names: Vec<(String, String)> = METRIC_ORDER
            .iter()
            .filter(|(m, _)| present.contains(m))
            .map(|(m, n)| (m.to_string(), n.to_string()))
            .collect();
        for m in &present {
            if !METRIC_ORDER.iter().any(|(k, _)| k == m) {
                names.push((m.to_string(), String::new()));
            }
        }
        let rows = names
            .into_iter()
            .map(|(metric, note)| MetricRow {
                values: recs
                    .iter()
                    .map(|(_, t)| t.metric(&metric).map(fmt_num).unwrap_or_else(|| "–".into()))
                    .collect(),
                metric,
                note,
            })
            .collect();
        MetricTable {
            epoch: Some(last.epoch.to_string()),
            loss: fmt_opt(last.loss.map(fmt_num)),
            knn_accuracy: fmt_opt(last.knn_accuracy.map(|a| match last.knn_subsample {
                Some(s) => format!(
                    "{} (leave-one-out on {} of {} rows, seed {})",
                    fmt_num(a),
                    s.rows,
                    s.of,
                    s.seed
                ),
                None => fmt_num(a),
            })),
            tensors: recs.iter().map(|(n, _)| n.to_string()).collect(),
            shapes: recs
                .iter()
                .map(|(_, t)| {
                    let s = format!("{} × {}", t.n, t.d);
                    if t.finite {
                        s
                    } else {
                        format!("{s} (non-finite)")
                    }
                })
                .collect(),
            rows,
        }
    }
}

/// The last epoch of `run` for which `has` holds.
fn last_with(run: &MethodRun, has: impl Fn(&EpochRecord) -> bool) -> Option<&EpochRecord> {
    run.epochs.iter().rev().find(|e| has(e))
}

impl InfoTable {
    fn build(run: &MethodRun) -> Option<Self> {
        let info = last_with(run, |e| !e.info.is_empty());
        let lb = last_with(run, |e| !e.lagrangian.is_empty());
        if info.is_none() && lb.is_none() {
            return None;
        }
        Some(InfoTable {
            run: run.name.clone(),
            info_epoch: info.map(|e| e.epoch.to_string()),
            rows: info
                .map(|e| e.info.iter().map(InfoRowView::build).collect())
                .unwrap_or_default(),
            lagrangian_epoch: lb.map(|e| e.epoch.to_string()),
            lagrangian: lb
                .map(|e| e.lagrangian.iter().map(LagrangianRowView::build).collect())
                .unwrap_or_default(),
            theorem_note: lb
                .filter(|e| {
                    e.lagrangian
                        .iter()
                        .any(|r| r.theorem.is_none() || r.gap.is_none())
                })
                .map(|_| THEOREM_UNKNOWN.to_string()),
        })
    }
}

impl InfoRowView {
    fn build(r: &InfoRow) -> Self {
        let value = match (r.value, &r.nonfinite) {
            (Some(v), _) => fmt_num(v),
            (None, Some(word)) => word.clone(),
            (None, None) => "–".into(),
        };
        let ci = match r.ci {
            Some((lo, hi)) => format!("[{}, {}]", fmt_num(lo), fmt_num(hi)),
            None => "–".into(),
        };
        let stated = r.ci.is_some() && r.ci_method.is_some();
        InfoRowView {
            tensor: r.tensor.clone(),
            quantity: r.quantity.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: scale_with_rule(r.scale, r.scale_rule.as_deref()),
            dim: r.dim.to_string(),
            value,
            ci,
            ci_method: r.ci.and(r.ci_method.clone()),
            bias_note: stated.then(|| knn_bias_note(&r.estimator, r.dim)).flatten(),
            saturated: (r.saturated == Some(true)).then(|| saturation_reason(r).to_string()),
        }
    }
}

/// Said once beside the intervals of the Information section.
pub const INTERVAL_NOTE: &str = "Intervals cover the sampling spread of each estimate only, not \
     the estimator's bias; the bias of kNN estimators (kl, ksg1, kl-minus-ksg1) in more than 3 \
     dimensions can be far larger than the interval.";

/// Said once when a row's scale was chosen from the sample.
pub const SCALE_RULE_NOTE: &str = "A scale followed by a rule in parentheses (e.g. cells 50%) \
     was chosen from the sample at that epoch by that rule, so its absolute value changes from \
     epoch to epoch; the charts follow such a series by its rule.";

/// The kNN estimators whose bias grows with the dimension (ARCHITECTURE.md §5).
const KNN_ESTIMATORS: &[&str] = &["kl", "ksg1", "kl-minus-ksg1"];

/// The note of a kNN row in more than 3 dimensions: its bias, not covered by the interval,
/// can dominate. None for other rows.
pub fn knn_bias_note(estimator: &str, dim: usize) -> Option<String> {
    (dim > 3 && KNN_ESTIMATORS.contains(&estimator)).then(|| {
        format!(
            "kNN estimate in {dim} dimensions: its bias is not in the interval and can exceed it"
        )
    })
}

/// Why a saturated row says nothing about the embedding. For H(V), I(X;V) and I(V;V') the value
/// tells the two cases apart (0 when all points share one cell, ln of the sample size when each
/// has its own); for the conditional entropies it does not, and both are named.
pub fn saturation_reason(r: &InfoRow) -> &'static str {
    const OWN: &str = "saturated: every point has its own cell at this scale — the value is ln \
                       of the sample size, whatever the embedding";
    const ONE: &str = "saturated: all points share one cell at this scale — the value is 0, \
                       whatever the embedding";
    const EITHER: &str = "saturated: every point has its own cell, or all share one, at this \
                          scale — the value says nothing about the embedding";
    match (r.quantity.as_str(), r.value) {
        ("H(V)" | "I(X;V)" | "I(V;V')", Some(v)) if v.abs() < 1e-9 => ONE,
        ("H(V)" | "I(X;V)" | "I(V;V')", Some(_)) => OWN,
        _ => EITHER,
    }
}

/// A scale as shown in the tables: the absolute value, then the rule that chose it, if any.
fn scale_with_rule(scale: Option<f64>, rule: Option<&str>) -> String {
    match rule {
        Some(rule) => format!("{} ({rule})", scale_text(scale)),
        None => scale_text(scale),
    }
}

impl LagrangianRowView {
    fn build(r: &LagrangianRow) -> Self {
        LagrangianRowView {
            tensor: r.tensor.clone(),
            beta: r.beta.to_string(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: scale_with_rule(r.scale, r.scale_rule.as_deref()),
            measured: fmt_num(r.measured),
            theorem: r.theorem.map_or_else(|| "n/a".to_string(), fmt_num),
            gap: r.gap.map_or_else(|| "n/a".to_string(), fmt_num),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(quantity: &str, value: Option<f64>) -> InfoRow {
        InfoRow {
            tensor: "t".into(),
            quantity: quantity.into(),
            estimator: "binned".into(),
            space: "l2".into(),
            scale: Some(0.1),
            dim: 8,
            value,
            nonfinite: None,
            ci: None,
            ci_method: None,
            scale_rule: None,
            saturated: Some(true),
            rows: Some(512),
            seed: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn input_labels_drop_directories_and_keep_keys() {
        assert_eq!(input_label("/data/run 1/emb.npy"), "emb.npy");
        assert_eq!(input_label("emb.npy"), "emb.npy");
        assert_eq!(input_label("/data/all.npz:z"), "all.npz:z");
        assert_eq!(input_label("rel/all.npz:enc/z"), "all.npz:enc/z");
        assert_eq!(
            input_label("/w/a:b/emb.safetensors:proj"),
            "emb.safetensors:proj"
        );
        assert_eq!(input_label("/"), "/");
    }

    #[test]
    fn the_bias_note_is_for_knn_rows_above_three_dimensions() {
        assert!(knn_bias_note("kl", 3).is_none());
        assert!(knn_bias_note("kl", 4).is_some());
        assert!(knn_bias_note("ksg1", 64).is_some());
        assert!(knn_bias_note("kl-minus-ksg1", 10).is_some());
        assert!(knn_bias_note("pairwise-kl", 64).is_none());
        assert!(knn_bias_note("binned", 64).is_none());
    }

    #[test]
    fn saturation_reasons_follow_the_value_where_it_tells() {
        let own = saturation_reason(&row("H(V)", Some(512f64.ln())));
        assert!(
            own.contains("every point has its own cell at this scale"),
            "{own}"
        );
        let one = saturation_reason(&row("I(V;V')", Some(0.0)));
        assert!(one.contains("all points share one cell"), "{one}");
        // Conditional entropies are 0 in both cases: both are named.
        for q in ["H(V|X)", "H(V|V')"] {
            let either = saturation_reason(&row(q, Some(0.0)));
            assert!(either.contains("or all share one"), "{q}: {either}");
        }
        assert!(saturation_reason(&row("H(V)", None)).contains("or all share one"));
    }

    #[test]
    fn rows_show_the_rule_with_the_scale_and_the_method_only_with_an_interval() {
        let mut r = row("H(V)", Some(1.0));
        r.saturated = None;
        r.scale_rule = Some("cells 50%".into());
        r.ci_method = Some("jackknife-20 t 95%".into());
        let v = InfoRowView::build(&r);
        assert_eq!(v.scale, "0.1 (cells 50%)");
        assert_eq!((v.ci.as_str(), v.ci_method), ("–", None));
        assert_eq!(v.saturated, None);
        r.ci = Some((0.5, 1.5));
        let v = InfoRowView::build(&r);
        assert_eq!(v.ci_method.as_deref(), Some("jackknife-20 t 95%"));
        assert!(v.bias_note.is_none(), "binned rows have no kNN note");
    }
}
