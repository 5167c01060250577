//! Which data the charts show: the tensor (the SimSiam projector output when recorded) and the
//! one information series (tensor, estimator, space, scale) of the information charts.

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

/// ` (tensor)`, appended to a chart title; empty without a tensor.
pub(super) fn tensor_suffix(tensor: Option<&str>) -> String {
    tensor.map(|t| format!(" ({t})")).unwrap_or_default()
}

/// Which info series the information charts show: one (tensor, estimator, space, scale).
#[derive(Debug, Clone, PartialEq)]
pub struct InfoKey {
    pub tensor: String,
    pub estimator: String,
    pub space: String,
    pub scale: Option<f64>,
}

impl InfoKey {
    fn of_info(r: &InfoRow) -> Self {
        InfoKey {
            tensor: r.tensor.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: r.scale,
        }
    }

    fn of_lagrangian(r: &LagrangianRow) -> Self {
        InfoKey {
            tensor: r.tensor.clone(),
            estimator: r.estimator.clone(),
            space: r.space.clone(),
            scale: r.scale,
        }
    }

    /// True when `r` belongs to this series.
    pub fn matches_info(&self, r: &InfoRow) -> bool {
        r.tensor == self.tensor
            && r.estimator == self.estimator
            && r.space == self.space
            && r.scale == self.scale
    }

    /// True when `r` belongs to this series.
    pub fn matches_lagrangian(&self, r: &LagrangianRow) -> bool {
        r.tensor == self.tensor
            && r.estimator == self.estimator
            && r.space == self.space
            && r.scale == self.scale
    }

    /// `tensor · estimator · space · scale` for titles.
    pub fn describe(&self) -> String {
        format!(
            "{} · {} · {} · scale {}",
            self.tensor,
            self.estimator,
            self.space,
            scale_text(self.scale)
        )
    }
}

/// The tensor the information charts use: the chart tensor when it has info rows, otherwise the
/// tensor of the first info row.
fn info_tensor(record: &RunRecord) -> Option<String> {
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
/// I(V;V') at one epoch; failing that, the first series of that tensor.
pub fn info_key(record: &RunRecord) -> Option<InfoKey> {
    let tensor = info_tensor(record)?;
    let epochs = || record.runs.iter().flat_map(|r| r.epochs.iter());
    for e in epochs() {
        for r in e.info.iter().filter(|r| r.tensor == tensor) {
            let key = InfoKey::of_info(r);
            let has = |q: &str| {
                e.info
                    .iter()
                    .any(|x| x.quantity == q && key.matches_info(x))
            };
            if has("I(X;V)") && has("I(V;V')") {
                return Some(key);
            }
        }
    }
    epochs()
        .flat_map(|e| e.info.iter())
        .find(|r| r.tensor == tensor)
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
