//! The Gaussian family: the log-determinant proxy ½ ln det(2πe Σ̂) of H(V), and I(V;V'),
//! H(V|V') of the view pairs.

use ib_estimators::{
    gaussian_conditional_entropy, gaussian_entropy, gaussian_mutual_information, Estimate,
    EstimatorError,
};
use ndarray::Array2;

use crate::info::config::InfoConfig;
use crate::info::rows::Ctx;
use crate::info::space::{pair_matrices, SpaceData};

/// Columns of `m` that never change.
fn constant_columns(m: &Array2<f64>) -> usize {
    m.columns()
        .into_iter()
        .filter(|c| c.iter().all(|&v| v == c[0]))
        .count()
}

/// `gaussian`: H(V) of the clean rows; I(V;V') and H(V|V') of the view pairs.
pub(in crate::info) fn gaussian_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    pairs: Option<&[(usize, usize)]>,
    cfg: &InfoConfig,
) {
    // The ridge keeps a singular covariance finite; the true differential entropy of data with
    // constant (or zero-variance PCA) columns is −∞, so such entropies are not reported as numbers.
    // So is that of N ≤ d rows: their sample covariance has rank ≤ N − 1 < d (ARCHITECTURE.md §6).
    let singular = |m: &Array2<f64>, extra: &mut Vec<String>| -> bool {
        let c = constant_columns(m);
        if c > 0 {
            extra.push(format!(
                "{c} of {} columns are constant: the differential entropy is -inf",
                m.ncols()
            ));
        }
        let few = m.nrows() <= m.ncols();
        if few {
            extra.push(format!(
                "{} rows in {} dimensions: the sample covariance is singular (rank <= N - 1), \
                 the differential entropy is -inf",
                m.nrows(),
                m.ncols()
            ));
        }
        c > 0 || few || sd.rank_deficient
    };
    let mark = |e: Result<Estimate, EstimatorError>, deg: bool| {
        e.map(|mut e| {
            e.degenerate |= deg;
            e
        })
    };
    let mut extra = sd.warnings.clone();
    ctx.on_views = false;
    ctx.ci_method = None;
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
        ctx.on_views = true;
        let mut extra = sd.warnings.clone();
        let deg_v = singular(&v, &mut extra);
        // With N ≤ d pairs the log-determinants are those of the ridge: no number.
        let i = mark(
            gaussian_mutual_information(v.view(), vp.view(), cfg.ridge),
            v.nrows() <= v.ncols(),
        );
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
