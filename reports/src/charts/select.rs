//! Which data the charts show: the tensor (the SimSiam projector output when recorded) and the
//! one information series (tensor, estimator, space, scale or scale rule) of the information
//! charts, never a saturated one when an unsaturated one exists.

use crate::format::scale_text;
use crate::record::{InfoRow, LagrangianRow, RunRecord};

/// The tensor charts show by default: the projector output z of the SimSiam paper.
pub const DEFAULT_TENSOR: &str = "online.projector";

/// The tensor the charts plot: [`DEFAULT_TENSOR`] when any run records it, otherwise the first
/// tensor name found (runs in order, epochs in order, names in sorted order).
pub fn chart_tensor(record: &RunRecord) -> Option<String> {
    let mut first = None;
    for run in &record.runs {
        for epoch in &run.epochs {
            if epoch.tensors.contains_key(DEFAULT_TENSOR) {
                return Some(DEFAULT_TENSOR.to_string());
            }
            if first.is_none() {
                first = epoch.tensors.keys().next().cloned();
            }
        }
    }
    first
}

/// True when at least one run has two or more epochs: only then does a chart over epochs (or
/// the information-plane trajectory) show a trajectory rather than one dot per run
/// (ARCHITECTURE.md §10). A record of one-epoch runs (`analyze`) gets no such chart.
pub fn has_trajectories(record: &RunRecord) -> bool {
    record.runs.iter().any(|r| r.epochs.len() >= 2)
}

/// ` (tensor)`, appended to a chart title; empty without a tensor.
pub(super) fn tensor_suffix(tensor: Option<&str>) -> String {
    tensor.map(|t| format!(" ({t})")).unwrap_or_default()
}

/// Which info series the information charts show: one (tensor, estimator, space, scale).
///
/// A scale chosen from the sample at each epoch (a `scale_rule`, e.g. `cells 50%`) changes its
/// absolute value from epoch to epoch: such a series is identified by its rule, not by the
/// absolute scale (ARCHITECTURE.md §5). A series without a rule is identified by its scale.
#[derive(Debug, Clone, PartialEq)]
pub struct InfoKey {
    pub tensor: String,
    pub estimator: String,
    pub space: String,
    /// The absolute scale; not part of the identity when `scale_rule` is set.
    pub scale: Option<f64>,
    /// How the scale was chosen from the sample, when it was.
    pub scale_rule: Option<String>,
}

impl InfoKey {
    fn of_info(r: &InfoRow) -> Self {
        InfoKey {
            tensor: r.tensor.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: r.scale,
            scale_rule: r.scale_rule.clone(),
        }
    }

    fn of_lagrangian(r: &LagrangianRow) -> Self {
        InfoKey {
            tensor: r.tensor.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: r.scale,
            scale_rule: r.scale_rule.clone(),
        }
    }

    /// True when a row of (tensor, estimator, space, scale, rule) belongs to this series.
    fn matches(
        &self,
        tensor: &str,
        estimator: &str,
        space: &str,
        scale: Option<f64>,
        rule: Option<&str>,
    ) -> bool {
        tensor == self.tensor
            && estimator == self.estimator
            && space == self.space
            && match (&self.scale_rule, rule) {
                (Some(a), Some(b)) => a == b,
                (None, None) => scale == self.scale,
                _ => false,
            }
    }

    /// True when `r` belongs to this series.
    pub fn matches_info(&self, r: &InfoRow) -> bool {
        self.matches(
            &r.tensor,
            &r.estimator,
            &r.space,
            r.scale,
            r.scale_rule.as_deref(),
        )
    }

    /// True when `r` belongs to this series.
    pub fn matches_lagrangian(&self, r: &LagrangianRow) -> bool {
        self.matches(
            &r.tensor,
            &r.estimator,
            &r.space,
            r.scale,
            r.scale_rule.as_deref(),
        )
    }

    /// `tensor · estimator · space · scale` for titles: the absolute scale, or the rule with
    /// "chosen per epoch" (its absolute value is in each row of the report's tables).
    pub fn describe(&self) -> String {
        let scale = match &self.scale_rule {
            Some(rule) => format!(
                "{rule} ({} chosen per epoch)",
                scale_symbol(&self.estimator)
            ),
            None => scale_text(self.scale),
        };
        format!(
            "{} · {} · {} · scale {scale}",
            self.tensor, self.estimator, self.space,
        )
    }
}

/// The symbol of an estimator's scale: σ (noise) for the pairwise families, ε (bin width or
/// merge radius) otherwise.
pub(super) fn scale_symbol(estimator: &str) -> &'static str {
    if estimator.starts_with("pairwise") {
        "σ"
    } else {
        "ε"
    }
}

/// True when `r` is marked saturated: its value says nothing about the embedding.
pub(super) fn is_saturated(r: &InfoRow) -> bool {
    r.saturated == Some(true)
}

/// The tensor the information charts use: the chart tensor when it has info rows, otherwise the
/// tensor of the first info row.
pub(super) fn info_tensor(record: &RunRecord) -> Option<String> {
    let rows = || {
        record
            .runs
            .iter()
            .flat_map(|r| r.epochs.iter())
            .flat_map(|e| e.info.iter())
    };
    let preferred = chart_tensor(record);
    if let Some(t) = preferred {
        if rows().any(|r| r.tensor == t) {
            return Some(t);
        }
    }
    rows().next().map(|r| r.tensor.clone())
}

/// The info series the information charts show: on the info tensor, the first
/// (estimator, space, scale) in record order (runs, epochs, rows) that has both I(X;V) and
/// I(V;V') at one epoch, neither saturated; failing that, the first that has both; failing that,
/// the first unsaturated series of that tensor, then its first series. A saturated series is thus
/// never the headline when an unsaturated one exists.
pub fn info_key(record: &RunRecord) -> Option<InfoKey> {
    let tensor = info_tensor(record)?;
    let epochs = || record.runs.iter().flat_map(|r| r.epochs.iter());
    for allow_saturated in [false, true] {
        for e in epochs() {
            for r in e.info.iter().filter(|r| r.tensor == tensor) {
                let key = InfoKey::of_info(r);
                let has = |q: &str| {
                    e.info.iter().any(|x| {
                        x.quantity == q
                            && key.matches_info(x)
                            && (allow_saturated || !is_saturated(x))
                    })
                };
                if has("I(X;V)") && has("I(V;V')") {
                    return Some(key);
                }
            }
        }
    }
    let rows = || {
        epochs()
            .flat_map(|e| e.info.iter())
            .filter(|r| r.tensor == tensor)
    };
    rows()
        .find(|r| !is_saturated(r))
        .or_else(|| rows().next())
        .map(InfoKey::of_info)
}

/// The Lagrangian series the LB chart shows: the info series when it has Lagrangian rows,
/// otherwise the first Lagrangian row's series.
pub fn lagrangian_key(record: &RunRecord) -> Option<InfoKey> {
    let rows = || {
        record
            .runs
            .iter()
            .flat_map(|r| r.epochs.iter())
            .flat_map(|e| e.lagrangian.iter())
    };
    if let Some(k) = info_key(record) {
        if rows().any(|r| k.matches_lagrangian(r)) {
            return Some(k);
        }
    }
    rows().next().map(InfoKey::of_lagrangian)
}
