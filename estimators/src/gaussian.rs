//! Gaussian proxy estimators: the entropy of the Gaussian with the sample covariance,
//! `½ ln det(2πe Σ̂)`, and the mutual information and conditional entropy built from it.
//! Exact for Gaussian data, an upper bound on the entropy of any distribution with that
//! covariance (the Gaussian maximises entropy at fixed covariance: Cover & Thomas, "Elements of
//! Information Theory", 2nd ed., Theorem 8.6.5); in nats.

use ndarray::{ArrayView2, Axis, CowArray, Ix2};

use crate::error::{check_rows, EstimatorError};
use crate::estimate::{Estimate, Warning};
use crate::linalg::ln_det_spd;
use crate::normalize::{exponent_for, max_abs, pow2};
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
/// Scale-stable: a column whose largest |entry| is outside [2⁻²⁵⁵, 2²⁵⁵] (≈ 1e±77) is scaled
/// by a power of two s_j = 2^{e_j} ([`crate::normalize::exponent_for`]; exact), so that its
/// variance neither overflows (data of 1e300) nor underflows to a singular matrix (data of
/// 1e-300), and
///
/// ```text
/// ln det(Σ̂ + εI) = ln det(S Σ̂ S + ε S²) − 2 ln 2 · Σ_j e_j,   S = diag(s_j)
/// ```
///
/// (with ε > 0 the up-scaling of tiny columns is capped so that ε·s_j² stays finite). Ordinary
/// columns have e_j = 0 and keep the plain computation's bits.
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
    let exps = column_exponents(x, ridge);
    let xs: CowArray<f64, Ix2> = if exps.iter().all(|&e| e == 0) {
        x.into()
    } else {
        let mut m = x.to_owned();
        for (mut c, &e) in m.columns_mut().into_iter().zip(&exps) {
            let f = pow2(e);
            c.mapv_inplace(|v| v * f);
        }
        m.into()
    };
    let mean = xs.mean_axis(Axis(0)).ok_or(EstimatorError::EmptyInput)?;
    let centred = &xs - &mean;
    let mut cov = centred.t().dot(&centred) / (n as f64 - 1.0);
    for (i, &e) in exps.iter().enumerate() {
        // ε·s_i², exact (two factors: 2·e_i may exceed the exponent range of one).
        cov[[i, i]] += ridge * pow2(e) * pow2(e);
    }
    let shift: i64 = exps.iter().map(|&e| i64::from(e)).sum();
    let value = match ln_det_spd(cov.view()) {
        Some(ld) => {
            let ld = if shift == 0 {
                ld
            } else {
                ld - 2.0 * std::f64::consts::LN_2 * shift as f64
            };
            0.5 * (d as f64 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + ld)
        }
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

/// The power-of-two exponent e_j of every column ([`exponent_for`] of its largest |entry|);
/// with `ridge` > 0 capped so that ridge·2^{2e_j} ≤ 2¹⁰⁰⁰.
fn column_exponents(x: ArrayView2<f64>, ridge: f64) -> Vec<i32> {
    let cap = if ridge > 0.0 {
        ((1000.0 - ridge.log2()) / 2.0)
            .floor()
            .clamp(-1000.0, 1000.0) as i32
    } else {
        1000
    };
    x.columns()
        .into_iter()
        .map(|c| exponent_for(max_abs(c.iter())).min(cap))
        .collect()
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

    fn sample(n: usize, d: usize) -> Array2<f64> {
        // Well-conditioned, deterministic: a rotation of uneven scales.
        Array2::from_shape_fn((n, d), |(i, j)| {
            let t = i as f64 * 0.7 + j as f64 * 1.3;
            (t.sin() * 3.0 + (t * 2.9).cos()) * (1.0 + j as f64) + ((i * 31 + j * 17) % 13) as f64
        })
    }

    #[test]
    fn entropy_is_finite_and_equivariant_at_any_scale() {
        let x = sample(500, 3);
        let h = gaussian_entropy(x.view(), 0.0).unwrap().value;
        for scale in [1e-300, 1e-200, 1e-100, 1e100, 1e200, 1e300] {
            let xs = x.mapv(|v| v * scale);
            let e = gaussian_entropy(xs.view(), 0.0).unwrap();
            let want = h + 3.0 * f64::ln(scale);
            assert!(!e.degenerate, "{scale}");
            assert!(
                (e.value - want).abs() < 1e-9 * want.abs(),
                "{scale}: {} vs {want}",
                e.value
            );
            // A ridge far below the variances changes nothing visible.
            let ridge = 1e-9 * scale * scale;
            if ridge.is_finite() && ridge > 0.0 {
                let r = gaussian_entropy(xs.view(), ridge).unwrap();
                assert!(
                    (r.value - want).abs() < 1e-6 * want.abs(),
                    "{scale}: {}",
                    r.value
                );
            }
        }
        // Columns of very different scales.
        let mut mixed = x.clone();
        mixed.column_mut(0).mapv_inplace(|v| v * 1e300);
        mixed.column_mut(2).mapv_inplace(|v| v * 1e-300);
        let e = gaussian_entropy(mixed.view(), 0.0).unwrap();
        assert!(
            (e.value - h).abs() < 1e-9 * h.abs().max(1.0),
            "{} vs {h}",
            e.value
        );
        // Tiny data with an ordinary ridge: the ridge dominates, ½ d ln(2πe ε).
        let tiny = x.mapv(|v| v * 1e-300);
        let r = gaussian_entropy(tiny.view(), 1e-6).unwrap();
        let want = 1.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * 1e-6).ln();
        assert!((r.value - want).abs() < 1e-9, "{} vs {want}", r.value);
        // Mutual information is scale-free.
        let (a, b) = (x.slice(ndarray::s![.., ..1]), x.slice(ndarray::s![.., 1..]));
        let i0 = gaussian_mutual_information(a, b, 0.0).unwrap().value;
        let big = x.mapv(|v| v * 1e300);
        let (a, b) = (
            big.slice(ndarray::s![.., ..1]),
            big.slice(ndarray::s![.., 1..]),
        );
        let i1 = gaussian_mutual_information(a, b, 0.0).unwrap().value;
        assert!((i1 - i0).abs() < 1e-9, "{i1} vs {i0}");
        // A constant column stays singular at any scale (a power of two: its mean is exact).
        let mut c = x.mapv(|v| v * 1e300);
        c.column_mut(1).fill(2f64.powi(1000));
        assert_eq!(
            gaussian_entropy(c.view(), 0.0).unwrap().value,
            f64::NEG_INFINITY
        );
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
