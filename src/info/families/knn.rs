//! The kNN families: Kozachenko–Leonenko H(V) (`kl`), KSG-1 I(V;V') (`ksg1`) and their
//! difference H(V|V') (`kl-minus-ksg1`).

use ib_estimators::{kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm};
use ndarray::{Array2, Axis};

use crate::info::ci::Jackknife;
use crate::info::config::InfoConfig;
use crate::info::rows::Ctx;
use crate::info::space::{pair_matrices, SpaceData};

/// A finite, non-degenerate value, else NaN (no interval rests on a degenerate replicate).
fn usable(e: Result<ib_estimators::Estimate, ib_estimators::EstimatorError>) -> f64 {
    match e {
        Ok(e) if !e.degenerate => e.value,
        _ => f64::NAN,
    }
}

/// `kl`: H(V) of the clean rows, with a jackknife interval (the estimate recomputed, neighbours
/// and all, on the rows kept with each group left out).
pub(in crate::info) fn kl_rows(ctx: &mut Ctx, sd: &SpaceData, cfg: &InfoConfig) {
    let Ok(params) = KnnParams::new(cfg.k) else {
        return;
    };
    let est = kl_entropy(sd.clean.view(), &params).map(|mut e| {
        e.degenerate |= sd.rank_deficient;
        e
    });
    let jack = Jackknife::new(sd.clean.nrows(), cfg).filter(|_| {
        est.as_ref()
            .is_ok_and(|e| !e.degenerate && e.value.is_finite())
    });
    ctx.ci_method = jack.as_ref().map(Jackknife::method);
    let ci = jack.as_ref().and_then(|j| {
        let reps: Vec<f64> = j
            .kept()
            .map(|kept| usable(kl_entropy(sd.clean.select(Axis(0), &kept).view(), &params)))
            .collect();
        j.interval(est.as_ref().ok()?.value, &reps)
    });
    let extra = sd.warnings.clone();
    ctx.push_estimate("H(V)", "kl", sd.dim, est, f64::NEG_INFINITY, ci, &extra);
}

/// The KSG-1 estimate of the pairs and H_KL(V) − I_KSG1.
fn ksg_and_cond(v: &Array2<f64>, vp: &Array2<f64>, params: &KnnParams) -> (f64, f64) {
    let i = usable(ksg_mutual_information(
        v.view(),
        vp.view(),
        params,
        KsgAlgorithm::One,
    ));
    (i, usable(kl_entropy(v.view(), params)) - i)
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
    // Jackknife over the pairs (one per input), both estimates recomputed on the kept pairs.
    let ok = |e: &Result<ib_estimators::Estimate, _>| {
        e.as_ref()
            .is_ok_and(|e: &ib_estimators::Estimate| !e.degenerate && e.value.is_finite())
    };
    let jack = Jackknife::new(v.nrows(), cfg).filter(|_| ok(&i) && ok(&cond));
    ctx.ci_method = jack.as_ref().map(Jackknife::method);
    let (ci_i, ci_c) = match (&jack, &i, &cond) {
        (Some(j), Ok(ie), Ok(ce)) => {
            let (ri, rc): (Vec<f64>, Vec<f64>) = j
                .kept()
                .map(|kept| {
                    ksg_and_cond(
                        &v.select(Axis(0), &kept),
                        &vp.select(Axis(0), &kept),
                        &params,
                    )
                })
                .unzip();
            (j.interval(ie.value, &ri), j.interval(ce.value, &rc))
        }
        _ => (None, None),
    };
    // Degenerate KSG (ties, collapse) is an artefact: the value is undefined.
    ctx.push_estimate("I(V;V')", "ksg1", sd.dim, i, f64::NAN, ci_i, &extra);
    ctx.push_estimate(
        "H(V|V')",
        "kl-minus-ksg1",
        sd.dim,
        cond,
        f64::NAN,
        ci_c,
        &extra,
    );
}
