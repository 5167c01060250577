//! The kNN families: Kozachenko–Leonenko H(V) (`kl`), KSG-1 I(V;V') (`ksg1`) and their
//! difference H(V|V') (`kl-minus-ksg1`).

use ib_estimators::{
    kl_entropy, ksg_mutual_information, Estimate, EstimatorError, KnnParams, KsgAlgorithm,
};
use ndarray::{Array2, Axis};

use crate::info::ci::Jackknife;
use crate::info::config::InfoConfig;
use crate::info::rows::Ctx;
use crate::info::space::{pair_matrices, SpaceData};

/// The value of an estimate an interval can rest on: finite and not degenerate.
fn usable(e: &Result<Estimate, EstimatorError>) -> Option<f64> {
    e.as_ref()
        .ok()
        .filter(|e| !e.degenerate && e.value.is_finite())
        .map(|e| e.value)
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
    let value = usable(&est);
    let jack = Jackknife::new(sd.clean.nrows(), cfg).filter(|_| value.is_some());
    ctx.ci_method = jack.as_ref().map(Jackknife::method);
    let ci = jack.as_ref().zip(value).and_then(|(j, value)| {
        let reps: Vec<f64> = j
            .kept()
            .map(|kept| {
                let e = kl_entropy(sd.clean.select(Axis(0), &kept).view(), &params);
                usable(&e).unwrap_or(f64::NAN)
            })
            .collect();
        j.interval(value, &reps)
    });
    let extra = sd.warnings.clone();
    ctx.push_estimate("H(V)", "kl", sd.dim, est, f64::NEG_INFINITY, ci, &extra);
}

/// The KSG-1 estimate of the pairs and H_KL(V) − I_KSG1.
fn ksg_and_cond(v: &Array2<f64>, vp: &Array2<f64>, params: &KnnParams) -> (f64, f64) {
    let nan = |e: &Result<Estimate, EstimatorError>| usable(e).unwrap_or(f64::NAN);
    let i = nan(&ksg_mutual_information(
        v.view(),
        vp.view(),
        params,
        KsgAlgorithm::One,
    ));
    (i, nan(&kl_entropy(v.view(), params)) - i)
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
    let values = usable(&i).zip(usable(&cond));
    let jack = Jackknife::new(v.nrows(), cfg).filter(|_| values.is_some());
    ctx.ci_method = jack.as_ref().map(Jackknife::method);
    let (ci_i, ci_c) = match (&jack, values) {
        (Some(j), Some((iv, cv))) => {
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
            (j.interval(iv, &ri), j.interval(cv, &rc))
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
