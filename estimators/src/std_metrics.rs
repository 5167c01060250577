//! Per-tensor spread metrics used to detect complete collapse: per-channel standard deviation,
//! the standard deviation of l2-normalised rows (SimSiam's collapse signal), the collapse level,
//! the angular spread of the rows around their mean direction and the relative spread.
//!
//! All functions take an N×d matrix `z` whose rows are samples and whose columns are channels.
//! They reject empty and non-finite input ([`EstimatorError::EmptyInput`],
//! [`EstimatorError::NonFinite`]); collapsed input is a valid input with an extreme value.

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::error::{check_rows, EstimatorError};

/// Floor of the row norm in l2 normalisation, as in PyTorch's `F.normalize(x, eps = 1e-12)`.
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
    Ok(unbiased_std_columns(z))
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

/// `x / max(‖x‖₂, 1e-12)`: PyTorch's `F.normalize`. A zero row stays zero.
fn l2_normalize(x: ArrayView1<f64>) -> Array1<f64> {
    let norm = x.dot(&x).sqrt().max(L2_NORMALIZE_EPS);
    x.mapv(|v| v / norm)
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
/// u_i    = z_i / max(‖z_i‖₂, 1e-12)
/// std_l2 = (1/d) Σ_j sqrt( Σ_i (u_ij − ū_j)² / (N − 1) )
/// ```
///
/// Dimensionless. Rows spread isotropically over the sphere give ≈ 1/√d (the identity matrix
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
/// Conventions: if ‖m‖ ≤ 1e-12 (e.g. rows spread symmetrically around the origin) there is no
/// mean direction and the result is π/2, the expected angle to an arbitrary direction for
/// isotropic data; a zero row has no direction and contributes π/2.
/// Requires N ≥ 1.
pub fn angular_spread(z: ArrayView2<f64>) -> Result<f64, EstimatorError> {
    check_rows(z, 1)?;
    let u = l2_normalize_rows(z);
    let m = column_mean(u.view());
    let m_norm = m.dot(&m).sqrt();
    if m_norm <= L2_NORMALIZE_EPS {
        return Ok(std::f64::consts::FRAC_PI_2);
    }
    let m_hat = m / m_norm;
    let total: f64 = u
        .outer_iter()
        .map(|row| {
            if row.iter().all(|&v| v == 0.0) {
                return std::f64::consts::FRAC_PI_2;
            }
            let (mut diff, mut sum) = (0.0, 0.0);
            for (&a, &b) in row.iter().zip(m_hat.iter()) {
                diff += (a - b) * (a - b);
                sum += (a + b) * (a + b);
            }
            2.0 * diff.sqrt().atan2(sum.sqrt())
        })
        .sum();
    Ok(total / z.nrows() as f64)
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
        return Ok(0.0);
    }
    Ok(spread / mean_norm)
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
