//! Information quantities of a snapshot at explicit scales (DESIGN §5; collapse.md §3):
//! pure functions from ndarray arrays to [`InfoRow`]s and [`LagrangianRow`]s, in nats.
//!
//! # What is measured
//!
//! Inputs: the online network's output on the N clean probe inputs (`online`, N×d), on the K
//! probe transforms of each input (`views`, N×K×d: V = f(t(X)), t uniform on K transforms, so
//! H(T) = ln K), and the target network's output on the same views (`target`, N×K×d: V').
//! Without `target`, V' is the online output itself on the other views (SimSiam / Barlow Twins,
//! g = f).
//!
//! Each estimator family runs in the spaces of [`InfoConfig::spaces`]: `l2` (rows scaled to unit
//! norm in the full dimension, then reduced) and `raw`. Scales are absolute, in the units of the
//! space (PCA is an isometry on the kept axes, so reduction does not change units).
//!
//! | estimator | quantities | scale | space dim | pairing / sample |
//! |---|---|---|---|---|
//! | `kl` | H(V) | none | `pca_dim` | the N clean rows (Kozachenko–Leonenko, k, max-norm) |
//! | `ksg1` | I(V;V') | none | `pca_dim` | N pairs: per input one view a and one view b ≠ a, drawn with the seed; V = online(view a), V' = target(view b) |
//! | `kl-minus-ksg1` | H(V\|V') | none | `pca_dim` | H_KL(V of the pairs) − I_KSG1 |
//! | `gaussian` | H(V); I(V;V'), H(V\|V') | none | `max_dim` | clean rows; the same N pairs |
//! | `binned` | H(V), H(V\|X), I(X;V), I(V;V'), H(V\|V') | bin width ε | `pca_dim` | ε-grid cells floor(v/ε); all N·K views; all K×K view pairs (a, b) of each input |
//! | `merge` | same | ε | `pca_dim` | single-linkage components at Euclidean distance < ε (views closer than ε merged, transitively); all views / K×K pairs |
//! | `pairwise-kl`, `pairwise-bhat` | same | noise σ | `max_dim` | Gaussian channel V + σN(0,I), KL (upper) / Bhattacharyya (lower) pairwise functional, information part (see `pairwise.rs`); H(V) and the pair terms averaged over the first `pairwise_queries` inputs as query points against all N·K mixture components |
//!
//! The K×K pairs of the plug-in families make t and t' independent and uniform (t' = t
//! included), which is the setting of the theorem; the table of collapse.md §3 holds exactly.
//! Without views only H(V) is reported by the plug-in and pairwise families (over the N clean
//! rows), and no pair quantity.
//!
//! Lagrangian rows (for `binned`, `merge`, `pairwise-kl`, `pairwise-bhat`, every β of `betas`)
//! need all of H(V), H(V|X), I(X;V), I(V;V'), H(V|V') finite at the scale:
//! `LB_measured = I(X;V) − β·I(V;V')`, `LB_theorem = (1−β)H(V) + βH(V|V') − ln K`,
//! `gap = ln K − H(V|X)`. Since every family has I(X;V) = H(V) − H(V|X) and
//! H(V|V') = H(V) − I(V;V') with one H(V), `LB_theorem − LB_measured = −gap` exactly.
//!
//! # Sampling and determinism
//!
//! Inputs are ranked by a seeded hash of their content (clean row, views, target); the first
//! `max_rows` are used and the first `pairwise_queries` of them are the pairwise query inputs.
//! The result therefore does not depend on the row order of the snapshot (up to rounding), and
//! is identical for identical inputs and seed. Bootstrap: `bootstrap` replicates resample the
//! used inputs with replacement (seeded), 95 % percentile interval; for `kl` the per-point terms
//! ln r_i are resampled with the neighbours of the full sample (a resample with duplicate rows
//! would give −∞).

mod discrete;
mod pairwise;
mod prep;

#[cfg(test)]
mod tests;

use crate::analysis::{Rows, Views};
use ib_estimators::knn::neighbors::{kth_neighbor_distances, Points};
use ib_estimators::{
    gaussian_conditional_entropy, gaussian_entropy, gaussian_mutual_information, kl_entropy,
    ksg_mutual_information, Estimate, KnnParams, KsgAlgorithm,
};
use ib_reports::record::{InfoRow, LagrangianRow};
use ndarray::{Array2, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use discrete::{grid_labels, linkage_labels, DiscreteData, DiscreteValues};
use pairwise::{h_joint, Distances, Kernel};
use prep::{fit_pca, input_order, input_rng, l2_normalise, mix, Reduction};

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

    fn scales_for(&self, space: Space) -> &[f64] {
        match (space, &self.raw_scales) {
            (Space::Raw, Some(r)) => r,
            _ => &self.scales,
        }
    }

    fn has(&self, f: Family) -> bool {
        self.estimators.contains(&f)
    }
}

/// Row-building context of one tensor and space.
struct Ctx<'a> {
    tensor: &'a str,
    space: Space,
    rows: usize,
    seed: u64,
    out: Vec<InfoRow>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        quantity: &str,
        estimator: &str,
        scale: Option<f64>,
        dim: usize,
        value: f64,
        ci: Option<(f64, f64)>,
        warnings: Vec<String>,
    ) {
        let (value, nonfinite) = finite_or_word(value);
        self.out.push(InfoRow {
            tensor: self.tensor.to_string(),
            quantity: quantity.to_string(),
            estimator: estimator.to_string(),
            space: self.space.as_str().to_string(),
            scale,
            dim,
            value,
            nonfinite,
            ci: if value.is_some() { ci } else { None },
            rows: Some(self.rows),
            seed: Some(self.seed),
            warnings,
        });
    }

    /// A row from an estimator result: degenerate estimates become value None with the true
    /// value's word (`degenerate_word`) and the warnings.
    #[allow(clippy::too_many_arguments)]
    fn push_estimate(
        &mut self,
        quantity: &str,
        estimator: &str,
        dim: usize,
        est: Result<Estimate, ib_estimators::EstimatorError>,
        degenerate_word: f64,
        ci: Option<(f64, f64)>,
        extra: &[String],
    ) {
        let mut warnings: Vec<String> = extra.to_vec();
        match est {
            Ok(e) => {
                warnings.extend(e.warning_messages());
                let v = if e.degenerate {
                    degenerate_word
                } else {
                    e.value
                };
                self.push(quantity, estimator, None, dim, v, ci, warnings);
            }
            Err(err) => {
                warnings.push(format!("not computed: {err}"));
                self.push(quantity, estimator, None, dim, f64::NAN, None, warnings);
            }
        }
    }
}

fn finite_or_word(v: f64) -> (Option<f64>, Option<String>) {
    if v.is_finite() {
        (Some(v), None)
    } else if v.is_nan() {
        (None, Some("nan".into()))
    } else if v > 0.0 {
        (None, Some("inf".into()))
    } else {
        (None, Some("-inf".into()))
    }
}

/// Percentile (linear interpolation between order statistics) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// 95 % percentile interval of bootstrap replicates; None unless ≥ 90 % of them are finite.
fn interval(mut reps: Vec<f64>, wanted: usize) -> Option<(f64, f64)> {
    reps.retain(|v| v.is_finite());
    if wanted == 0 || reps.len() * 10 < wanted * 9 || reps.is_empty() {
        return None;
    }
    reps.sort_by(f64::total_cmp);
    Some((percentile(&reps, 0.025), percentile(&reps, 0.975)))
}

/// Multiplicity vectors of `b` bootstrap resamples of `n` inputs (seeded).
fn bootstrap_weights(n: usize, b: usize, seed: u64, salt: u64) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(mix(seed ^ salt));
    (0..b)
        .map(|_| {
            let mut m = vec![0.0; n];
            for _ in 0..n {
                m[rng.random_range(0..n)] += 1.0;
            }
            m
        })
        .collect()
}

/// Data of one space after transformation and reduction.
struct SpaceData {
    clean: Array2<f64>,
    /// N·K × dim (row x·K + a), when views exist.
    u: Option<Array2<f64>>,
    w: Option<Array2<f64>>,
    dim: usize,
    /// The PCA found kept axes of zero variance: differential entropies are −∞.
    rank_deficient: bool,
    warnings: Vec<String>,
}

fn reduce(
    clean: &Array2<f64>,
    u: Option<&Array2<f64>>,
    w: Option<&Array2<f64>>,
    dim: Option<usize>,
    seed: u64,
    base_warnings: &[String],
) -> SpaceData {
    const FIT_ROWS: usize = 4096;
    let fit_src = u.unwrap_or(clean);
    let fit_rows = fit_src.nrows().min(FIT_ROWS);
    let red: Reduction = fit_pca(fit_src.slice(ndarray::s![..fit_rows, ..]), dim, seed);
    let mut warnings = base_warnings.to_vec();
    if red.mean.is_some() {
        let total: f64 = red.variances.iter().sum();
        warnings.push(format!(
            "PCA {} -> {} axes (fitted on {} rows; kept variance {:.4e})",
            clean.ncols(),
            red.dim,
            fit_rows,
            total
        ));
        if red.zero_variance_axes > 0 {
            warnings.push(format!(
                "{} of the {} kept PCA axes have zero variance: the data span fewer dimensions \
                 (dimensional collapse)",
                red.zero_variance_axes, red.dim
            ));
        }
    }
    SpaceData {
        clean: red.apply(clean.view()),
        u: u.map(|m| red.apply(m.view())),
        w: w.map(|m| red.apply(m.view())),
        dim: red.dim,
        rank_deficient: red.zero_variance_axes > 0,
        warnings,
    }
}

/// The rows of `online` in the seeded content-hash order used to subsample inputs: its first
/// `m` rows are a seeded subsample independent of the row order.
pub fn subsample_order(online: Rows, seed: u64) -> Vec<usize> {
    input_order(online, None, None, seed)
}

/// Every information quantity of one tensor (see the module documentation), one [`InfoRow`] per
/// (quantity, estimator, space, scale) and one [`LagrangianRow`] per (β, estimator, space, scale)
/// where all parts are finite.
///
/// Errors: inconsistent shapes, fewer than 2 rows, non-finite entries, invalid configuration.
/// Degenerate data (collapse, ties, singular covariances) is not an error: such rows carry
/// `value: None`, a `nonfinite` word and warnings.
pub fn information(
    inputs: &InfoInputs,
    cfg: &InfoConfig,
) -> Result<(Vec<InfoRow>, Vec<LagrangianRow>), InfoError> {
    cfg.validate()?;
    let (n_all, d) = inputs.online.dim();
    if n_all < 2 || d == 0 {
        return Err(InfoError::Shape(format!(
            "online must be N×d with N ≥ 2 and d ≥ 1, got {n_all}×{d}"
        )));
    }
    if !inputs.online.all_finite() {
        return Err(InfoError::NonFinite("online"));
    }
    let k = match inputs.views {
        Some(v) => {
            let (n, k, dv) = v.dim();
            if n != n_all || dv != d || k == 0 {
                return Err(InfoError::Shape(format!(
                    "views must be {n_all}×K×{d} with K ≥ 1, got {n}×{k}×{dv}"
                )));
            }
            if !v.all_finite() {
                return Err(InfoError::NonFinite("views"));
            }
            Some(k)
        }
        None => None,
    };
    if let Some(t) = inputs.target {
        let Some(v) = inputs.views else {
            return Err(InfoError::Shape("target needs views".into()));
        };
        if t.dim() != v.dim() {
            return Err(InfoError::Shape(format!(
                "target must have the shape of views {:?}, got {:?}",
                v.dim(),
                t.dim()
            )));
        }
        if !t.all_finite() {
            return Err(InfoError::NonFinite("target"));
        }
    }
    let k_t = inputs.k_transforms.or(k);
    if k_t == Some(0) {
        return Err(InfoError::Config("k_transforms must be at least 1".into()));
    }

    // Input selection (content-hash order), then the arrays in that order.
    let order = input_order(inputs.online, inputs.views, inputs.target, cfg.seed);
    let n = n_all.min(cfg.max_rows);
    let sel = &order[..n];
    let clean = inputs.online.select(sel);
    let flat = |a: Views| a.select_flat(sel);
    let u_raw = inputs.views.map(flat);
    // Without a target network, V' is the online output on the other views.
    let w_raw = match (inputs.target, &u_raw) {
        (Some(t), _) => Some(flat(t)),
        (None, Some(u)) => Some(u.clone()),
        _ => None,
    };
    let mut base_warnings = Vec::new();
    if n < n_all {
        base_warnings.push(format!(
            "subsampled {n} of {n_all} inputs (seeded content hash, seed {})",
            cfg.seed
        ));
    }
    if inputs.target.is_none() && u_raw.is_some() {
        base_warnings
            .push("no target given: V' is the online output on the paired views (g = f)".into());
    }

    let mut info = Vec::new();
    let mut lagr = Vec::new();
    for &space in &cfg.spaces {
        let mut warnings = base_warnings.clone();
        let (mut c, mut u, mut w) = (clean.clone(), u_raw.clone(), w_raw.clone());
        if space == Space::L2 {
            let mut zero = l2_normalise(&mut c);
            if let Some(m) = u.as_mut() {
                zero += l2_normalise(m);
            }
            if let Some(m) = w.as_mut() {
                zero += l2_normalise(m);
            }
            if zero > 0 {
                warnings.push(format!(
                    "{zero} rows have l2 norm < 1e-12 and are not on the unit sphere"
                ));
            }
        }
        let seed = mix(cfg.seed ^ space as u64);
        let mut ctx = Ctx {
            tensor: inputs.tensor,
            space,
            rows: n,
            seed: cfg.seed,
            out: Vec::new(),
        };
        let need_lo = cfg.has(Family::Kl)
            || cfg.has(Family::Ksg)
            || cfg.has(Family::Binned)
            || cfg.has(Family::Merge);
        let need_hi = cfg.has(Family::Gaussian) || cfg.has(Family::Pairwise);
        let lo = need_lo.then(|| reduce(&c, u.as_ref(), w.as_ref(), cfg.pca_dim, seed, &warnings));
        let hi = need_hi.then(|| reduce(&c, u.as_ref(), w.as_ref(), cfg.max_dim, seed, &warnings));
        let pairs = k.map(|k| view_pairs(n, k, cfg.seed));
        let scales = cfg.scales_for(space);
        let mut families: Vec<(String, Vec<(f64, Parts)>)> = Vec::new();

        if let Some(lo) = &lo {
            if cfg.has(Family::Kl) {
                kl_rows(&mut ctx, lo, cfg);
            }
            if cfg.has(Family::Ksg) {
                if let Some(p) = &pairs {
                    ksg_rows(&mut ctx, lo, p, cfg);
                }
            }
            for (fam, name) in [(Family::Binned, "binned"), (Family::Merge, "merge")] {
                if cfg.has(fam) {
                    let parts = plugin_rows(&mut ctx, lo, k, fam, name, scales, cfg);
                    families.push((name.to_string(), parts));
                }
            }
        }
        if let Some(hi) = &hi {
            if cfg.has(Family::Gaussian) {
                gaussian_rows(&mut ctx, hi, pairs.as_deref(), cfg);
            }
            if cfg.has(Family::Pairwise) {
                families.extend(pairwise_rows(&mut ctx, hi, k, scales, cfg));
            }
        }
        if let Some(kt) = k_t {
            let h_t = (kt as f64).ln();
            for (name, parts) in &families {
                for (scale, p) in parts {
                    let Some(p) = p.complete() else { continue };
                    for &beta in &cfg.betas {
                        lagr.push(LagrangianRow {
                            tensor: inputs.tensor.to_string(),
                            beta,
                            estimator: name.clone(),
                            space: space.as_str().to_string(),
                            scale: Some(*scale),
                            measured: p.i_xv - beta * p.i_vv,
                            theorem: (1.0 - beta) * p.h_v + beta * p.h_v_vp - h_t,
                            gap: h_t - p.h_vx,
                        });
                    }
                }
            }
        }
        info.extend(ctx.out);
    }
    Ok((info, lagr))
}

/// The parts of a Lagrangian at one scale.
#[derive(Debug, Clone, Copy, Default)]
struct Parts {
    h_v: Option<f64>,
    h_vx: Option<f64>,
    i_xv: Option<f64>,
    i_vv: Option<f64>,
    h_v_vp: Option<f64>,
}

struct Complete {
    h_v: f64,
    h_vx: f64,
    i_xv: f64,
    i_vv: f64,
    h_v_vp: f64,
}

impl Parts {
    fn complete(&self) -> Option<Complete> {
        let f = |v: Option<f64>| v.filter(|x| x.is_finite());
        Some(Complete {
            h_v: f(self.h_v)?,
            h_vx: f(self.h_vx)?,
            i_xv: f(self.i_xv)?,
            i_vv: f(self.i_vv)?,
            h_v_vp: f(self.h_v_vp)?,
        })
    }
}

/// Per input (in the used order): (view a of V, view b of V'), b ≠ a when K ≥ 2, seeded.
fn view_pairs(n: usize, k: usize, seed: u64) -> Vec<(usize, usize)> {
    (0..n)
        .map(|x| {
            let mut rng = input_rng(seed, x, 0x9A1_5EED);
            let a = rng.random_range(0..k);
            let b = if k >= 2 {
                (a + 1 + rng.random_range(0..k - 1)) % k
            } else {
                a
            };
            (a, b)
        })
        .collect()
}

fn pair_matrices(sd: &SpaceData, pairs: &[(usize, usize)]) -> Option<(Array2<f64>, Array2<f64>)> {
    let (u, w) = (sd.u.as_ref()?, sd.w.as_ref()?);
    let k = u.nrows() / pairs.len();
    let iu: Vec<usize> = pairs
        .iter()
        .enumerate()
        .map(|(x, &(a, _))| x * k + a)
        .collect();
    let iw: Vec<usize> = pairs
        .iter()
        .enumerate()
        .map(|(x, &(_, b))| x * k + b)
        .collect();
    Some((u.select(Axis(0), &iu), w.select(Axis(0), &iw)))
}

fn kl_rows(ctx: &mut Ctx, sd: &SpaceData, cfg: &InfoConfig) {
    let Ok(params) = KnnParams::new(cfg.k) else {
        return;
    };
    let est = kl_entropy(sd.clean.view(), &params).map(|mut e| {
        e.degenerate |= sd.rank_deficient;
        e
    });
    // Bootstrap the per-point terms ln r_i with the full sample's neighbours.
    let ci = match (&est, cfg.bootstrap) {
        (Ok(e), b) if b > 0 && !e.degenerate && e.value.is_finite() => Points::new(sd.clean.view())
            .and_then(|p| kth_neighbor_distances(&p, params.k, params.norm, params.search))
            .ok()
            .and_then(|r| {
                let n = r.len();
                let ln_r: Vec<f64> = r.iter().map(|v| v.ln()).collect();
                let mean = ln_r.iter().sum::<f64>() / n as f64;
                let dimf = sd.dim as f64;
                let reps = bootstrap_weights(n, b, cfg.seed, 0x4B1)
                    .iter()
                    .map(|m| {
                        let rm = m.iter().zip(&ln_r).map(|(w, l)| w * l).sum::<f64>() / n as f64;
                        e.value + dimf * (rm - mean)
                    })
                    .collect();
                interval(reps, b)
            }),
        _ => None,
    };
    let extra = sd.warnings.clone();
    ctx.push_estimate("H(V)", "kl", sd.dim, est, f64::NEG_INFINITY, ci, &extra);
}

fn ksg_rows(ctx: &mut Ctx, sd: &SpaceData, pairs: &[(usize, usize)], cfg: &InfoConfig) {
    let Some((v, vp)) = pair_matrices(sd, pairs) else {
        return;
    };
    let Ok(params) = KnnParams::new(cfg.k) else {
        return;
    };
    let mut extra = sd.warnings.clone();
    extra.push(format!(
        "{} pairs: one (view a, view b≠a) per input, seeded",
        pairs.len()
    ));
    let i = ksg_mutual_information(v.view(), vp.view(), &params, KsgAlgorithm::One);
    let h = kl_entropy(v.view(), &params);
    let cond = match (&i, &h) {
        (Ok(i), Ok(h)) => {
            let mut e = h.clone();
            e.value = h.value - i.value;
            e.degenerate = h.degenerate || i.degenerate;
            e.warnings.extend(i.warnings.iter().cloned());
            Ok(e)
        }
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    // Degenerate KSG (ties, collapse) is an artefact: the value is undefined.
    ctx.push_estimate("I(V;V')", "ksg1", sd.dim, i, f64::NAN, None, &extra);
    ctx.push_estimate(
        "H(V|V')",
        "kl-minus-ksg1",
        sd.dim,
        cond,
        f64::NAN,
        None,
        &extra,
    );
}

/// Columns of `m` that never change.
fn constant_columns(m: &Array2<f64>) -> usize {
    m.columns()
        .into_iter()
        .filter(|c| c.iter().all(|&v| v == c[0]))
        .count()
}

fn gaussian_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    pairs: Option<&[(usize, usize)]>,
    cfg: &InfoConfig,
) {
    // The ridge keeps a singular covariance finite; the true differential entropy of data with
    // constant (or zero-variance PCA) columns is −∞, so such entropies are not reported as numbers.
    let singular = |m: &Array2<f64>, extra: &mut Vec<String>| -> bool {
        let c = constant_columns(m);
        if c > 0 {
            extra.push(format!(
                "{c} of {} columns are constant: the differential entropy is -inf",
                m.ncols()
            ));
        }
        c > 0 || sd.rank_deficient
    };
    let mark = |e: Result<Estimate, ib_estimators::EstimatorError>, deg: bool| {
        e.map(|mut e| {
            e.degenerate |= deg;
            e
        })
    };
    let mut extra = sd.warnings.clone();
    let deg = singular(&sd.clean, &mut extra);
    let h = mark(gaussian_entropy(sd.clean.view(), cfg.ridge), deg);
    ctx.push_estimate(
        "H(V)",
        "gaussian",
        sd.dim,
        h,
        f64::NEG_INFINITY,
        None,
        &extra,
    );
    if let Some((v, vp)) = pairs.and_then(|p| pair_matrices(sd, p)) {
        let mut extra = sd.warnings.clone();
        let deg_v = singular(&v, &mut extra);
        let i = gaussian_mutual_information(v.view(), vp.view(), cfg.ridge);
        ctx.push_estimate("I(V;V')", "gaussian", sd.dim, i, f64::NAN, None, &extra);
        let c = mark(
            gaussian_conditional_entropy(v.view(), vp.view(), cfg.ridge),
            deg_v,
        );
        ctx.push_estimate(
            "H(V|V')",
            "gaussian",
            sd.dim,
            c,
            f64::NEG_INFINITY,
            None,
            &extra,
        );
    }
}

/// Rows of a plug-in family; returns the Lagrangian parts per scale.
fn plugin_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    k: Option<usize>,
    fam: Family,
    name: &str,
    scales: &[f64],
    cfg: &InfoConfig,
) -> Vec<(f64, Parts)> {
    let (points, kk) = match (&sd.u, k) {
        (Some(u), Some(k)) => (u, k),
        _ => (&sd.clean, 1),
    };
    let with_views = k.is_some();
    let n = points.nrows() / kk;
    let labels_u: Vec<Vec<usize>> = match fam {
        Family::Merge => linkage_labels(points.view(), scales),
        _ => scales
            .iter()
            .map(|&e| grid_labels(points.view(), e))
            .collect(),
    };
    // V' = V exactly (no target network, or one equal to the online network): same labels.
    let labels_w: Option<Vec<Vec<usize>>> = sd.w.as_ref().filter(|_| with_views).map(|w| {
        if sd.u.as_ref() == Some(w) {
            return labels_u.clone();
        }
        match fam {
            Family::Merge => linkage_labels(w.view(), scales),
            _ => scales.iter().map(|&e| grid_labels(w.view(), e)).collect(),
        }
    });
    let weights = bootstrap_weights(n, cfg.bootstrap, cfg.seed, 0xD15C);
    let ones = vec![1.0; n];
    let mut parts = Vec::new();
    for (s, &scale) in scales.iter().enumerate() {
        let data = DiscreteData::new(
            n,
            kk,
            &labels_u[s],
            labels_w.as_ref().map(|l| l[s].as_slice()),
        );
        let v = data.evaluate(&ones);
        let reps: Vec<DiscreteValues> = weights.iter().map(|m| data.evaluate(m)).collect();
        let ci = |f: &dyn Fn(&DiscreteValues) -> f64| {
            interval(reps.iter().map(f).collect(), cfg.bootstrap)
        };
        let mut warns = sd.warnings.clone();
        let cells = labels_u[s].iter().max().map_or(0, |m| m + 1);
        if cells == points.nrows() && points.nrows() > 1 {
            warns.push(format!(
                "every one of the {} points has its own cell at this scale: H(V) = ln of the sample size",
                points.nrows()
            ));
        }
        let sc = Some(scale);
        ctx.push(
            "H(V)",
            name,
            sc,
            sd.dim,
            v.h_v,
            ci(&|r| r.h_v),
            warns.clone(),
        );
        let mut p = Parts {
            h_v: Some(v.h_v),
            ..Parts::default()
        };
        if with_views {
            ctx.push(
                "H(V|X)",
                name,
                sc,
                sd.dim,
                v.h_vx,
                ci(&|r| r.h_vx),
                warns.clone(),
            );
            ctx.push(
                "I(X;V)",
                name,
                sc,
                sd.dim,
                v.i_xv,
                ci(&|r| r.i_xv),
                warns.clone(),
            );
            p.h_vx = Some(v.h_vx);
            p.i_xv = Some(v.i_xv);
            if let Some((i, h)) = v.pair {
                let ci_i = ci(&|r| r.pair.map_or(f64::NAN, |x| x.0));
                let ci_h = ci(&|r| r.pair.map_or(f64::NAN, |x| x.1));
                ctx.push("I(V;V')", name, sc, sd.dim, i, ci_i, warns.clone());
                ctx.push("H(V|V')", name, sc, sd.dim, h, ci_h, warns.clone());
                p.i_vv = Some(i);
                p.h_v_vp = Some(h);
            }
        }
        parts.push((scale, p));
    }
    parts
}

/// Rows of the pairwise family (`pairwise-kl`, `pairwise-bhat`).
fn pairwise_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    k: Option<usize>,
    scales: &[f64],
    cfg: &InfoConfig,
) -> Vec<(String, Vec<(f64, Parts)>)> {
    let (points, kk) = match (&sd.u, k) {
        (Some(u), Some(k)) => (u, k),
        _ => (&sd.clean, 1),
    };
    let with_views = k.is_some();
    let n = points.nrows() / kk;
    let nq = cfg.pairwise_queries.min(n);
    let du = Distances::new(points.view(), n, kk, nq);
    let w_same = sd.w.is_some() && sd.w == sd.u;
    let dw =
        sd.w.as_ref()
            .filter(|_| with_views && !w_same)
            .map(|w| Distances::new(w.view(), n, kk, nq));
    // Widths: σ (KL) and 2σ (Bhattacharyya), each computed once.
    let mut widths: Vec<f64> = scales.iter().flat_map(|&s| [s, 2.0 * s]).collect();
    widths.sort_by(f64::total_cmp);
    widths.dedup();
    struct At {
        h_v: f64,
        h_vx: f64,
        ci_h_v: Option<(f64, f64)>,
        ci_h_vx: Option<(f64, f64)>,
        ci_i_xv: Option<(f64, f64)>,
        pair: Option<(f64, f64)>,
    }
    let weights = bootstrap_weights(n, cfg.bootstrap, cfg.seed, 0xBA12);
    let ones = vec![1.0; n];
    // Largest width first, so that halvings reuse the kernel values (see `Kernel::new`).
    widths.reverse();
    let (mut eu, mut ew) = (None, None);
    let at: Vec<At> = widths
        .iter()
        .map(|&s| {
            let kv = Kernel::new(&du, s, &mut eu);
            let h_v = kv.h_v(kk, &ones).unwrap_or(f64::NAN);
            let h_vx = kv.h_vx(&ones);
            let (mut r_hv, mut r_hvx, mut r_i) = (Vec::new(), Vec::new(), Vec::new());
            for m in &weights {
                let hv = kv.h_v(kk, m).unwrap_or(f64::NAN);
                let hvx = kv.h_vx(m);
                r_hv.push(hv);
                r_hvx.push(hvx);
                r_i.push(hv - hvx);
            }
            let pair = if w_same && with_views {
                let h_j = h_joint(&kv, &kv, kk);
                Some((2.0 * h_v - h_j, h_j - h_v))
            } else {
                dw.as_ref().map(|dw| {
                    let kw = Kernel::new(dw, s, &mut ew);
                    let h_w = kw.h_v(kk, &ones).unwrap_or(f64::NAN);
                    let h_j = h_joint(&kv, &kw, kk);
                    (h_v + h_w - h_j, h_j - h_w)
                })
            };
            At {
                h_v,
                h_vx,
                ci_h_v: interval(r_hv, cfg.bootstrap),
                ci_h_vx: interval(r_hvx, cfg.bootstrap),
                ci_i_xv: interval(r_i, cfg.bootstrap),
                pair,
            }
        })
        .collect();
    let find = |s: f64| &at[widths.iter().position(|&w| w == s).expect("width computed")];
    let mut out = Vec::new();
    for (name, factor) in [("pairwise-kl", 1.0), ("pairwise-bhat", 2.0)] {
        let mut parts = Vec::new();
        for &sigma in scales {
            let a = find(factor * sigma);
            let mut warns = sd.warnings.clone();
            if nq < n {
                warns.push(format!(
                    "H(V) and the pair terms averaged over {nq} of {n} query inputs"
                ));
            }
            let sc = Some(sigma);
            ctx.push("H(V)", name, sc, sd.dim, a.h_v, a.ci_h_v, warns.clone());
            let mut p = Parts {
                h_v: Some(a.h_v),
                ..Parts::default()
            };
            if with_views {
                let i_xv = a.h_v - a.h_vx;
                ctx.push("H(V|X)", name, sc, sd.dim, a.h_vx, a.ci_h_vx, warns.clone());
                ctx.push("I(X;V)", name, sc, sd.dim, i_xv, a.ci_i_xv, warns.clone());
                p.h_vx = Some(a.h_vx);
                p.i_xv = Some(i_xv);
                if let Some((i, h)) = a.pair {
                    ctx.push("I(V;V')", name, sc, sd.dim, i, None, warns.clone());
                    ctx.push("H(V|V')", name, sc, sd.dim, h, None, warns.clone());
                    p.i_vv = Some(i);
                    p.h_v_vp = Some(h);
                }
            }
            parts.push((sigma, p));
        }
        out.push((name.to_string(), parts));
    }
    out
}
