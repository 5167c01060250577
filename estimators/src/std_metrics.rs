//! Per-tensor spread metrics used to detect complete collapse: per-channel standard deviation,
//! the standard deviation of l2-normalised rows (SimSiam's collapse signal), the collapse level,
//! the angular spread of the rows around their mean direction and the relative spread.
//!
//! All functions take an N×d matrix `z` whose rows are samples and whose columns are channels.
//! They reject empty and non-finite input ([`EstimatorError::EmptyInput`],
//! [`EstimatorError::NonFinite`]); collapsed input is a valid input with an extreme value.
//!
//! Every value is scale-stable: rows are normalised as [`crate::normalize`] describes (zero rows
//! stay zero and have no direction; any other row reaches the unit sphere whatever its scale),
//! and sums of squares of data beyond ≈ 1e±77 are taken on the data scaled by a power of two
//! ([`crate::normalize::exponent_for`]), so entries of 1e200 or 1e-300 neither overflow nor
//! vanish. Ordinary data keep the plain formulas' bits.

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::error::{check_rows, EstimatorError};
use crate::normalize::{exponent_for, max_abs, pow2, UnitScale};

/// PyTorch's `F.normalize` floor `eps = 1e-12`: row norms from 1e-12 up take the plain path of
/// [`crate::normalize`] (bit for bit `F.normalize`); a mean of unit vectors shorter than this
/// has no direction.
pub const L2_NORMALIZE_EPS: f64 = 1e-12;

/// Unbiased standard deviation of every column of `z` (N×d).
///
/// ```text
/// std_j = sqrt( Σ_i (z_ij − mean_j)² / (N − 1) )
/// ```
///
/// Units: those of `z`. Requires N ≥ 2 ([`EstimatorError::TooFewSamples`]).
pub fn channel_std(z: ArrayView2<f64>) -> Result<Vec<f64>, EstimatorError> {
    check_rows(z, 2)?;
    let e = exponent_for(max_abs(z.iter()));
    if e == 0 {
        return Ok(unbiased_std_columns(z));
    }
    let scaled = z.mapv(|v| v * pow2(e));
    let back = pow2(-e);
    Ok(unbiased_std_columns(scaled.view())
        .into_iter()
        .map(|s| s * back)
        .collect())
}

fn unbiased_std_columns(z: ArrayView2<f64>) -> Vec<f64> {
    let n = z.nrows() as f64;
    let mean = column_mean(z);
    let mut ss = Array1::<f64>::zeros(z.ncols());
    for row in z.outer_iter() {
        for ((s, &v), &m) in ss.iter_mut().zip(row.iter()).zip(mean.iter()) {
            let dv = v - m;
            *s += dv * dv;
        }
    }
    ss.iter().map(|s| (s / (n - 1.0)).sqrt()).collect()
}

fn column_mean(z: ArrayView2<f64>) -> Array1<f64> {
    let mut mean = Array1::<f64>::zeros(z.ncols());
    for row in z.outer_iter() {
        mean += &row;
    }
    mean / z.nrows() as f64
}

/// `x / ‖x‖₂` (PyTorch's `F.normalize` for ‖x‖ ≥ 1e-12; scale-stable, see
/// [`crate::normalize`]). A zero row stays zero.
fn l2_normalize(x: ArrayView1<f64>) -> Array1<f64> {
    let scale = UnitScale::of(x.iter(), x.dot(&x));
    x.mapv(|v| scale.apply(v))
}

fn l2_normalize_rows(z: ArrayView2<f64>) -> ndarray::Array2<f64> {
    let mut out = z.to_owned();
    for mut row in out.outer_iter_mut() {
        let normed = l2_normalize(row.view());
        row.assign(&normed);
    }
    out
}

/// Standard deviation of the l2-normalised rows, averaged over channels: SimSiam's collapse
/// signal (Chen & He, "Exploring Simple Siamese Representation Learning", CVPR 2021, §4.1),
/// identical to lightly's `std_of_l2_normalized`.
///
/// ```text
/// u_i    = z_i / ‖z_i‖₂          (u_i = 0 for a zero row)
/// std_l2 = (1/d) Σ_j sqrt( Σ_i (u_ij − ū_j)² / (N − 1) )
/// ```
///
/// (lightly divides by max(‖z_i‖₂, 1e-12); rows of norm below 1e-12 are here scaled to the
/// sphere too, so the value does not depend on the scale of the data.) Dimensionless. Rows spread isotropically over the sphere give ≈ 1/√d (the identity matrix
/// I_d gives exactly 1/√d); rows that all point the same way give 0. Requires N ≥ 2.
///
/// ```
/// use ndarray::Array2;
/// let z = Array2::<f64>::eye(4);
/// let s = ib_estimators::std_metrics::std_l2(z.view()).unwrap();
/// assert!((s - 0.5).abs() < 1e-12);
/// ```
pub fn std_l2(z: ArrayView2<f64>) -> Result<f64, EstimatorError> {
    check_rows(z, 2)?;
    let u = l2_normalize_rows(z);
    let stds = unbiased_std_columns(u.view());
    Ok(stds.iter().sum::<f64>() / stds.len() as f64)
}

/// Collapse level `1 − √d · std_l2` (lightly's `collapse_level` without its `max(0, ·)` clamp;
/// clamp in the caller if wanted).
///
/// Dimensionless: ≈ 0 for rows spread isotropically over the unit sphere, 1 for complete
/// collapse (all rows pointing the same way). It can be slightly negative.
pub fn collapse_level(std_l2: f64, d: usize) -> f64 {
    1.0 - (d as f64).sqrt() * std_l2
}

/// Mean angle (radians, in [0, π]) between each l2-normalised row and the mean direction of the
/// l2-normalised rows.
///
/// ```text
/// u_i = z_i / ‖z_i‖,  m = mean_i u_i,  m̂ = m / ‖m‖
/// angular_spread = (1/N) Σ_i angle(u_i, m̂),  angle(a, b) = 2·atan2(‖a − b‖, ‖a + b‖)
/// ```
///
/// The atan2 form is accurate for tiny angles, so all rows equal gives 0 to rounding.
/// Conventions: zero rows have no direction and are left out (the mean is over the other
/// rows; [`zero_norm_rows`] counts them); if every row is zero the result is 0 (every row is
/// the same vector). If ‖m‖ ≤ 1e-12 (e.g. rows spread symmetrically around the origin) there
/// is no mean direction and the result is π/2, the expected angle to an arbitrary direction
/// for isotropic data. Requires N ≥ 1.
pub fn angular_spread(z: ArrayView2<f64>) -> Result<f64, EstimatorError> {
    check_rows(z, 1)?;
    let zero = zero_norm_rows(z)?;
    if zero == z.nrows() {
        return Ok(0.0);
    }
    let u = l2_normalize_rows(z);
    let m = column_mean(u.view());
    let m_norm = m.dot(&m).sqrt();
    if m_norm <= L2_NORMALIZE_EPS {
        return Ok(std::f64::consts::FRAC_PI_2);
    }
    let m_hat = m / m_norm;
    let total: f64 = u
        .outer_iter()
        .zip(z.outer_iter())
        .filter(|(_, raw)| raw.iter().any(|&v| v != 0.0))
        .map(|(row, _)| angle_to(row.iter(), m_hat.view()))
        .sum();
    Ok(total / (z.nrows() - zero) as f64)
}

/// The angle between the unit vectors `a` and `b`, `2·atan2(‖a − b‖, ‖a + b‖)` (accurate for
/// tiny angles).
pub(crate) fn angle_to<'a>(a: impl Iterator<Item = &'a f64>, b: ArrayView1<f64>) -> f64 {
    let (mut diff, mut sum) = (0.0, 0.0);
    for (&a, &b) in a.zip(b.iter()) {
        diff += (a - b) * (a - b);
        sum += (a + b) * (a + b);
    }
    2.0 * diff.sqrt().atan2(sum.sqrt())
}

/// Number of zero rows (every entry 0): rows without a direction, which l2 normalisation
/// leaves at 0 ([`crate::normalize`]). Requires N ≥ 1.
pub fn zero_norm_rows(z: ArrayView2<f64>) -> Result<usize, EstimatorError> {
    check_rows(z, 1)?;
    Ok(z.outer_iter()
        .filter(|r| r.iter().all(|&v| v == 0.0))
        .count())
}

/// Spread of the rows relative to the length of their mean:
///
/// ```text
/// relative_spread = sqrt( (1/N) Σ_i ‖z_i − z̄‖² ) / ‖z̄‖
/// ```
///
/// (the numerator is the square root of the trace of the biased covariance). Dimensionless.
/// All rows equal up to tiny noise gives ≈ 0. Conventions: if the mean row is exactly zero the
/// result is `+inf`, unless the rows are all equal (all zero), which gives 0.
/// Requires N ≥ 1.
pub fn relative_spread(z: ArrayView2<f64>) -> Result<f64, EstimatorError> {
    check_rows(z, 1)?;
    let e = exponent_for(max_abs(z.iter()));
    if e != 0 {
        // A ratio: the same on the data scaled by a power of two.
        let scaled = z.mapv(|v| v * pow2(e));
        return Ok(relative_spread_of(scaled.view()));
    }
    Ok(relative_spread_of(z))
}

fn relative_spread_of(z: ArrayView2<f64>) -> f64 {
    let mean = column_mean(z);
    let mut total = 0.0;
    for row in z.outer_iter() {
        for (&v, &m) in row.iter().zip(mean.iter()) {
            total += (v - m) * (v - m);
        }
    }
    let spread = (total / z.nrows() as f64).sqrt();
    let mean_norm = mean.dot(&mean).sqrt();
    if spread == 0.0 {
        return 0.0;
    }
    spread / mean_norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn channel_std_matches_hand_computation() {
        let z = array![[1.0, 10.0], [2.0, 10.0], [3.0, 10.0]];
        let s = channel_std(z.view()).unwrap();
        assert!((s[0] - 1.0).abs() < 1e-15);
        assert_eq!(s[1], 0.0);
    }

    #[test]
    fn std_l2_of_identity_is_one_over_sqrt_d() {
        for d in [2usize, 3, 7, 64, 128] {
            let z = Array2::<f64>::eye(d);
            let s = std_l2(z.view()).unwrap();
            assert!((s - 1.0 / (d as f64).sqrt()).abs() < 1e-12, "d = {d}: {s}");
            assert!(collapse_level(s, d).abs() < 1e-12);
        }
    }

    #[test]
    fn std_l2_of_constant_rows_is_zero_and_collapse_level_one() {
        let z = Array2::from_shape_fn((10, 5), |(_, j)| j as f64 + 0.5);
        let s = std_l2(z.view()).unwrap();
        assert!(s.abs() < 1e-15);
        assert!((collapse_level(s, 5) - 1.0).abs() < 1e-14);
    }

    #[test]
    fn std_l2_ignores_row_scale_and_keeps_zero_rows_zero() {
        let a = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
        let b = array![[5.0, 0.0], [0.0, 0.25], [0.0, 0.0]];
        assert_eq!(std_l2(a.view()).unwrap(), std_l2(b.view()).unwrap());
    }

    #[test]
    fn too_few_rows_are_refused() {
        let z = array![[1.0, 2.0]];
        assert_eq!(
            std_l2(z.view()),
            Err(EstimatorError::TooFewSamples { n: 1, needed: 2 })
        );
        assert!(channel_std(z.view()).is_err());
        let empty = Array2::<f64>::zeros((0, 3));
        assert_eq!(
            angular_spread(empty.view()),
            Err(EstimatorError::EmptyInput)
        );
    }

    #[test]
    fn nan_is_reported_with_its_position() {
        let z = array![[1.0, 2.0], [3.0, f64::NAN]];
        assert_eq!(
            std_l2(z.view()),
            Err(EstimatorError::NonFinite { row: 1, col: 1 })
        );
        assert!(relative_spread(z.view()).is_err());
        assert!(angular_spread(z.view()).is_err());
    }

    #[test]
    fn angular_spread_of_identical_rows_is_zero() {
        let z = Array2::from_shape_fn((20, 8), |(_, j)| (j as f64 - 3.3) * 0.7);
        assert!(angular_spread(z.view()).unwrap() < 1e-12);
    }

    #[test]
    fn angular_spread_of_two_orthogonal_rows_is_quarter_pi() {
        let z = array![[1.0, 0.0], [0.0, 3.0]];
        let a = angular_spread(z.view()).unwrap();
        assert!((a - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
    }

    #[test]
    fn angular_spread_without_mean_direction_is_half_pi() {
        let z = array![[1.0, 0.0], [-1.0, 0.0]];
        assert_eq!(
            angular_spread(z.view()).unwrap(),
            std::f64::consts::FRAC_PI_2
        );
    }

    #[test]
    fn every_metric_is_scale_stable() {
        let base = Array2::from_shape_fn((30, 3), |(i, j)| {
            (((i * 7 + j * 13) % 11) as f64 - 5.0) * 0.1 + j as f64
        });
        let (s0, a0, r0) = (
            std_l2(base.view()).unwrap(),
            angular_spread(base.view()).unwrap(),
            relative_spread(base.view()).unwrap(),
        );
        let c0 = channel_std(base.view()).unwrap();
        for scale in [1e-300, 1e-150, 1e-20, 1e150, 1e200, 1e300] {
            let z = base.mapv(|v| v * scale);
            assert!((std_l2(z.view()).unwrap() - s0).abs() < 1e-12, "{scale}");
            assert!(
                (angular_spread(z.view()).unwrap() - a0).abs() < 1e-9,
                "{scale}"
            );
            assert!(
                (relative_spread(z.view()).unwrap() - r0).abs() < 1e-12 * r0,
                "{scale}"
            );
            for (c, b) in channel_std(z.view()).unwrap().iter().zip(&c0) {
                assert!((c / scale - b).abs() < 1e-12 * b, "{scale}: {c} vs {b}");
            }
        }
    }

    #[test]
    fn constant_rows_of_any_scale_are_collapsed() {
        for scale in [1e-300, 1e-150, 1.0, 1e150, 1e200, 1e300] {
            let z = Array2::from_elem((50, 4), scale);
            assert!(std_l2(z.view()).unwrap() < 1e-15, "{scale}");
            assert!(angular_spread(z.view()).unwrap() < 1e-7, "{scale}");
            // The mean of 50 equal values is rounded: a spread of a few ulps.
            assert!(relative_spread(z.view()).unwrap() < 1e-13, "{scale}");
            assert_eq!(zero_norm_rows(z.view()).unwrap(), 0);
        }
    }

    #[test]
    fn zero_rows_have_no_direction() {
        let zeros = Array2::<f64>::zeros((20, 3));
        assert_eq!(zero_norm_rows(zeros.view()).unwrap(), 20);
        assert_eq!(std_l2(zeros.view()).unwrap(), 0.0);
        assert_eq!(angular_spread(zeros.view()).unwrap(), 0.0);
        // One direction and zero rows: the angle is over the rows that have a direction.
        let mut z = Array2::<f64>::zeros((20, 3));
        z.row_mut(4).assign(&array![1.0, 2.0, 3.0]);
        z.row_mut(9).assign(&array![2.0, 4.0, 6.0]);
        assert_eq!(zero_norm_rows(z.view()).unwrap(), 18);
        assert!(angular_spread(z.view()).unwrap() < 1e-7);
    }

    #[test]
    fn relative_spread_conventions() {
        let z = array![[1.0, 1.0], [3.0, 1.0]];
        // mean (2, 1), biased total variance 1.
        let r = relative_spread(z.view()).unwrap();
        assert!((r - 1.0 / 5f64.sqrt()).abs() < 1e-15);
        let centred = array![[1.0, 0.0], [-1.0, 0.0]];
        assert_eq!(relative_spread(centred.view()).unwrap(), f64::INFINITY);
        let zeros = Array2::<f64>::zeros((4, 3));
        assert_eq!(relative_spread(zeros.view()).unwrap(), 0.0);
    }

    #[test]
    fn relative_spread_of_collapse_with_tiny_noise_is_tiny() {
        let z = Array2::from_shape_fn((50, 4), |(i, j)| {
            1.0 + j as f64 + 1e-9 * (((i * 7 + j * 13) % 11) as f64 - 5.0)
        });
        assert!(relative_spread(z.view()).unwrap() < 1e-8);
    }
}
