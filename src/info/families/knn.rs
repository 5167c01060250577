//! The kNN families: Kozachenko–Leonenko H(V) (`kl`), KSG-1 I(V;V') (`ksg1`) and their
//! difference H(V|V') (`kl-minus-ksg1`).

use ib_estimators::knn::neighbors::{kth_neighbor_distances, Points};
use ib_estimators::{kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm};

use crate::info::bootstrap::{bootstrap_weights, interval};
use crate::info::config::InfoConfig;
use crate::info::rows::Ctx;
use crate::info::space::{pair_matrices, SpaceData};

/// `kl`: H(V) of the clean rows, with a bootstrap of the per-point terms.
pub(in crate::info) fn kl_rows(ctx: &mut Ctx, sd: &SpaceData, cfg: &InfoConfig) {
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

/// `ksg1` and `kl-minus-ksg1` on the seeded view pairs.
pub(in crate::info) fn ksg_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    pairs: &[(usize, usize)],
    cfg: &InfoConfig,
) {
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
