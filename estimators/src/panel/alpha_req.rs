//! α-ReQ: the decay exponent of the covariance spectrum (Agrawal, Mondal, Ghosh & Richards,
//! "α-ReQ: Assessing Representation Quality in Self-Supervised Learning by measuring eigenspectrum
//! decay", NeurIPS 2022).
//!
//! The eigenvalues λ_1 ≥ λ_2 ≥ … of the covariance of the centred embedding (divisor N − 1),
//! ranks i = 1..min(N − 1, d), are fitted by the power law λ_i ≈ c·i^−α: an ordinary least
//! squares fit, with an intercept, of ln λ_i on ln i. Eigenvalues λ_i ≤ 10⁻¹²·λ_1 (rounding
//! noise of a rank-deficient spectrum) are left out, and the others keep their rank i. A flat
//! spectrum (an isotropic Gaussian with N ≫ d) gives α ≈ 0; a spectrum that decays fast (few
//! directions carry the variance) gives a large α. α and R² are dimensionless and do not
//! change when the embedding is scaled (ln c absorbs the scale; the intercept moves).
//!
//! reptrix 0.1.0 (`get_alpha`) fits differently, so its numbers are not these: a least squares
//! fit weighted by 1/i over ranks 6..=100 by default, on the explained-variance ratios of a PCA.
//! The ratios only move the intercept; the weights and the range change α.

use crate::error::EstimatorError;

/// Eigenvalues λ_i ≤ `ALPHA_REQ_DROP`·λ_1 are left out of the fit.
pub const ALPHA_REQ_DROP: f64 = 1e-12;

/// 1-based inclusive rank range of the fit; `last: None` = up to the number of eigenvalues
/// given. The default is every rank, `1..=len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitRange {
    /// First rank fitted (1-based).
    pub first: usize,
    /// Last rank fitted (1-based, inclusive); `None` = the last eigenvalue given. A `last`
    /// beyond the eigenvalues given stops at the last one.
    pub last: Option<usize>,
}

impl Default for FitRange {
    fn default() -> Self {
        FitRange {
            first: 1,
            last: None,
        }
    }
}

/// The power-law fit `ln λ_i = intercept − α·ln i` (see [`alpha_req`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlphaReq {
    /// α = −slope of the ordinary least squares fit of ln λ_i on ln i (with intercept).
    pub alpha: f64,
    /// R² = 1 − SS_res/SS_tot of that fit, in [0, 1]; `None` when every ln λ_i in the fit is
    /// equal (SS_tot = 0: R² is undefined, and α = 0).
    pub r2: Option<f64>,
    /// The intercept of the fit: the fitted ln λ at rank i = 1 (in ln of the units² of the
    /// embedding).
    pub intercept: f64,
    /// First rank fitted (1-based).
    pub first_rank: usize,
    /// Last rank fitted (1-based, inclusive).
    pub last_rank: usize,
    /// Number of (ln i, ln λ_i) points fitted.
    pub points: usize,
}

/// α-ReQ of a covariance spectrum (Agrawal et al., NeurIPS 2022):
///
/// ```text
/// points  (x_i, y_i) = (ln i, ln λ_i)   for the ranks i of `range` with λ_i > 1e-12·λ_1
/// slope   b = Σ (x_i − x̄)(y_i − ȳ) / Σ (x_i − x̄)²,   intercept a = ȳ − b·x̄
/// α = −b,   R² = 1 − Σ (y_i − a − b·x_i)² / Σ (y_i − ȳ)²
/// ```
///
/// `eigenvalues`: λ_1 ≥ λ_2 ≥ … of the centred covariance (divisor N − 1), already truncated
/// by the caller to ranks 1..min(N − 1, d) ([`covariance_eigenvalues`]). Ranks keep their index
/// i: dropping an eigenvalue does not renumber the ones after it. The threshold is relative to
/// λ_1, the largest eigenvalue given, whatever the range.
///
/// Errors: an empty slice ([`EstimatorError::EmptyInput`]); a non-finite eigenvalue
/// ([`EstimatorError::NonFinite`], `row` = its 0-based index); eigenvalues not in descending
/// order or a range with `first = 0` or `last < first` ([`EstimatorError::InvalidParameter`]);
/// an all-zero spectrum (every row equal) or fewer than 2 points left in the range
/// ([`EstimatorError::Degenerate`]).
///
/// ```
/// use ib_estimators::panel::alpha_req::{alpha_req, FitRange};
/// let l: Vec<f64> = (1..=50).map(|i| 3.0 * (i as f64).powf(-1.5)).collect();
/// let fit = alpha_req(&l, FitRange::default()).unwrap();
/// assert!((fit.alpha - 1.5).abs() < 1e-12 && fit.r2.unwrap() > 1.0 - 1e-12);
/// ```
pub fn alpha_req(eigenvalues: &[f64], range: FitRange) -> Result<AlphaReq, EstimatorError> {
    if eigenvalues.is_empty() {
        return Err(EstimatorError::EmptyInput);
    }
    if let Some(row) = eigenvalues.iter().position(|v| !v.is_finite()) {
        return Err(EstimatorError::NonFinite { row, col: 0 });
    }
    if let Some(i) = eigenvalues.windows(2).position(|w| w[1] > w[0]) {
        return Err(EstimatorError::InvalidParameter {
            name: "eigenvalues",
            reason: format!(
                "they must be in descending order, but λ_{} = {:e} < λ_{} = {:e}",
                i + 1,
                eigenvalues[i],
                i + 2,
                eigenvalues[i + 1]
            ),
        });
    }
    if range.first == 0 {
        return Err(EstimatorError::InvalidParameter {
            name: "fit range",
            reason: "ranks are 1-based: the first rank must be at least 1".into(),
        });
    }
    if let Some(last) = range.last {
        if last < range.first {
            return Err(EstimatorError::InvalidParameter {
                name: "fit range",
                reason: format!(
                    "the last rank {last} is below the first rank {}",
                    range.first
                ),
            });
        }
    }
    let top = eigenvalues[0];
    if top <= 0.0 {
        return Err(EstimatorError::Degenerate {
            reason: "every covariance eigenvalue is 0 (all rows equal): α-ReQ needs a \
                     spectrum to fit"
                .into(),
        });
    }
    let threshold = ALPHA_REQ_DROP * top;
    let last_given = range
        .last
        .map_or(eigenvalues.len(), |l| l.min(eigenvalues.len()));
    // Ranks i (1-based) in the range whose eigenvalue is above the threshold.
    let ranks: Vec<usize> = (range.first..=last_given)
        .filter(|&i| eigenvalues[i - 1] > threshold)
        .collect();
    let points: Vec<(f64, f64)> = ranks
        .iter()
        .map(|&i| ((i as f64).ln(), eigenvalues[i - 1].ln()))
        .collect();
    if points.len() < 2 {
        let shown_last = range
            .last
            .map_or_else(|| eigenvalues.len().to_string(), |l| l.to_string());
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "{} covariance eigenvalue(s) above 1e-12·λ₁ in ranks {}..{} ({} given): \
                 α-ReQ needs at least 2 to fit a power law",
                points.len(),
                range.first,
                shown_last,
                eigenvalues.len()
            ),
        });
    }
    let n = points.len() as f64;
    let x_mean = points.iter().map(|p| p.0).sum::<f64>() / n;
    let y_mean = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in &points {
        let (dx, dy) = (x - x_mean, y - y_mean);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    // Ranks are distinct, so with 2 or more points Σ (x − x̄)² > 0.
    let slope = sxy / sxx;
    let intercept = y_mean - slope * x_mean;
    let r2 = if syy > 0.0 {
        let ss_res: f64 = points
            .iter()
            .map(|&(x, y)| {
                let r = y - intercept - slope * x;
                r * r
            })
            .sum();
        Some((1.0 - ss_res / syy).clamp(0.0, 1.0))
    } else {
        None
    };
    Ok(AlphaReq {
        alpha: -slope,
        r2,
        intercept,
        first_rank: ranks[0],
        last_rank: ranks[ranks.len() - 1],
        points: points.len(),
    })
}

/// The covariance eigenvalues of an embedding from the singular values of its centred N×d
/// matrix (descending, e.g. [`crate::singular_values_centred`]):
///
/// ```text
/// λ_i = s_i² / (N − 1),   i = 1..min(N − 1, len)
/// ```
///
/// (the covariance with divisor N − 1; centring leaves at most N − 1 non-zero values). Units:
/// those of the embedding, squared. Empty for N < 2. When s_i² overflows, λ_i is computed as
/// (s_i/√(N − 1))²; a singular value above ≈ 1e154·√(N − 1) still gives an infinite λ, which
/// [`alpha_req`] refuses as non-finite.
pub fn covariance_eigenvalues(centred_singular_values: &[f64], n: usize) -> Vec<f64> {
    if n < 2 {
        return Vec::new();
    }
    let divisor = (n - 1) as f64;
    let scale = divisor.sqrt();
    centred_singular_values
        .iter()
        .take(n - 1)
        .map(|s| {
            let l = s * s / divisor;
            if l.is_finite() {
                l
            } else {
                // s² overflows: divide first.
                let r = s / scale;
                r * r
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    fn power_law(c: f64, alpha: f64, n: usize) -> Vec<f64> {
        (1..=n).map(|i| c * (i as f64).powf(-alpha)).collect()
    }

    #[test]
    fn exact_power_laws_give_their_exponent_and_r2_one() {
        for (c, alpha, n) in [
            (1.0, 1.0, 10usize),
            (3.5, 0.5, 200),
            (1e-8, 2.0, 64),
            (1e6, 0.0001, 5),
        ] {
            let l = power_law(c, alpha, n);
            let fit = alpha_req(&l, FitRange::default()).unwrap();
            assert!(
                (fit.alpha - alpha).abs() < 1e-12,
                "α {} vs {alpha}",
                fit.alpha
            );
            assert!((fit.intercept - c.ln()).abs() < 1e-10 * c.ln().abs().max(1.0));
            assert!(fit.r2.unwrap() > 1.0 - 1e-12);
            assert_eq!((fit.first_rank, fit.last_rank, fit.points), (1, n, n));
        }
    }

    #[test]
    fn two_points_by_hand() {
        // (ln 1, ln 4) and (ln 2, ln 1): slope = −ln 4 / ln 2 = −2.
        let fit = alpha_req(&[4.0, 1.0], FitRange::default()).unwrap();
        assert!((fit.alpha - 2.0).abs() < 1e-15);
        assert!((fit.intercept - 4f64.ln()).abs() < 1e-15);
        assert_eq!(fit.r2, Some(1.0));
    }

    #[test]
    fn three_points_off_the_line_by_hand() {
        // λ = (e, e, 1): points (ln i, ln λ_i) = (0, 1), (ln 2, 1), (ln 3, 0). The expected
        // values are the OLS formulas evaluated in plain Python (floats, written out sums):
        // α = −b = 0.8122228134022451, a = 1.1517693056788414, R² = 0.6108229873921752.
        let e = std::f64::consts::E;
        let fit = alpha_req(&[e, e, 1.0], FitRange::default()).unwrap();
        assert!((fit.alpha - 0.812_222_813_402_245_1).abs() < 1e-14);
        assert!((fit.intercept - 1.151_769_305_678_841_4).abs() < 1e-14);
        assert!((fit.r2.unwrap() - 0.610_822_987_392_175_2).abs() < 1e-14);
        assert_eq!((fit.first_rank, fit.last_rank, fit.points), (1, 3, 3));
    }

    #[test]
    fn tiny_eigenvalues_are_dropped_and_ranks_keep_their_index() {
        // A rank-5 spectrum with rounding noise below 1e-12·λ₁ after it: the fit is that of the
        // first five ranks only.
        let mut l = power_law(2.0, 1.3, 5);
        l.extend([1.5e-12, 1e-13, 0.0, -1e-15]);
        let fit = alpha_req(&l, FitRange::default()).unwrap();
        assert!((fit.alpha - 1.3).abs() < 1e-12);
        assert_eq!((fit.first_rank, fit.last_rank, fit.points), (1, 5, 5));
        // 2e-12 is above the threshold and is fitted at its own rank 6, not renumbered.
        let mut m = power_law(1.0, 1.0, 5);
        m.push(2.5e-12);
        let fit = alpha_req(&m, FitRange::default()).unwrap();
        assert_eq!((fit.last_rank, fit.points), (6, 6));
        // The threshold is exactly 1e-12·λ₁: an eigenvalue equal to it is dropped.
        let fit = alpha_req(&[1.0, 0.5, 1e-12], FitRange::default()).unwrap();
        assert_eq!(fit.points, 2);
    }

    #[test]
    fn the_fit_range_selects_ranks() {
        // A broken power law: exponent 0.5 on ranks 1..=10, 3 on ranks 11..=40.
        let mut l: Vec<f64> = (1..=10).map(|i| (i as f64).powf(-0.5)).collect();
        let knee = 10f64.powf(-0.5) * 10f64.powf(3.0);
        l.extend((11..=40).map(|i| knee * (i as f64).powf(-3.0)));
        let head = alpha_req(
            &l,
            FitRange {
                first: 1,
                last: Some(10),
            },
        )
        .unwrap();
        assert!((head.alpha - 0.5).abs() < 1e-12);
        assert_eq!((head.first_rank, head.last_rank, head.points), (1, 10, 10));
        let tail = alpha_req(
            &l,
            FitRange {
                first: 11,
                last: None,
            },
        )
        .unwrap();
        assert!((tail.alpha - 3.0).abs() < 1e-11);
        assert!((tail.intercept - knee.ln()).abs() < 1e-10);
        assert_eq!((tail.first_rank, tail.last_rank, tail.points), (11, 40, 30));
        // The whole range mixes both and does not fit a line.
        let all = alpha_req(&l, FitRange::default()).unwrap();
        assert!(all.alpha > 0.5 && all.alpha < 3.0 && all.r2.unwrap() < 0.99);
        // A last rank beyond the spectrum stops at its end.
        let beyond = alpha_req(
            &l,
            FitRange {
                first: 11,
                last: Some(1000),
            },
        )
        .unwrap();
        assert_eq!(beyond, tail);
    }

    #[test]
    fn a_flat_spectrum_has_alpha_zero_and_no_r2() {
        let fit = alpha_req(&[2.0; 8], FitRange::default()).unwrap();
        assert_eq!(fit.alpha, 0.0);
        assert_eq!(fit.r2, None);
        assert!((fit.intercept - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn an_isotropic_gaussian_has_alpha_near_zero() {
        // N = 4000 rows, d = 20: the sample covariance eigenvalues lie in
        // (1 ± √(d/N))² ≈ [0.86, 1.15] (Marchenko–Pastur), so |α| is small.
        let mut rng = StdRng::seed_from_u64(3);
        let z = Array2::from_shape_simple_fn((4000, 20), || StandardNormal.sample(&mut rng));
        let s = crate::singular_values_centred(z.view()).unwrap();
        let l = covariance_eigenvalues(&s, 4000);
        assert_eq!(l.len(), 20);
        assert!(l[0] < 1.3 && l[19] > 0.75, "{l:?}");
        let fit = alpha_req(&l, FitRange::default()).unwrap();
        assert!(fit.alpha.abs() < 0.15, "α = {}", fit.alpha);
    }

    #[test]
    fn covariance_eigenvalues_divide_by_n_minus_one_and_truncate() {
        assert_eq!(covariance_eigenvalues(&[3.0, 6.0], 1), Vec::<f64>::new());
        assert_eq!(covariance_eigenvalues(&[6.0, 3.0, 0.0], 3), vec![18.0, 4.5]);
        assert_eq!(covariance_eigenvalues(&[6.0, 3.0], 10), vec![4.0, 1.0]);
        // s² = 4e308 overflows but λ = (2e154/2)² = 1e308 does not; 1e400/4 does.
        let big = covariance_eigenvalues(&[1e200, 2e154], 5);
        assert_eq!(big[0], f64::INFINITY);
        assert!((big[1] / 1e308 - 1.0).abs() < 1e-14, "{big:?}");
        // The centred 3×2 matrix [[−1, 0], [0, 0], [1, 0]]: s = (√2, 0), covariance diag(1, 0).
        let z = ndarray::array![[0.0, 5.0], [1.0, 5.0], [2.0, 5.0]];
        let s = crate::singular_values_centred(z.view()).unwrap();
        let l = covariance_eigenvalues(&s, 3);
        assert!((l[0] - 1.0).abs() < 1e-15 && l[1].abs() < 1e-15);
    }

    #[test]
    fn bad_input_is_an_error() {
        let d = FitRange::default();
        assert_eq!(alpha_req(&[], d), Err(EstimatorError::EmptyInput));
        assert_eq!(
            alpha_req(&[1.0, f64::NAN], d),
            Err(EstimatorError::NonFinite { row: 1, col: 0 })
        );
        assert_eq!(
            alpha_req(&[f64::INFINITY, 1.0], d),
            Err(EstimatorError::NonFinite { row: 0, col: 0 })
        );
        assert!(matches!(
            alpha_req(&[1.0, 2.0], d),
            Err(EstimatorError::InvalidParameter { .. })
        ));
        for bad in [
            FitRange {
                first: 0,
                last: None,
            },
            FitRange {
                first: 3,
                last: Some(2),
            },
        ] {
            assert!(matches!(
                alpha_req(&[3.0, 2.0, 1.0], bad),
                Err(EstimatorError::InvalidParameter { .. })
            ));
        }
        // Degenerate: a zero spectrum, one eigenvalue, one point left after dropping, a range
        // past the spectrum.
        for (l, r) in [
            (vec![0.0, 0.0], d),
            (vec![1.0], d),
            (vec![1.0, 1e-13, 0.0], d),
            (
                vec![3.0, 2.0, 1.0],
                FitRange {
                    first: 3,
                    last: None,
                },
            ),
            (
                vec![3.0, 2.0, 1.0],
                FitRange {
                    first: 7,
                    last: Some(9),
                },
            ),
        ] {
            let e = alpha_req(&l, r).unwrap_err();
            assert!(matches!(e, EstimatorError::Degenerate { .. }), "{e}");
        }
        let e = alpha_req(&[1.0, 0.0], d).unwrap_err().to_string();
        assert!(e.contains("at least 2"), "{e}");
    }
}
