//! Singular-value spectra and the effective rank (RankMe) of embeddings.
//!
//! The singular values of an N×d matrix `z` are the square roots of the eigenvalues of the
//! smaller Gram matrix (`zᵀz`, d×d, if d ≤ N; else `zzᵀ`, N×N). Those eigenvalues come from a
//! cyclic Jacobi eigen-solver written here (no LAPACK in the dependency tree) for Gram matrices
//! up to [`JACOBI_MAX_DIM`]; larger ones (Jacobi costs ≈ 4 s at 512, QL ≈ 0.1 s) use Householder
//! tridiagonalisation and the implicit QL algorithm, ≈ 20× faster and as accurate
//! (both are cross-checked in the tests). Squaring loses
//! precision on the *small* singular values only: the absolute error of σ_k² is about
//! ε_mach·σ_max², so values below ≈ 1e-8·σ_max are noise; the large ones are accurate to ≈ 1e-13
//! relative. That is what an effective rank and a spectrum plot need.

use ndarray::{Array2, ArrayView2, Axis};

use crate::error::{check_matrix, EstimatorError};

/// The ε that RankMe adds to every normalised singular value (Garrido et al. 2023).
pub const RANKME_EPS: f64 = 1e-7;

/// Largest Gram matrix handled by the Jacobi solver; larger ones use tridiagonal QL.
pub const JACOBI_MAX_DIM: usize = 128;

/// Upper bound on Jacobi sweeps; convergence is quadratic and takes ≈ 6–12 sweeps in practice.
const MAX_SWEEPS: usize = 100;

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
    let gram = if z.ncols() <= z.nrows() {
        z.t().dot(&z)
    } else {
        z.dot(&z.t())
    };
    Ok(gram_singular_values(gram))
}

/// Square roots of the eigenvalues of a symmetric positive semi-definite Gram matrix, in
/// descending order (tiny negative eigenvalues from rounding clamped to 0).
pub(crate) fn gram_singular_values(gram: Array2<f64>) -> Vec<f64> {
    let mut eig = if gram.nrows() <= JACOBI_MAX_DIM {
        symmetric_eigenvalues(gram)
    } else {
        tridiagonal_ql_eigenvalues(gram)
    };
    eig.sort_by(|a, b| b.total_cmp(a));
    eig.into_iter().map(|l| l.max(0.0).sqrt()).collect()
}

/// Singular values of the column-centred matrix `z − z̄` (each column minus its mean), in
/// descending order, `min(N, d)` of them (the last is ≈ 0 when N ≤ d, since centring removes
/// one dimension).
pub fn singular_values_centred(z: ArrayView2<f64>) -> Result<Vec<f64>, EstimatorError> {
    check_matrix(z)?;
    let mean = z.mean_axis(Axis(0)).ok_or(EstimatorError::EmptyInput)?;
    let centred = &z - &mean;
    singular_values(centred.view())
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

/// Eigenvalues of the symmetric matrix `a` (only its upper triangle is read), unordered.
///
/// Cyclic Jacobi with the threshold strategy and the diagonal-update accumulation of
/// Numerical Recipes' `jacobi` (Press et al., 3rd ed., §11.1); eigenvectors are not formed.
/// Stops when every off-diagonal element has been annihilated (underflowed relative to the
/// diagonal), which gives eigenvalues accurate to a few ulps of the matrix norm.
fn symmetric_eigenvalues(mut a: Array2<f64>) -> Vec<f64> {
    let n = a.nrows();
    debug_assert_eq!(n, a.ncols());
    let mut d: Vec<f64> = (0..n).map(|i| a[[i, i]]).collect();
    let mut b = d.clone();
    let mut z = vec![0.0; n];
    let a = a
        .as_slice_mut()
        .expect("a freshly computed Gram matrix is contiguous");
    let idx = |r: usize, c: usize| r * n + c;
    for sweep in 1..=MAX_SWEEPS {
        let off: f64 = (0..n)
            .map(|p| {
                a[idx(p, p + 1)..idx(p, n)]
                    .iter()
                    .map(|v| v.abs())
                    .sum::<f64>()
            })
            .sum();
        if off == 0.0 {
            break;
        }
        let thresh = if sweep < 4 {
            0.2 * off / (n * n) as f64
        } else {
            0.0
        };
        for p in 0..n.saturating_sub(1) {
            for q in p + 1..n {
                let apq = a[idx(p, q)];
                let g = 100.0 * apq.abs();
                if sweep > 4 && d[p].abs() + g == d[p].abs() && d[q].abs() + g == d[q].abs() {
                    a[idx(p, q)] = 0.0;
                    continue;
                }
                if apq.abs() <= thresh {
                    continue;
                }
                let h = d[q] - d[p];
                let t = if h.abs() + g == h.abs() {
                    apq / h
                } else {
                    let theta = 0.5 * h / apq;
                    let t = 1.0 / (theta.abs() + (1.0 + theta * theta).sqrt());
                    if theta < 0.0 {
                        -t
                    } else {
                        t
                    }
                };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                let tau = s / (1.0 + c);
                let h = t * apq;
                z[p] -= h;
                z[q] += h;
                d[p] -= h;
                d[q] += h;
                a[idx(p, q)] = 0.0;
                let rotate = |a: &mut [f64], i: usize, j: usize| {
                    let (g, h) = (a[i], a[j]);
                    a[i] = g - s * (h + g * tau);
                    a[j] = h + s * (g - h * tau);
                };
                for r in 0..p {
                    rotate(a, idx(r, p), idx(r, q));
                }
                for r in p + 1..q {
                    rotate(a, idx(p, r), idx(r, q));
                }
                for r in q + 1..n {
                    rotate(a, idx(p, r), idx(q, r));
                }
            }
        }
        for i in 0..n {
            b[i] += z[i];
            d[i] = b[i];
            z[i] = 0.0;
        }
    }
    d
}

/// Eigenvalues of the symmetric matrix `a` (only its lower triangle is read), unordered:
/// Householder reduction to tridiagonal form, then the QL algorithm with implicit shifts
/// (Numerical Recipes 3rd ed. §11.3–11.4, `tred2` without eigenvectors and `tqli`).
fn tridiagonal_ql_eigenvalues(mut a: Array2<f64>) -> Vec<f64> {
    let n = a.nrows();
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    // Householder: e[i] is the sub-diagonal element (i, i − 1) of the tridiagonal matrix.
    for i in (1..n).rev() {
        let l = i - 1;
        if l > 0 {
            let scale: f64 = (0..=l).map(|k| a[[i, k]].abs()).sum();
            if scale == 0.0 {
                e[i] = a[[i, l]];
            } else {
                let mut h = 0.0;
                for k in 0..=l {
                    a[[i, k]] /= scale;
                    h += a[[i, k]] * a[[i, k]];
                }
                let f = a[[i, l]];
                let g = if f >= 0.0 { -h.sqrt() } else { h.sqrt() };
                e[i] = scale * g;
                h -= f * g;
                a[[i, l]] = f - g;
                let mut f = 0.0;
                for j in 0..=l {
                    let mut g = 0.0;
                    for k in 0..=j {
                        g += a[[j, k]] * a[[i, k]];
                    }
                    for k in j + 1..=l {
                        g += a[[k, j]] * a[[i, k]];
                    }
                    e[j] = g / h;
                    f += e[j] * a[[i, j]];
                }
                let hh = f / (h + h);
                for j in 0..=l {
                    let f = a[[i, j]];
                    let g = e[j] - hh * f;
                    e[j] = g;
                    for k in 0..=j {
                        a[[j, k]] -= f * e[k] + g * a[[i, k]];
                    }
                }
            }
        } else {
            e[i] = a[[i, l]];
        }
    }
    for (i, di) in d.iter_mut().enumerate() {
        *di = a[[i, i]];
    }
    // QL with implicit shifts on the tridiagonal (d, e), e shifted to e[i] = (i + 1, i).
    for i in 1..n {
        e[i - 1] = e[i];
    }
    if n > 0 {
        e[n - 1] = 0.0;
    }
    for l in 0..n {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 60 {
                // Not converged (never seen for symmetric input): keep the current diagonal.
                break;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut underflow = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};
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
    fn jacobi_and_tridiagonal_ql_agree() {
        for (n, seed) in [(1usize, 1u64), (2, 2), (5, 3), (60, 4), (250, 5)] {
            let g = gaussian_matrix(n + 7, n, seed);
            let gram = g.t().dot(&g);
            let mut a = symmetric_eigenvalues(gram.clone());
            let mut b = tridiagonal_ql_eigenvalues(gram);
            a.sort_by(|x, y| y.total_cmp(x));
            b.sort_by(|x, y| y.total_cmp(x));
            assert_spectrum(&b, &a, 1e-13);
        }
        // Degenerate spectra: a multiple of the identity and a rank-one matrix.
        let eye = Array2::<f64>::eye(200) * 2.0;
        assert_spectrum(&tridiagonal_ql_eigenvalues(eye), &[2.0; 200], 1e-15);
        let v = Array1::linspace(1.0, 2.0, 300);
        let rank_one = v
            .view()
            .insert_axis(Axis(1))
            .dot(&v.view().insert_axis(Axis(0)));
        let mut e = tridiagonal_ql_eigenvalues(rank_one);
        e.sort_by(|x, y| y.total_cmp(x));
        assert!((e[0] - v.dot(&v)).abs() < 1e-12 * e[0]);
        assert!(e[1].abs() < 1e-12 * e[0]);
    }

    #[test]
    fn large_rotated_diagonal_is_recovered_by_the_ql_path() {
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

    #[test]
    fn jacobi_handles_degenerate_eigenvalues() {
        // 3·I plus a rank-one term: eigenvalues 3 (twice) and 3 + ‖v‖².
        let v = array![1.0, 2.0, 2.0];
        let a = Array2::<f64>::eye(3) * 3.0
            + v.view()
                .insert_axis(Axis(1))
                .dot(&v.view().insert_axis(Axis(0)));
        let mut e = symmetric_eigenvalues(a);
        e.sort_by(|x, y| y.total_cmp(x));
        assert_spectrum(&e, &[12.0, 3.0, 3.0], 1e-15);
    }
}
