//! Gaussian proxy estimators: the entropy of the Gaussian with the sample covariance,
//! `½ ln det(2πe Σ̂)`, and the mutual information and conditional entropy built from it.
//! Exact for Gaussian data, an upper bound on the entropy of any distribution with that
//! covariance (the Gaussian maximises entropy at fixed covariance: Cover & Thomas, "Elements of
//! Information Theory", 2nd ed., Theorem 8.6.5); in nats.

use ndarray::{ArrayView2, Axis};

use crate::error::{check_rows, EstimatorError};
use crate::estimate::{Estimate, Warning};
use crate::linalg::ln_det_spd;
use crate::pairs::hstack;

/// Gaussian entropy proxy of the rows of `x` (N×d), in nats:
///
/// ```text
/// H = ½ ln det(2πe (Σ̂ + εI)) = ½ (d ln(2πe) + ln det(Σ̂ + εI))
/// ```
///
/// Σ̂ is the unbiased sample covariance (N − 1 denominator); `ridge` = ε ≥ 0 is added to its
/// diagonal and reported in the estimate. The log-determinant comes from a Cholesky
/// factorisation ([`crate::linalg::ln_det_spd`]); a covariance that is not positive definite
/// (collapse, constant columns, N ≤ d with ε = 0) gives −∞ with a
/// [`Warning::SingularCovariance`], flagged degenerate.
///
/// Errors: N < 2, non-finite input, negative or non-finite ridge.
pub fn gaussian_entropy(x: ArrayView2<f64>, ridge: f64) -> Result<Estimate, EstimatorError> {
    gaussian_entropy_named(x, ridge, "x")
}

fn gaussian_entropy_named(
    x: ArrayView2<f64>,
    ridge: f64,
    space: &'static str,
) -> Result<Estimate, EstimatorError> {
    check_rows(x, 2)?;
    if !(ridge.is_finite() && ridge >= 0.0) {
        return Err(EstimatorError::InvalidParameter {
            name: "ridge",
            reason: format!("the ridge must be finite and >= 0, got {ridge}"),
        });
    }
    let (n, d) = x.dim();
    let mean = x.mean_axis(Axis(0)).ok_or(EstimatorError::EmptyInput)?;
    let centred = &x - &mean;
    let mut cov = centred.t().dot(&centred) / (n as f64 - 1.0);
    for i in 0..d {
        cov[[i, i]] += ridge;
    }
    let value = match ln_det_spd(cov.view()) {
        Some(ld) => 0.5 * (d as f64 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + ld),
        None => f64::NEG_INFINITY,
    };
    let mut est = Estimate::new(value, n, d);
    est.ridge = Some(ridge);
    if value == f64::NEG_INFINITY {
        est.degenerate = true;
        est.warnings
            .push(Warning::SingularCovariance { space, ridge });
    }
    Ok(est)
}

/// Gaussian mutual information `I = H(x) + H(y) − H(x, y)` (nats), each term from
/// [`gaussian_entropy`] with the same ridge. For jointly Gaussian data this is
/// `−½ ln det(I − Σ_xx⁻¹ Σ_xy Σ_yy⁻¹ Σ_yx)`. Singular terms give −∞ − (−∞) = NaN, flagged.
pub fn gaussian_mutual_information(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    ridge: f64,
) -> Result<Estimate, EstimatorError> {
    let joint = hstack(x, y)?;
    let hx = gaussian_entropy_named(x, ridge, "x")?;
    let hy = gaussian_entropy_named(y, ridge, "y")?;
    let hxy = gaussian_entropy_named(joint.view(), ridge, "joint")?;
    Ok(combine(
        hx.value + hy.value - hxy.value,
        &[hx, hy, hxy],
        ridge,
    ))
}

/// Gaussian conditional entropy `H(v | given) = H(v, given) − H(given)` (nats).
pub fn gaussian_conditional_entropy(
    v: ArrayView2<f64>,
    given: ArrayView2<f64>,
    ridge: f64,
) -> Result<Estimate, EstimatorError> {
    let joint = hstack(v, given)?;
    let hj = gaussian_entropy_named(joint.view(), ridge, "joint")?;
    let hg = gaussian_entropy_named(given, ridge, "given")?;
    Ok(combine(hj.value - hg.value, &[hj, hg], ridge))
}

fn combine(value: f64, parts: &[Estimate], ridge: f64) -> Estimate {
    let last = parts.last().expect("at least one part");
    let mut est = Estimate::new(value, last.n, last.d);
    est.ridge = Some(ridge);
    for p in parts {
        est.merge_warnings(&p.warnings);
        est.degenerate |= p.degenerate;
    }
    est
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn entropy_of_a_known_covariance() {
        // Four points with covariance diag(a, b) exactly: ±1 on each axis, scaled.
        let x = array![[2.0, 0.0], [-2.0, 0.0], [0.0, 0.5], [0.0, -0.5]];
        // unbiased covariance: diag(8/3, 0.5/3)
        let want = 0.5
            * (2.0 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln()
                + (8.0f64 / 3.0 * 0.5 / 3.0).ln());
        let h = gaussian_entropy(x.view(), 0.0).unwrap();
        assert!((h.value - want).abs() < 1e-14);
        assert_eq!(h.ridge, Some(0.0));
    }

    #[test]
    fn singular_covariance_is_minus_infinity_unless_ridged() {
        let x = Array2::from_shape_fn(
            (20, 3),
            |(i, j)| if j == 2 { 1.0 } else { (i * (j + 1)) as f64 },
        );
        let h = gaussian_entropy(x.view(), 0.0).unwrap();
        assert_eq!(h.value, f64::NEG_INFINITY);
        assert!(h.degenerate);
        let r = gaussian_entropy(x.view(), 1e-6).unwrap();
        assert!(r.value.is_finite());
        assert!(gaussian_entropy(x.view(), -1.0).is_err());
    }

    #[test]
    fn mutual_information_of_correlated_columns() {
        // y = x exactly plus an independent column: I is large; independent columns: I ≈ 0.
        let x = Array2::from_shape_fn((200, 1), |(i, _)| ((i * 37) % 101) as f64);
        let y = Array2::from_shape_fn((200, 1), |(i, _)| {
            ((i * 37) % 101) as f64 + ((i * 11) % 7) as f64
        });
        let i = gaussian_mutual_information(x.view(), y.view(), 0.0).unwrap();
        let rho2 = {
            let xs = x.column(0);
            let ys = y.column(0);
            let (mx, my) = (xs.mean().unwrap(), ys.mean().unwrap());
            let sxy: f64 = xs.iter().zip(ys).map(|(a, b)| (a - mx) * (b - my)).sum();
            let sxx: f64 = xs.iter().map(|a| (a - mx).powi(2)).sum();
            let syy: f64 = ys.iter().map(|b| (b - my).powi(2)).sum();
            sxy * sxy / (sxx * syy)
        };
        assert!((i.value + 0.5 * (1.0 - rho2).ln()).abs() < 1e-10);
    }
}
