//! Kozachenko–Leonenko differential entropy (Kozachenko & Leonenko, "Sample estimate of the
//! entropy of a random vector", Problems Inform. Transmission 23, 1987; the k-NN form of
//! Kraskov, Stögbauer & Grassberger, Phys. Rev. E 69, 066138, 2004, eq. 20).

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::neighbors::{kth_with_duplicates, Norm, Points};
use super::{data_warnings_with, zero_distance_warning, KnnParams};
use crate::error::EstimatorError;
use crate::estimate::{Estimate, Warning};
use crate::normalize::{exponent_for, pow2};
use crate::special::{digamma, ln_gamma_half_integer_plus_one, pairwise_mean};

/// Largest |entry| whose max-norm differences cannot overflow (2¹⁰²¹).
pub(crate) const MAX_NORM_SAFE: f64 = 2.247_116_418_577_894_5e307;

/// ln of the volume of the unit-radius ball in d dimensions: d·ln 2 (max-norm, the cube
/// [−1, 1]^d) or ln(π^{d/2} / Γ(d/2 + 1)) (Euclidean).
pub fn ln_unit_ball_volume(d: usize, norm: Norm) -> f64 {
    match norm {
        Norm::Max => d as f64 * std::f64::consts::LN_2,
        Norm::Euclidean => {
            0.5 * d as f64 * std::f64::consts::PI.ln() - ln_gamma_half_integer_plus_one(d)
        }
    }
}

/// Kozachenko–Leonenko entropy of the rows of `x` (N×d), in nats:
///
/// ```text
/// H = ψ(N) − ψ(k) + ln V_d + (d/N) Σ_i ln r_i
/// ```
///
/// r_i is the distance (under `params.norm`) from x_i to its k-th nearest neighbour, self
/// excluded and exact duplicates included; V_d the volume of the unit-radius ball
/// ([`ln_unit_ball_volume`]). Any r_i = 0 gives −∞, reported with a
/// [`Warning::ZeroDistances`]; constant columns (true entropy
/// −∞, estimate finite) and duplicate rows are reported too.
///
/// Scale-stable: when the distances could overflow or underflow (Euclidean norm: entries
/// outside [2⁻²⁵⁵, 2²⁵⁵] ≈ 1e±77, whose squares leave the f64 range; max-norm: entries above
/// 2¹⁰²¹, whose differences overflow) the neighbours are searched on x·2^e
/// ([`crate::normalize::exponent_for`]; exact, the same neighbours) and
/// `H(x) = H(x·2^e) − d·e·ln 2`. Ordinary data keep their bits.
///
/// Errors: empty or non-finite input, k ≥ N.
///
/// ```
/// use ndarray::Array2;
/// use ib_estimators::knn::{kl_entropy, KnnParams};
/// let x = Array2::from_shape_fn((500, 2), |(i, j)| ((i * 7919 + j * 104_729) % 1009) as f64);
/// let params = KnnParams::new(3).unwrap();
/// let h = kl_entropy(x.view(), &params).unwrap();
/// // Scaling by 2 adds d·ln 2 (the estimator is equivariant, like the true entropy).
/// let h2 = kl_entropy((&x * 2.0).view(), &params).unwrap();
/// assert!((h2.value - h.value - 2.0 * 2f64.ln()).abs() < 1e-12);
/// assert_eq!((h.k, h.n, h.d), (Some(3), 500, 2));
/// ```
///
/// Against the analytic truth: a seeded sample of N = 2000 standard normal values has
/// H = ½ ln(2πe) = 1.4189 nats; the estimate is within 0.05 nats (about two standard errors at
/// this N; this seed gives 1.4389).
///
/// ```
/// use ndarray::Array2;
/// use rand::{rngs::StdRng, SeedableRng};
/// use rand_distr::{Distribution, StandardNormal};
/// use ib_estimators::knn::{kl_entropy, KnnParams};
/// let mut rng = StdRng::seed_from_u64(42);
/// let x = Array2::from_shape_simple_fn((2000, 1), || StandardNormal.sample(&mut rng));
/// let h = kl_entropy(x.view(), &KnnParams::new(3).unwrap()).unwrap();
/// let truth = 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln();
/// assert!((h.value - truth).abs() < 0.05, "{} vs {truth}", h.value);
/// ```
pub fn kl_entropy(x: ArrayView2<f64>, params: &KnnParams) -> Result<Estimate, EstimatorError> {
    let p = Points::new(x)?;
    kl_entropy_points(&p, params, "x")
}

pub(crate) fn kl_entropy_points(
    p: &Points,
    params: &KnnParams,
    space: &'static str,
) -> Result<Estimate, EstimatorError> {
    let max = p.max_abs();
    let e = match params.norm {
        Norm::Euclidean => exponent_for(max),
        Norm::Max if max > MAX_NORM_SAFE => exponent_for(max),
        Norm::Max => 0,
    };
    let scaled;
    let q = if e == 0 {
        p
    } else {
        scaled = p.scaled(pow2(e));
        &scaled
    };
    let (r, duplicated) = kth_with_duplicates(q, params.k, params.norm, params.search)?;
    let (n, d, k) = (p.n(), p.d(), params.k);
    let ln_r: Vec<f64> = r.par_iter().map(|v| v.ln()).collect();
    let mut value = digamma(n) - digamma(k)
        + ln_unit_ball_volume(d, params.norm)
        + d as f64 * pairwise_mean(&ln_r);
    if e != 0 {
        value -= d as f64 * f64::from(e) * std::f64::consts::LN_2;
    }
    let mut est = Estimate::new(value, n, d);
    est.k = Some(k);
    est.warnings = data_warnings_with(p, space, duplicated);
    if let Some(w) = zero_distance_warning(&r, k, space) {
        est.warnings.insert(0, w);
    }
    // Every warning but duplicate rows means the true entropy is -inf (ties with r_i = 0,
    // a constant column, complete collapse) while the value may not say so.
    est.degenerate = est
        .warnings
        .iter()
        .any(|w| !matches!(w, Warning::DuplicateRows { .. }));
    Ok(est)
}

/// Conditional entropy by the chain rule, `H(v | given) = H_KL(v, given) − H_KL(given)`, in nats
/// (same k and norm for both terms; what NPEET's `centropy` and ennemi's `cond=` compute).
///
/// When both terms are −∞ (ties) the result is NaN, as in the reference; warnings say why.
/// Errors: row counts differ, empty or non-finite input, k ≥ N.
pub fn kl_conditional_entropy(
    v: ArrayView2<f64>,
    given: ArrayView2<f64>,
    params: &KnnParams,
) -> Result<Estimate, EstimatorError> {
    let pv = Points::new(v)?;
    let pg = Points::new(given)?;
    let joint = Points::hstack(&pv, &pg)?;
    let h_joint = kl_entropy_points(&joint, params, "joint")?;
    let h_given = kl_entropy_points(&pg, params, "given")?;
    let mut est = Estimate::new(h_joint.value - h_given.value, joint.n(), joint.d());
    est.k = Some(params.k);
    est.merge_warnings(&h_joint.warnings);
    est.merge_warnings(&h_given.warnings);
    est.degenerate = h_joint.degenerate || h_given.degenerate;
    Ok(est)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn entropy_is_equivariant_at_any_scale() {
        let x = Array2::from_shape_fn((400, 2), |(i, j)| ((i * 7919 + j * 104_729) % 1009) as f64);
        for norm in [Norm::Max, Norm::Euclidean] {
            let params = KnnParams::new(3).unwrap().with_norm(norm);
            let h = kl_entropy(x.view(), &params).unwrap();
            for scale in [1e-300, 1e-200, 1e-100, 1e100, 1e200, 1e300] {
                let xs = x.mapv(|v| v * scale);
                let hs = kl_entropy(xs.view(), &params).unwrap();
                let want = h.value + 2.0 * scale.ln();
                assert!(
                    (hs.value - want).abs() < 1e-9 * want.abs().max(1.0),
                    "{norm:?} {scale}: {} vs {want}",
                    hs.value
                );
                assert_eq!(hs.degenerate, h.degenerate);
            }
        }
        // Entries near the largest f64: the max-norm differences would overflow.
        let big = x.mapv(|v| (v - 504.0) * 1.5e305);
        let hb = kl_entropy(big.view(), &KnnParams::new(3).unwrap()).unwrap();
        assert!(hb.value.is_finite(), "{}", hb.value);
    }

    #[test]
    fn unit_ball_volumes() {
        assert!(
            (ln_unit_ball_volume(2, Norm::Euclidean) - std::f64::consts::PI.ln()).abs() < 1e-15
        );
        let v3 = 4.0 / 3.0 * std::f64::consts::PI;
        assert!((ln_unit_ball_volume(3, Norm::Euclidean) - v3.ln()).abs() < 1e-15);
        assert!((ln_unit_ball_volume(1, Norm::Euclidean) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(ln_unit_ball_volume(3, Norm::Max), 3.0 * 2f64.ln());
    }

    #[test]
    fn collapsed_data_gives_minus_infinity_with_warnings() {
        let x = Array2::from_elem((10, 3), 0.25);
        let h = kl_entropy(x.view(), &KnnParams::default()).unwrap();
        assert_eq!(h.value, f64::NEG_INFINITY);
        assert_eq!(h.nonfinite(), Some("-inf"));
        assert!(h.degenerate);
        assert!(h
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::AllRowsEqual { .. })));
        assert!(h.clone().refuse_degenerate().is_err());
    }

    #[test]
    fn constant_column_is_reported_but_value_stays_finite() {
        let x = Array2::from_shape_fn((50, 2), |(i, j)| if j == 0 { i as f64 } else { 1.0 });
        let h = kl_entropy(x.view(), &KnnParams::new(2).unwrap()).unwrap();
        assert!(h.value.is_finite());
        assert!(h.warnings.contains(&Warning::ConstantColumns {
            space: "x",
            columns: vec![1]
        }));
    }

    #[test]
    fn k_too_large_is_an_error() {
        let x = array![[0.0], [1.0], [2.0]];
        assert_eq!(
            kl_entropy(x.view(), &KnnParams::new(3).unwrap()),
            Err(EstimatorError::TooFewSamples { n: 3, needed: 4 })
        );
    }

    #[test]
    fn scaling_adds_d_ln_a() {
        let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * 37 + j * 101) % 199) as f64 / 7.0);
        let params = KnnParams::new(3).unwrap();
        let h1 = kl_entropy(x.view(), &params).unwrap().value;
        let x4 = &x * 4.0;
        let h4 = kl_entropy(x4.view(), &params).unwrap().value;
        assert!((h4 - h1 - 2.0 * 4f64.ln()).abs() < 1e-12);
    }
}
