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
    /// Online output on the K transforms of each of N′ inputs, N′×K×d (N′ ≥ 2). With N′ = N
    /// row i of `views` belongs to input i of `online`; otherwise the views are of other (or
    /// some of the same) inputs and are sampled on their own.
    pub views: Option<Views<'a>>,
    /// Target output on the same views, N′×K×d (requires `views`).
    pub target: Option<Views<'a>>,
    /// H(T) in nats when it is known (ln K for K fixed, equiprobable transforms); None: the
    /// theorem form of the Lagrangian and the gap are not reported.
    pub h_t: Option<f64>,
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

/// Most bootstrap replicates (`info.bootstrap`). A 95 % percentile interval is stable with
/// 1000–2000 replicates (Efron & Tibshirani 1993, §13.3); every replicate re-weights the inputs
/// with its own multiplicity vector of N f64 (all held at once, N ≤ `info.max_rows`) and
/// re-evaluates the estimators, so its memory and time grow with the count.
pub const MAX_BOOTSTRAP: usize = 10_000;

/// Most bootstrap multiplicity weights held at once, `info.bootstrap` × `info.max_rows` (f64:
/// 2 GiB). The replicates' weight vectors are drawn together, one per replicate, each as long
/// as the rows used (at most `info.max_rows`); the defaults hold 50 × 4096.
pub const MAX_BOOTSTRAP_WEIGHTS: usize = 1 << 28;

/// Most entries of `info.scales`, `info.raw_scales` and `info.betas`: each scale runs the
/// plug-in and pairwise families once more on every snapshot, each β adds a Lagrangian row per
/// estimate; a curve over scales needs a handful of points (the default has 4 scales, 5 β).
pub const MAX_GRID: usize = 100;

/// Largest β of `info.betas`. For large β the Lagrangian I(X;V) − β·I(V;V') is −β·I(V;V')
/// scaled; near the end of f64's range the product overflows to ±∞, which `run.json` (strict
/// JSON) cannot hold.
pub const MAX_BETA: f64 = 1e6;

/// Largest neighbour order `info.k`: the kNN estimators are used with k of a few (Kraskov et
/// al. 2004 use 2–4), each query keeps k + 1 candidates and the cost grows with k; k must also
/// stay below the number of rows (checked where the rows are known).
pub const MAX_K: usize = 1000;

impl InfoConfig {
    /// Checks every setting; the message names the key (`info.KEY`) and the accepted range.
    pub fn validate(&self) -> Result<(), InfoError> {
        let bad = |m: String| Err(InfoError::Config(m));
        let scales_ok = |s: &[f64]| s.iter().all(|v| v.is_finite() && *v > 0.0);
        if !scales_ok(&self.scales) {
            return bad(format!(
                "info.scales must be finite and > 0, got {:?}",
                self.scales
            ));
        }
        if let Some(r) = &self.raw_scales {
            if !scales_ok(r) {
                return bad(format!("info.raw_scales must be finite and > 0, got {r:?}"));
            }
        }
        if !self.betas.iter().all(|b| (0.0..=MAX_BETA).contains(b)) {
            return bad(format!(
                "info.betas must be in [0, {MAX_BETA:e}] (β weighs I(V;V') in the Lagrangian), got {:?}",
                self.betas
            ));
        }
        for (key, len) in [
            ("info.scales", self.scales.len()),
            (
                "info.raw_scales",
                self.raw_scales.as_ref().map_or(0, Vec::len),
            ),
            ("info.betas", self.betas.len()),
        ] {
            if len > MAX_GRID {
                return bad(format!(
                    "{key} has {len} entries, more than {MAX_GRID}: each one is computed on every \
                     snapshot; give a few points of the curve"
                ));
            }
        }
        for (i, f) in self.estimators.iter().enumerate() {
            if self.estimators[..i].contains(f) {
                let name = serde_json::to_string(f).unwrap_or_default();
                return bad(format!("info.estimators lists {name} twice"));
            }
        }
        for (i, s) in self.spaces.iter().enumerate() {
            if self.spaces[..i].contains(s) {
                return bad(format!("info.spaces lists \"{}\" twice", s.as_str()));
            }
        }
        if self.k == 0 {
            return bad("info.k must be at least 1".into());
        }
        if self.k > MAX_K {
            return bad(format!(
                "info.k = {} is above {MAX_K}: the kNN estimators use a few neighbours (3 by default)",
                self.k
            ));
        }
        if self.pca_dim == Some(0) || self.max_dim == Some(0) {
            return bad("info.pca_dim and info.max_dim must be at least 1".into());
        }
        if self.max_rows < 2 {
            return bad("info.max_rows must be at least 2".into());
        }
        if self.pairwise_queries == 0 {
            return bad("info.pairwise_queries must be at least 1".into());
        }
        if self.bootstrap > MAX_BOOTSTRAP {
            return bad(format!(
                "info.bootstrap = {} is above {MAX_BOOTSTRAP} replicates: a 95 % interval is stable \
                 with 1000-2000, and every replicate holds N weights and re-runs the estimators \
                 (0 turns the intervals off)",
                self.bootstrap
            ));
        }
        if self.bootstrap.saturating_mul(self.max_rows) > MAX_BOOTSTRAP_WEIGHTS {
            return bad(format!(
                "info.bootstrap × info.max_rows = {} × {} is above {MAX_BOOTSTRAP_WEIGHTS} weights \
                 (2 GiB): every replicate holds one weight per row used; lower info.bootstrap or \
                 info.max_rows",
                self.bootstrap, self.max_rows
            ));
        }
        if !(self.ridge.is_finite() && self.ridge >= 0.0) {
            return bad("info.ridge must be finite and >= 0".into());
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
