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

/// How the scales of the plug-in and pairwise families are chosen (`info.scales`).
///
/// `"auto"` (ARCHITECTURE.md §5): `binned` and `merge` at the widths where the analysed points
/// occupy about 50 %, 20 % and 5 % as many cells (grid cells, or single-linkage components)
/// as there are points ([`AUTO_CELL_FRACTIONS`]; rule `cells 50%`); `pairwise-*` at
/// σ = s·ρ for s in [`AUTO_PAIRWISE`], ρ = 1 on the unit sphere (`l2`, rule none: the absolute
/// scale the headline compares across runs) and the root-mean-square norm of the rows in `raw`
/// (rule `0.2×rms`). A list: absolute scales, the same at every epoch.
#[derive(Debug, Clone, PartialEq)]
pub enum Scales {
    /// Chosen from the sample at each snapshot.
    Auto,
    /// Absolute scales.
    List(Vec<f64>),
}

/// The occupancy targets of the automatic plug-in scales: cells / points.
pub const AUTO_CELL_FRACTIONS: [f64; 3] = [0.5, 0.2, 0.05];

/// The automatic pairwise widths, in units of the rows' radius (1 on the unit sphere).
pub const AUTO_PAIRWISE: [f64; 4] = [0.05, 0.1, 0.2, 0.4];

/// The scales of one space (see [`InfoConfig::scales_for`]).
pub(super) enum ScalePlan<'a> {
    Fixed(&'a [f64]),
    Auto,
}

impl Serialize for Scales {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scales::Auto => s.serialize_str("auto"),
            Scales::List(l) => l.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Scales {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Scales;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"auto\" or a list of scales (numbers > 0)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scales, E> {
                if v == "auto" {
                    Ok(Scales::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Scales, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element::<f64>()? {
                    out.push(v);
                }
                Ok(Scales::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Settings of [`information`] (the `[info]` table of the run configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InfoConfig {
    /// Estimator families to compute.
    pub estimators: Vec<Family>,
    /// Spaces to compute in.
    pub spaces: Vec<Space>,
    /// Scales (bin width ε of `binned`/`merge`, noise σ of `pairwise-*`): `"auto"` (the default:
    /// chosen from the sample, see [`Scales`]) or a list, absolute, in the units of the `l2` space
    /// (the unit sphere: distances in [0, 2]), also used for `raw` unless `raw_scales` is set.
    pub scales: Scales,
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
    /// Groups of the delete-a-group jackknife behind the confidence intervals (0 = none;
    /// `ib_estimators::interval`): each interval re-evaluates its estimator once per group.
    pub ci_groups: usize,
    /// Level of the confidence intervals, in (0, 1).
    pub ci_level: f64,
    /// Replaced by `ci_groups` (the percentile bootstrap gave intervals that exclude their own
    /// estimate): accepted by the parser only to refuse it with that advice.
    #[serde(skip_serializing)]
    pub bootstrap: Option<serde::de::IgnoredAny>,
    /// Ridge ε added to covariance diagonals by the Gaussian proxy.
    pub ridge: f64,
    /// Seed of the input selection, PCA, view pairing and jackknife groups.
    pub seed: u64,
}

impl Default for InfoConfig {
    fn default() -> Self {
        InfoConfig {
            estimators: Family::ALL.to_vec(),
            spaces: vec![Space::L2, Space::Raw],
            scales: Scales::Auto,
            raw_scales: None,
            betas: vec![0.0, 0.25, 0.5, 1.0, 2.0],
            k: 3,
            pca_dim: Some(16),
            max_dim: Some(256),
            max_rows: 4096,
            pairwise_queries: 32,
            ci_groups: ib_estimators::interval::DEFAULT_GROUPS,
            ci_level: 0.95,
            bootstrap: None,
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

/// Most jackknife groups (`info.ci_groups`): every group re-evaluates the estimators once;
/// 20 give the interval's t quantile with 19 degrees of freedom (2.09 at 95 %, against 1.96
/// with infinitely many).
pub const MAX_CI_GROUPS: usize = 1000;

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
        if let Scales::List(list) = &self.scales {
            if !scales_ok(list) {
                return bad(format!(
                    "info.scales must be \"auto\" or finite numbers > 0, got {list:?}"
                ));
            }
        }
        if let Some(r) = &self.raw_scales {
            if !scales_ok(r) {
                return bad(format!("info.raw_scales must be finite and > 0, got {r:?}"));
            }
        }
        if self.bootstrap.is_some() {
            return bad(
                "info.bootstrap was replaced by info.ci_groups: intervals now come from a \
                 delete-a-group jackknife (ARCHITECTURE.md §5); remove info.bootstrap, and set \
                 info.ci_groups = 0 to turn the intervals off"
                    .into(),
            );
        }
        if !self.betas.iter().all(|b| (0.0..=MAX_BETA).contains(b)) {
            return bad(format!(
                "info.betas must be in [0, {MAX_BETA:e}] (β weighs I(V;V') in the Lagrangian), got {:?}",
                self.betas
            ));
        }
        for (key, len) in [
            (
                "info.scales",
                match &self.scales {
                    Scales::Auto => 0,
                    Scales::List(l) => l.len(),
                },
            ),
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
        if self.ci_groups == 1 || self.ci_groups > MAX_CI_GROUPS {
            return bad(format!(
                "info.ci_groups = {} must be 0 (no intervals) or 2 to {MAX_CI_GROUPS}: each group \
                 re-evaluates the estimators once (20 by default)",
                self.ci_groups
            ));
        }
        if !(self.ci_level > 0.0 && self.ci_level < 1.0) {
            return bad(format!(
                "info.ci_level must be in (0, 1), e.g. 0.95, got {}",
                self.ci_level
            ));
        }
        if !(self.ridge.is_finite() && self.ridge >= 0.0) {
            return bad("info.ridge must be finite and >= 0".into());
        }
        Ok(())
    }

    /// The scales of the plug-in and pairwise families in `space`: a list from the
    /// configuration, or the rules chosen from the sample ([`Scales::Auto`]).
    pub(super) fn scales_for(&self, space: Space) -> ScalePlan<'_> {
        match (space, &self.raw_scales, &self.scales) {
            (Space::Raw, Some(r), _) => ScalePlan::Fixed(r),
            (_, _, Scales::List(l)) => ScalePlan::Fixed(l),
            (_, _, Scales::Auto) => ScalePlan::Auto,
        }
    }

    pub(super) fn has(&self, f: Family) -> bool {
        self.estimators.contains(&f)
    }
}
