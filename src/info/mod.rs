//! Information quantities of a snapshot at explicit scales (ARCHITECTURE.md §5):
//! pure functions from ndarray arrays to [`InfoRow`]s and [`LagrangianRow`]s, in nats.
//!
//! # What is measured
//!
//! Inputs: the online network's output on the N clean probe inputs (`online`, N×d), on the K
//! probe transforms of each of N′ inputs (`views`, N′×K×d: V = f(t(X)); for K fixed
//! equiprobable transforms H(T) = ln K), and the target network's output on the same views
//! (`target`, N′×K×d: V'). N′ = N: the same inputs; otherwise see ARCHITECTURE.md §5.
//! Without `target`, V' is the online output itself on the other views (SimSiam / Barlow Twins,
//! g = f).
//!
//! Each estimator family runs in the spaces of [`InfoConfig::spaces`]: `l2` (rows scaled to unit
//! norm in the full dimension, then reduced) and `raw`. Scales are absolute, in the units of the
//! space (PCA is an isometry on the kept axes, so reduction does not change units): listed in
//! the configuration, or chosen from the sample (`"auto"`, each row naming its `scale_rule`).
//!
//! | estimator | quantities | scale | space dim | pairing / sample |
//! |---|---|---|---|---|
//! | `kl` | H(V) | none | `pca_dim` | the N clean rows (Kozachenko–Leonenko, k, max-norm) |
//! | `ksg1` | I(V;V') | none | `pca_dim` | N pairs: per input one view a and one view b ≠ a, drawn with the seed; V = online(view a), V' = target(view b) |
//! | `kl-minus-ksg1` | H(V\|V') | none | `pca_dim` | H_KL(V of the pairs) − I_KSG1 |
//! | `gaussian` | H(V); I(V;V'), H(V\|V') | none | `max_dim` | clean rows; the same N pairs |
//! | `binned` | H(V), H(V\|X), I(X;V), I(V;V'), H(V\|V') | bin width ε (auto: 50/20/5 % occupancy) | `pca_dim` | ε-grid cells floor((v − o)/ε), o = 0 for listed scales, the column minima for automatic ones; all N·K views; all K×K view pairs (a, b) of each input |
//! | `merge` | same | ε (auto: 50/20/5 % occupancy) | `pca_dim` | single-linkage components at Euclidean distance < ε (views closer than ε merged, transitively); all views / K×K pairs |
//! | `pairwise-kl`, `pairwise-bhat` | same | noise σ (auto: s on the sphere, s·rms raw) | `max_dim` | Gaussian channel V + σN(0,I), KL (upper) / Bhattacharyya (lower) pairwise functional, information part (see [`ib_estimators::pairwise`]); H(V) and the pair terms averaged over the first `pairwise_queries` inputs as query points against all N·K mixture components |
//!
//! The K×K pairs of the plug-in families make t and t' independent and uniform (t' = t
//! included), which is the setting of the theorem, whose identities (ARCHITECTURE.md §5) hold exactly.
//! Without views only H(V) is reported by the plug-in and pairwise families (over the N clean
//! rows), and no pair quantity.
//!
//! Lagrangian rows (for `binned`, `merge`, `pairwise-kl`, `pairwise-bhat`, every β of `betas`)
//! need all of H(V), H(V|X), I(X;V), I(V;V'), H(V|V') finite at the scale:
//! `LB_measured = I(X;V) − β·I(V;V')`, `LB_theorem = (1−β)H(V) + βH(V|V') − H(T)`,
//! `gap = H(T) − H(V|X)` (the last two only when H(T) is given, [`InfoInputs::h_t`]). Rows on a
//! saturated plug-in estimate (ARCHITECTURE.md §5) have no Lagrangian row. Since every family
//! has I(X;V) = H(V) − H(V|X) and H(V|V') = H(V) − I(V;V') with one H(V),
//! `LB_theorem − LB_measured = −gap` exactly.
//!
//! # Sampling and determinism
//!
//! Inputs are ranked by a seeded hash of their content (clean row, views, target); the first
//! `max_rows` are used and the first `pairwise_queries` of them are the pairwise query inputs.
//! The result therefore does not depend on the row order of the snapshot (up to rounding), and
//! is identical for identical inputs and seed. Intervals: the delete-a-group jackknife over
//! the used inputs (input i in group i mod `ci_groups`; `ci.rs`), ARCHITECTURE.md §5.

mod ci;
mod config;
mod families;
mod order;
mod rows;
mod space;

#[cfg(test)]
mod tests;

use ib_reports::record::{InfoRow, LagrangianRow};

use crate::analysis::{Rows, Views};

pub use config::{Family, InfoConfig, InfoError, InfoInputs, Scales, Space};

use families::{gaussian_rows, kl_rows, ksg_rows, pairwise_rows, plugin_rows};
use order::{input_order, mix, view_pairs};
use rows::{Ctx, Parts, ScalePoint};
use space::{radius, reduce, transform};

/// The rows of `online` in the seeded content-hash order used to subsample inputs: its first
/// `m` rows are a seeded subsample independent of the row order.
pub fn subsample_order(online: Rows, seed: u64) -> Vec<usize> {
    input_order(Some(online), None, None, seed)
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
            if n < 2 || dv != d || k == 0 {
                return Err(InfoError::Shape(format!(
                    "views must be N'×K×{d} with N' ≥ 2 and K ≥ 1, got {n}×{k}×{dv}"
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
    if let Some(h) = inputs.h_t {
        if !(h.is_finite() && h >= 0.0) {
            return Err(InfoError::Config(format!(
                "H(T) must be a finite number of nats >= 0, got {h}"
            )));
        }
    }

    // Input selection (content-hash order), then the arrays in that order. Views of the same
    // N inputs are ranked with their clean rows; views of other inputs on their own.
    let n_views_all = inputs.views.map(|v| v.dim().0);
    let joint = n_views_all.is_none_or(|nv| nv == n_all);
    let order = if joint {
        input_order(Some(inputs.online), inputs.views, inputs.target, cfg.seed)
    } else {
        input_order(Some(inputs.online), None, None, cfg.seed)
    };
    let n = n_all.min(cfg.max_rows);
    let clean = inputs.online.select(&order[..n]);
    let view_order = if joint {
        order
    } else {
        input_order(None, inputs.views, inputs.target, cfg.seed)
    };
    let nv = n_views_all.map_or(n, |nv| nv.min(cfg.max_rows));
    let sel = &view_order[..nv];
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
    if let Some(nv_all) = n_views_all.filter(|_| !joint) {
        base_warnings.push(format!(
            "views of {nv_all} inputs, not the {n_all} rows of the input: H(V) of kl and gaussian \
             comes from the input's rows, every other quantity from the views"
        ));
        if nv < nv_all {
            base_warnings.push(format!(
                "views: subsampled {nv} of {nv_all} inputs (seeded content hash, seed {})",
                cfg.seed
            ));
        }
    }
    if inputs.target.is_none() && u_raw.is_some() {
        base_warnings
            .push("no target given: V' is the online output on the paired views (g = f)".into());
    }

    let mut info = Vec::new();
    let mut lagr = Vec::new();
    for &space in &cfg.spaces {
        let mut warnings = base_warnings.clone();
        let (c, u, w) = transform(
            space,
            (clean.clone(), u_raw.clone(), w_raw.clone()),
            &mut warnings,
        );
        // The rows' radius of the automatic pairwise widths (1 on the unit sphere).
        let radius = match space {
            Space::L2 => 1.0,
            Space::Raw => radius(u.as_ref().unwrap_or(&c)),
        };
        let seed = mix(cfg.seed ^ space as u64);
        let mut ctx = Ctx {
            tensor: inputs.tensor,
            space,
            rows: n,
            view_rows: k.map(|_| nv),
            on_views: false,
            ci_method: None,
            seed: cfg.seed,
            out: Vec::new(),
        };
        let need_lo = cfg.has(Family::Kl)
            || cfg.has(Family::Ksg)
            || cfg.has(Family::Binned)
            || cfg.has(Family::Merge);
        let need_hi = cfg.has(Family::Gaussian) || cfg.has(Family::Pairwise);
        let reduced = |dim| reduce(&c, u.as_ref(), w.as_ref(), dim, seed, &warnings);
        let lo = need_lo.then(|| reduced(cfg.pca_dim)).transpose()?;
        let hi = need_hi.then(|| reduced(cfg.max_dim)).transpose()?;
        let pairs = k.map(|k| view_pairs(nv, k, cfg.seed));
        let plan = cfg.scales_for(space);
        let mut families: Vec<(String, Vec<(ScalePoint, Parts)>)> = Vec::new();

        if let Some(lo) = &lo {
            if cfg.has(Family::Kl) {
                ctx.on_views = false;
                kl_rows(&mut ctx, lo, cfg);
            }
            if cfg.has(Family::Ksg) {
                if let Some(p) = &pairs {
                    ctx.on_views = true;
                    ksg_rows(&mut ctx, lo, p, cfg);
                }
            }
            for (fam, name) in [(Family::Binned, "binned"), (Family::Merge, "merge")] {
                if cfg.has(fam) {
                    ctx.on_views = k.is_some();
                    let parts = plugin_rows(&mut ctx, lo, k, fam, name, &plan, cfg);
                    families.push((name.to_string(), parts));
                }
            }
        }
        if let Some(hi) = &hi {
            if cfg.has(Family::Gaussian) {
                gaussian_rows(&mut ctx, hi, pairs.as_deref(), cfg);
            }
            if cfg.has(Family::Pairwise) {
                ctx.on_views = k.is_some();
                families.extend(pairwise_rows(&mut ctx, hi, k, &plan, radius, cfg));
            }
        }
        for (name, parts) in &families {
            for (scale, p) in parts {
                let Some(p) = p.complete() else { continue };
                for &beta in &cfg.betas {
                    lagr.push(LagrangianRow {
                        tensor: inputs.tensor.to_string(),
                        beta,
                        estimator: name.clone(),
                        space: space.as_str().to_string(),
                        scale: scale.value,
                        scale_rule: scale.rule.clone(),
                        measured: p.i_xv - beta * p.i_vv,
                        theorem: inputs
                            .h_t
                            .map(|h_t| (1.0 - beta) * p.h_v + beta * p.h_v_vp - h_t),
                        gap: inputs.h_t.map(|h_t| h_t - p.h_vx),
                    });
                }
            }
        }
        info.extend(ctx.out);
    }
    Ok((info, lagr))
}
