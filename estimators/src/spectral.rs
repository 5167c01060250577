//! Singular-value spectra and the effective rank (RankMe) of embeddings.
//!
//! The singular values of an N×d matrix `z` are the square roots of the eigenvalues of the
//! smaller Gram matrix (`zᵀz`, d×d, if d ≤ N; else `zzᵀ`, N×N), from
//! [`linalg::symmetric_eigenvalues`](crate::linalg::symmetric_eigenvalues). The Gram route is
//! what the streamed [`Moments`](crate::Moments) can compute (O(d²) memory whatever N), and the
//! whole-matrix functions here use it too so that both agree. Squaring loses precision on the
//! *small* singular values only: the absolute error of σ_k² is about ε_mach·σ_max², so values
//! below ≈ 1e-8·σ_max are noise; the large ones are accurate to ≈ 1e-13 relative. That is what
//! an effective rank and a spectrum plot need.
//!
//! Data whose largest |entry| is outside [2⁻²⁵⁵, 2²⁵⁵] (≈ 1e±77) are scaled by a power of two
//! before the Gram matrix is formed and the singular values scaled back
//! ([`crate::normalize::exponent_for`]): entries of 1e200 would overflow the Gram matrix and
//! entries of 1e-300 underflow it. Ordinary data keep their bits.

use ndarray::{Array2, ArrayView2, Axis, CowArray, Ix2};

use crate::error::{check_matrix, EstimatorError};
use crate::linalg::symmetric_eigenvalues;
use crate::normalize::{exponent_for, max_abs, pow2};

/// The ε that RankMe adds to every normalised singular value (Garrido et al. 2023).
pub const RANKME_EPS: f64 = 1e-7;

/// Singular values of `z` (N×d), in descending order, `min(N, d)` of them.
///
/// Computed in f64 from the eigenvalues of the smaller Gram matrix; tiny negative eigenvalues
/// (rounding) are clamped to 0. Units: those of `z`.
///
/// ```
/// use ndarray::array;
/// let z = array![[3.0, 0.0], [0.0, 4.0], [0.0, 0.0]];
/// let s = ib_estimators::spectral::singular_values(z.view()).unwrap();
/// assert!((s[0] - 4.0).abs() < 1e-12 && (s[1] - 3.0).abs() < 1e-12);
/// ```
pub fn singular_values(z: ArrayView2<f64>) -> Result<Vec<f64>, EstimatorError> {
    check_matrix(z)?;
    let (zs, e) = scaled(z);
    Ok(unscaled(plain_singular_values(zs.view()), e))
}

/// `z`, or `z·2^e` when its entries need scaling ([`exponent_for`]), and e.
fn scaled(z: ArrayView2<'_, f64>) -> (CowArray<'_, f64, Ix2>, i32) {
    let e = exponent_for(max_abs(z.iter()));
    if e == 0 {
        (z.into(), 0)
    } else {
        let f = pow2(e);
        (z.mapv(|v| v * f).into(), e)
    }
}

/// Singular values of `z·2^e` back in the units of `z`.
fn unscaled(mut s: Vec<f64>, e: i32) -> Vec<f64> {
    if e != 0 {
        let back = pow2(-e);
        s.iter_mut().for_each(|v| *v *= back);
    }
    s
}

fn plain_singular_values(z: ArrayView2<f64>) -> Vec<f64> {
    let gram: Array2<f64> = if z.ncols() <= z.nrows() {
        z.t().dot(&z)
    } else {
        z.dot(&z.t())
    };
    gram_singular_values(gram.view())
}

/// Square roots of the eigenvalues of a symmetric positive semi-definite Gram matrix, in
/// descending order (tiny negative eigenvalues from rounding clamped to 0).
pub(crate) fn gram_singular_values(gram: ArrayView2<f64>) -> Vec<f64> {
    symmetric_eigenvalues(gram)
        .into_iter()
        .map(|l| l.max(0.0).sqrt())
        .collect()
}

/// Singular values of the column-centred matrix `z − z̄` (each column minus its mean), in
/// descending order, `min(N, d)` of them (the last is ≈ 0 when N ≤ d, since centring removes
/// one dimension).
pub fn singular_values_centred(z: ArrayView2<f64>) -> Result<Vec<f64>, EstimatorError> {
    check_matrix(z)?;
    let (zs, e) = scaled(z);
    let mean = zs.mean_axis(Axis(0)).ok_or(EstimatorError::EmptyInput)?;
    let centred = &zs - &mean;
    Ok(unscaled(plain_singular_values(centred.view()), e))
}

/// Effective rank RankMe (Garrido, Balestriero, Najman & LeCun, "RankMe: Assessing the
/// Downstream Performance of Pretrained Self-Supervised Representations by Their Rank",
/// ICML 2023):
///
/// ```text
/// p_k  = σ_k / Σ_j σ_j + ε,   ε = 1e-7
/// RankMe = exp( − Σ_k p_k ln p_k )
/// ```
///
/// Dimensionless, between ≈ 1 (one direction) and the number of singular values (flat
/// spectrum). Conventions: an empty or all-zero spectrum (a zero matrix: complete collapse)
/// gives 1.0; a spectrum with a non-finite or negative value gives NaN.
pub fn effective_rank(singular_values: &[f64]) -> f64 {
    if singular_values.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return f64::NAN;
    }
    let total: f64 = singular_values.iter().sum();
    if total == 0.0 {
        return 1.0;
    }
    let entropy: f64 = singular_values
        .iter()
        .map(|s| {
            let p = s / total + RANKME_EPS;
            -p * p.ln()
        })
        .sum();
    entropy.exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2};
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian_matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((rows, cols), |_| StandardNormal.sample(&mut rng))
    }

    /// An n×m matrix with orthonormal columns (m ≤ n), by modified Gram–Schmidt.
    fn orthonormal_columns(n: usize, m: usize, seed: u64) -> Array2<f64> {
        let mut q = gaussian_matrix(n, m, seed);
        for j in 0..m {
            for i in 0..j {
                let proj = q.column(i).dot(&q.column(j));
                let qi = q.column(i).to_owned();
                q.column_mut(j).scaled_add(-proj, &qi);
            }
            let norm = q.column(j).dot(&q.column(j)).sqrt();
            q.column_mut(j).mapv_inplace(|v| v / norm);
        }
        q
    }

    fn assert_spectrum(actual: &[f64], expected: &[f64], rel: f64) {
        assert_eq!(actual.len(), expected.len());
        let top = expected[0];
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() <= rel * top, "{a} vs {e}");
        }
    }

    #[test]
    fn diagonal_matrix_gives_its_sorted_diagonal() {
        let z = array![
            [1.0, 0.0, 0.0],
            [0.0, -5.0, 0.0],
            [0.0, 0.0, 2.5],
            [0.0, 0.0, 0.0]
        ];
        let s = singular_values(z.view()).unwrap();
        assert_spectrum(&s, &[5.0, 2.5, 1.0], 1e-15);
    }

    #[test]
    fn rotated_diagonal_is_recovered_for_tall_and_wide_matrices() {
        for (n, d, seed) in [(200usize, 40usize, 1u64), (30, 90, 2), (64, 64, 3)] {
            let m = n.min(d);
            let sigma: Vec<f64> = (0..m).map(|k| 10.0 * 0.8f64.powi(k as i32)).collect();
            let u = orthonormal_columns(n, m, seed);
            let v = orthonormal_columns(d, m, seed + 100);
            let z = u
                .dot(&Array2::from_diag(&Array1::from(sigma.clone())))
                .dot(&v.t());
            let s = singular_values(z.view()).unwrap();
            assert_eq!(s.len(), m);
            // Large values to 1e-10 relative; the smallest (≈ 1e-4·σ_max here) to the
            // squaring-limited absolute accuracy.
            for (a, e) in s.iter().zip(&sigma) {
                if *e > 1e-2 * sigma[0] {
                    assert!((a - e).abs() <= 1e-10 * e, "{n}x{d}: {a} vs {e}");
                } else {
                    assert!((a - e).abs() <= 1e-6 * sigma[0], "{n}x{d}: {a} vs {e}");
                }
            }
        }
    }

    #[test]
    fn singular_values_agree_with_the_transpose() {
        let z = gaussian_matrix(50, 20, 7);
        let s = singular_values(z.view()).unwrap();
        let st = singular_values(z.t()).unwrap();
        assert_spectrum(&s, &st, 1e-13);
        let frob: f64 = z.iter().map(|v| v * v).sum();
        let sum_sq: f64 = s.iter().map(|v| v * v).sum();
        assert!((frob - sum_sq).abs() < 1e-11 * frob);
    }

    #[test]
    fn centring_removes_a_shared_offset() {
        let noise = gaussian_matrix(100, 6, 11);
        let offset = Array1::from(vec![50.0, -20.0, 3.0, 0.0, 7.0, 1.0]);
        let shifted = &noise + &offset;
        let raw = singular_values(shifted.view()).unwrap();
        // The offset dominates the raw spectrum: one huge value.
        assert!(raw[0] > 10.0 * raw[1]);
        let mean = noise.mean_axis(Axis(0)).unwrap();
        let centred_noise = &noise - &mean;
        let expected = singular_values(centred_noise.view()).unwrap();
        let centred = singular_values_centred(shifted.view()).unwrap();
        assert_spectrum(&centred, &expected, 1e-12);
        assert!(effective_rank(&centred) > 5.0);
        assert!(effective_rank(&raw) < 2.0);
    }

    #[test]
    fn effective_rank_of_rank_one_data_is_one() {
        let a = Array1::linspace(-1.0, 2.0, 40);
        let b = Array1::from(vec![0.3, -1.0, 2.0, 0.5, 0.1, 0.0, 4.0, 1.0]);
        let z = a
            .view()
            .insert_axis(Axis(1))
            .dot(&b.view().insert_axis(Axis(0)));
        let s = singular_values(z.view()).unwrap();
        assert!((effective_rank(&s) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn effective_rank_of_identity_is_d() {
        for d in [1usize, 2, 10, 32] {
            let z = Array2::<f64>::eye(d);
            let s = singular_values(z.view()).unwrap();
            let r = effective_rank(&s);
            assert!((r - d as f64).abs() < 1e-3 * d as f64, "d = {d}: {r}");
        }
    }

    #[test]
    fn effective_rank_conventions() {
        assert_eq!(effective_rank(&[0.0, 0.0, 0.0]), 1.0);
        assert_eq!(effective_rank(&[]), 1.0);
        assert!(effective_rank(&[1.0, f64::NAN]).is_nan());
        let z = Array2::<f64>::zeros((5, 3));
        let s = singular_values(z.view()).unwrap();
        assert_eq!(s, vec![0.0; 3]);
        assert_eq!(effective_rank(&s), 1.0);
    }

    #[test]
    fn spectra_of_any_scale() {
        let z = gaussian_matrix(40, 5, 12);
        let (s0, c0) = (
            singular_values(z.view()).unwrap(),
            singular_values_centred(z.view()).unwrap(),
        );
        for scale in [1e-300, 1e-200, 1e200, 1e300] {
            let zs = z.mapv(|v| v * scale);
            let s = singular_values(zs.view()).unwrap();
            let c = singular_values_centred(zs.view()).unwrap();
            for (a, b) in s.iter().zip(&s0).chain(c.iter().zip(&c0)) {
                assert!((a / scale - b).abs() < 1e-12 * s0[0], "{scale}: {a} vs {b}");
            }
            assert!((effective_rank(&s) - effective_rank(&s0)).abs() < 1e-12);
        }
        let ones = Array2::from_elem((30, 4), 1e200);
        let s = singular_values(ones.view()).unwrap();
        assert!((s[0] / 1e200 - 120f64.sqrt()).abs() < 1e-12 && s[1] < 1e-6 * s[0]);
        assert!(effective_rank(&s) < 1.01);
    }

    #[test]
    fn bad_input_is_refused() {
        let z = array![[1.0, f64::INFINITY]];
        assert_eq!(
            singular_values(z.view()),
            Err(EstimatorError::NonFinite { row: 0, col: 1 })
        );
        let empty = Array2::<f64>::zeros((0, 4));
        assert_eq!(
            singular_values_centred(empty.view()),
            Err(EstimatorError::EmptyInput)
        );
    }

    /// Timing check: `cargo test --release -- --ignored --nocapture spectrum_timing`.
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn spectrum_timing() {
        for (n, d) in [(2000usize, 128usize), (2000, 256), (2000, 512)] {
            let z = gaussian_matrix(n, d, 5);
            let t = std::time::Instant::now();
            let s = singular_values(z.view()).unwrap();
            println!("N = {n}, d = {d}: {:?} (σ_max {:.3})", t.elapsed(), s[0]);
        }
    }

    #[test]
    fn large_rotated_diagonal_is_recovered() {
        let (n, d) = (400usize, 300usize);
        let sigma: Vec<f64> = (0..d).map(|k| 5.0 * 0.98f64.powi(k as i32)).collect();
        let u = orthonormal_columns(n, d, 21);
        let v = orthonormal_columns(d, d, 22);
        let z = u
            .dot(&Array2::from_diag(&Array1::from(sigma.clone())))
            .dot(&v.t());
        let s = singular_values(z.view()).unwrap();
        for (a, e) in s.iter().zip(&sigma) {
            if *e > 1e-2 * sigma[0] {
                assert!((a - e).abs() <= 1e-10 * e, "{a} vs {e}");
            }
        }
    }
}
