//! The settings, inputs and errors of [`information`](super::information).

use serde::{Deserialize, Serialize};

use crate::analysis::{Rows, Views};

/// The space an estimate is computed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// Rows l2-normalised (on the unit sphere), in the full dimension, before any reduction.
    L2,
    /// The embeddings as they are.
    Raw,
}

impl Space {
    /// `l2` or `raw` (the `space` of a row).
    pub fn as_str(self) -> &'static str {
        match self {
            Space::L2 => "l2",
            Space::Raw => "raw",
        }
    }
}

/// An estimator family (see the module documentation for what each computes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Kozachenko–Leonenko H(V).
    Kl,
    /// KSG-1 I(V;V') and `kl-minus-ksg1` H(V|V').
    Ksg,
    /// Gaussian log-det proxy.
    Gaussian,
    /// ε-grid plug-in.
    Binned,
    /// ε single-linkage merging plug-in.
    Merge,
    /// Gaussian-channel pairwise bounds (`pairwise-kl` and `pairwise-bhat`).
    Pairwise,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 6] = [
        Family::Kl,
        Family::Ksg,
        Family::Gaussian,
        Family::Binned,
        Family::Merge,
        Family::Pairwise,
    ];
}

/// Settings of [`information`] (the `[info]` table of the run configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InfoConfig {
    /// Estimator families to compute.
    pub estimators: Vec<Family>,
    /// Spaces to compute in.
    pub spaces: Vec<Space>,
    /// Scales (bin width ε of `binned`/`merge`, noise σ of `pairwise-*`), absolute, in the units
    /// of the `l2` space (the unit sphere: distances in [0, 2]); also used for `raw` unless
    /// `raw_scales` is set.
    pub scales: Vec<f64>,
    /// Scales for the `raw` space (absolute, in the embedding's units); None = `scales`.
    pub raw_scales: Option<Vec<f64>>,
    /// β grid of the Lagrangian rows.
    pub betas: Vec<f64>,
    /// Neighbour order of the kNN estimators (`kl`, `ksg1`).
    pub k: usize,
    /// PCA dimension for the kNN and plug-in families (`kl`, `ksg1`, `binned`, `merge`) when
    /// the embedding has more columns; None = no reduction. Recorded in each row's `dim`.
    pub pca_dim: Option<usize>,
    /// PCA dimension for the distance-based and Gaussian families (`pairwise-*`, `gaussian`)
    /// when the embedding has more columns; None = no reduction.
    pub max_dim: Option<usize>,
    /// At most this many inputs (rows) are used, chosen by a seeded content hash.
    pub max_rows: usize,
    /// Query inputs of the pairwise family (its cost is ∝ queries·K·N·K·dim).
    pub pairwise_queries: usize,
    /// Bootstrap replicates for the confidence intervals (0 = none).
    pub bootstrap: usize,
    /// Ridge ε added to covariance diagonals by the Gaussian proxy.
    pub ridge: f64,
    /// Seed of the input selection, PCA, view pairing and bootstrap.
    pub seed: u64,
}

impl Default for InfoConfig {
    fn default() -> Self {
        InfoConfig {
            estimators: Family::ALL.to_vec(),
            spaces: vec![Space::L2, Space::Raw],
            scales: vec![0.05, 0.1, 0.2, 0.4],
            raw_scales: None,
            betas: vec![0.0, 0.25, 0.5, 1.0, 2.0],
            k: 3,
            pca_dim: Some(16),
            max_dim: Some(256),
            max_rows: 4096,
            pairwise_queries: 32,
            bootstrap: 50,
            ridge: 1e-6,
            seed: 0,
        }
    }
}

/// What to measure: one tensor's outputs (all rows are inputs in the same order).
#[derive(Debug, Clone, Copy)]
pub struct InfoInputs<'a> {
    /// Tensor name written into every row (e.g. `online.projector`).
    pub tensor: &'a str,
    /// Online output on the N clean inputs, N×d.
    pub online: Rows<'a>,
    /// Online output on the K transforms of each input, N×K×d.
    pub views: Option<Views<'a>>,
    /// Target output on the same views, N×K×d (requires `views`).
    pub target: Option<Views<'a>>,
    /// K of H(T) = ln K; None = the K of `views`.
    pub k_transforms: Option<usize>,
}

/// Input that no estimate can be computed from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InfoError {
    /// Shapes do not fit together.
    #[error("info: {0}")]
    Shape(String),
    /// NaN or infinite entries.
    #[error("info: {0} holds NaN or infinite values")]
    NonFinite(&'static str),
    /// A setting is out of range.
    #[error("info config: {0}")]
    Config(String),
}

impl InfoConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), InfoError> {
        let bad = |m: String| Err(InfoError::Config(m));
        let scales_ok = |s: &[f64]| s.iter().all(|v| v.is_finite() && *v > 0.0);
        if !scales_ok(&self.scales) {
            return bad(format!(
                "scales must be finite and > 0, got {:?}",
                self.scales
            ));
        }
        if let Some(r) = &self.raw_scales {
            if !scales_ok(r) {
                return bad(format!("raw_scales must be finite and > 0, got {r:?}"));
            }
        }
        if !self.betas.iter().all(|b| b.is_finite()) {
            return bad("betas must be finite".into());
        }
        if self.k == 0 {
            return bad("k must be at least 1".into());
        }
        if self.pca_dim == Some(0) || self.max_dim == Some(0) {
            return bad("pca_dim and max_dim must be at least 1".into());
        }
        if self.max_rows < 2 {
            return bad("max_rows must be at least 2".into());
        }
        if self.pairwise_queries == 0 {
            return bad("pairwise_queries must be at least 1".into());
        }
        if !(self.ridge.is_finite() && self.ridge >= 0.0) {
            return bad("ridge must be finite and >= 0".into());
        }
        Ok(())
    }

    pub(super) fn scales_for(&self, space: Space) -> &[f64] {
        match (space, &self.raw_scales) {
            (Space::Raw, Some(r)) => r,
            _ => &self.scales,
        }
    }

    pub(super) fn has(&self, f: Family) -> bool {
        self.estimators.contains(&f)
    }
}
