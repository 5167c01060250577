//! The spectra of a symmetric matrix A and of its rank-one update A + c·u uᵀ from one
//! tridiagonalisation: the Gram matrices of an embedding, centred (G_c) and raw
//! (G = G_c + n·z̄ z̄ᵀ, ARCHITECTURE.md §4), at the cost of one.
//!
//! A Householder reflector H₀ maps u to β e₁. The two-stage reduction of H₀ A H₀
//! ([`super::band`] then [`super::bulge_chase`]) is `Qᵀ (H₀ A H₀) Q = T` with `Q e₁ = e₁`, so
//!
//! ```text
//! (H₀Q)ᵀ A (H₀Q) = T,        (H₀Q)ᵀ (A + c·u uᵀ) (H₀Q) = T + c·β² e₁ e₁ᵀ
//! ```
//!
//! and the second spectrum is that of T with `c·β²` added to its first diagonal entry. Both
//! are computed by [`super::tridiagonal`]'s QL iteration. Adding the (for c ≥ 0 positive
//! semi-definite) update after the reduction keeps the accuracy of a direct decomposition of
//! A + c·u uᵀ: every eigenvalue to a few units of ε_mach·‖A + c·u uᵀ‖₂.
//!
//! Work: the reduction to a band of half-bandwidth [`BAND`] is (4/3)·d³ multiply-adds in matrix
//! products (faer's gemm, on [`super::EIGEN_PAR_DEGREE`] tasks from order
//! [`super::EIGEN_PAR_MIN_DIM`] on); the bulge chase O(d²·BAND) on data in cache; the two QL
//! iterations O(d²). The one-stage reduction faer uses for [`super::symmetric_eigenvalues`]
//! reads the whole trailing matrix twice per column, so at d = 8192 (a 537 MB matrix) it is
//! limited by memory bandwidth; this one is limited by arithmetic.

use faer::prelude::{Reborrow, ReborrowMut};
use faer::{MatMut, Par};

use super::band::reduce_to_band;
use super::bulge_chase::band_to_tridiagonal;
use super::householder::make_reflector;
use super::tridiagonal::tridiagonal_eigenvalues;
use super::{EIGEN_PAR_DEGREE, EIGEN_PAR_MIN_DIM};

/// Half-bandwidth of the intermediate band: wide enough for efficient matrix products in
/// stage 1, narrow enough for a cheap stage 2.
pub const BAND: usize = 32;

/// The eigenvalues of the symmetric A whose lower triangle `a` holds (column-major, unit row
/// stride: a faer `Mat` or a block of one), and those of A + c·u uᵀ, each in descending order.
/// `a` is overwritten. Accurate to a few units of `ε_mach · ‖·‖₂` in absolute terms; NaN
/// everywhere if an entry of the lower triangle is not finite.
///
/// Deterministic: the same bits whatever the number of threads.
pub fn eigenvalues_with_rank_one_update(
    mut a: MatMut<'_, f64>,
    u: &[f64],
    c: f64,
) -> (Vec<f64>, Vec<f64>) {
    let d = a.nrows();
    assert!(
        a.ncols() == d && u.len() == d,
        "a square matrix and a vector of its order"
    );
    assert!(
        d < 2 || a.row_stride() == 1,
        "a column-major matrix (unit row stride), as faer's `Mat` is"
    );
    if d == 0 {
        return (Vec::new(), Vec::new());
    }
    let beta = reflect_onto_e1(a.rb_mut(), u);
    let par = if d >= EIGEN_PAR_MIN_DIM {
        Par::rayon(EIGEN_PAR_DEGREE)
    } else {
        Par::Seq
    };
    reduce_to_band(a.rb_mut(), BAND, par);
    let (diag, sub) = band_to_tridiagonal(a.rb(), BAND);
    let mut diag_updated = diag.clone();
    diag_updated[0] += c * beta * beta;
    // The two QL iterations are independent: one task each.
    let (values, updated) = rayon::join(
        || tridiagonal_eigenvalues(&diag, &sub),
        || tridiagonal_eigenvalues(&diag_updated, &sub),
    );
    (values, updated)
}

/// `A ← H₀ A H₀` (lower triangle) for the reflector with `H₀ u = β e₁`; returns β.
fn reflect_onto_e1(mut a: MatMut<'_, f64>, u: &[f64]) -> f64 {
    let d = a.nrows();
    let mut v = u.to_vec();
    let h = make_reflector(&mut v);
    if h.tau == 0.0 {
        return h.beta;
    }
    v[0] = 1.0;
    // p = τ A v from the lower triangle, w = p − (τ/2)(pᵀv) v, tril(A) −= tril(v wᵀ + w vᵀ).
    let mut p = vec![0.0; d];
    for j in 0..d {
        let col = a.rb().col(j);
        let (mut below, vj) = (0.0, v[j]);
        p[j] += col[j] * vj;
        for i in j + 1..d {
            p[i] += col[i] * vj;
            below += col[i] * v[i];
        }
        p[j] += below;
    }
    p.iter_mut().for_each(|x| *x *= h.tau);
    let k = 0.5 * h.tau * p.iter().zip(&v).map(|(x, y)| x * y).sum::<f64>();
    let w: Vec<f64> = p.iter().zip(&v).map(|(x, y)| x - k * y).collect();
    for j in 0..d {
        let (vj, wj) = (v[j], w[j]);
        let mut col = a.rb_mut().col_mut(j);
        for i in j..d {
            col[i] -= v[i] * wj + w[i] * vj;
        }
    }
    h.beta
}

#[cfg(test)]
mod tests {
    use super::super::band::reduce_to_band;
    use super::super::bulge_chase::band_to_tridiagonal;
    use super::*;
    use faer::Mat;
    use rand::{Rng, SeedableRng};

    fn random_symmetric(d: usize, seed: u64) -> Mat<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut a = Mat::<f64>::zeros(d, d);
        for j in 0..d {
            for i in j..d {
                let x = rng.random_range(-1.0..1.0);
                a[(i, j)] = x;
                a[(j, i)] = x;
            }
        }
        a
    }

    /// faer's eigenvalues (one-stage tridiagonalisation, implicit QR), descending.
    fn reference(a: &Mat<f64>) -> Vec<f64> {
        super::super::symmetric_eigenvalues_lower(a.as_ref())
    }

    fn assert_close(got: &[f64], want: &[f64], scale: f64, what: &str) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-12 * scale,
                "{what}: λ_{i} = {g} vs {w} (scale {scale})"
            );
        }
    }

    #[test]
    fn band_then_chase_leaves_a_similar_tridiagonal_matrix() {
        for (d, nb) in [
            (1, 1),
            (2, 1),
            (3, 2),
            (7, 3),
            (33, 4),
            (64, 8),
            (130, 32),
            (200, 17),
        ] {
            let a = random_symmetric(d, d as u64 + 100 * nb as u64);
            let mut b = a.clone();
            // Only the lower triangle is read or written.
            for j in 1..d {
                for i in 0..j {
                    b[(i, j)] = f64::NAN;
                }
            }
            reduce_to_band(b.as_mut(), nb, Par::Seq);
            for j in 0..d {
                for i in j..d {
                    if i - j > nb {
                        assert!(b[(i, j)].abs() < 1e-13, "d {d} nb {nb}: band ({i},{j})");
                    }
                    assert!(b[(i, j)].is_finite());
                }
                for i in 0..j {
                    assert!(b[(i, j)].is_nan());
                }
            }
            // Q fixes the first nb coordinates: their block is unchanged.
            for j in 0..d.min(nb) {
                for i in j..d.min(nb) {
                    assert_eq!(b[(i, j)], a[(i, j)]);
                }
            }
            let (diag, sub) = band_to_tridiagonal(b.as_ref(), nb);
            assert_eq!(diag[0], a[(0, 0)], "e₁ is fixed");
            let got = tridiagonal_eigenvalues(&diag, &sub);
            assert_close(&got, &reference(&a), d as f64, &format!("d {d} nb {nb}"));
        }
    }

    #[test]
    fn both_spectra_match_direct_decompositions() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for d in [1usize, 2, 3, 5, 31, 32, 33, 34, 65, 97, 300] {
            let a = random_symmetric(d, d as u64);
            let u: Vec<f64> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
            let c = 7.5;
            let mut updated = a.clone();
            for j in 0..d {
                for i in 0..d {
                    updated[(i, j)] += c * u[i] * u[j];
                }
            }
            // Only the lower triangle is read: spoil the upper one.
            let mut lower = a.clone();
            for j in 1..d {
                for i in 0..j {
                    lower[(i, j)] = f64::NAN;
                }
            }
            let (l, lu) = eigenvalues_with_rank_one_update(lower.as_mut(), &u, c);
            let scale = d as f64 * (1.0 + c * u.iter().map(|x| x * x).sum::<f64>());
            assert_close(&l, &reference(&a), scale, &format!("A, d {d}"));
            assert_close(
                &lu,
                &reference(&updated),
                scale,
                &format!("A + cuuᵀ, d {d}"),
            );
        }
    }

    #[test]
    fn a_zero_vector_and_a_multiple_of_e1_leave_a_alone() {
        let a = random_symmetric(40, 3);
        let want = reference(&a);
        let (l, lu) = eigenvalues_with_rank_one_update(a.clone().as_mut(), &[0.0; 40], 3.0);
        assert_close(&l, &want, 40.0, "u = 0");
        assert_eq!(l, lu);
        let mut e1 = vec![0.0; 40];
        e1[0] = 2.0;
        let mut updated = a.clone();
        updated[(0, 0)] += 3.0 * 4.0;
        let (_, lu) = eigenvalues_with_rank_one_update(a.clone().as_mut(), &e1, 3.0);
        assert_close(&lu, &reference(&updated), 52.0, "u = 2e₁");
    }

    #[test]
    fn a_low_rank_gram_matrix_has_finite_zero_eigenvalues() {
        // G = XᵀX of rank 3 and order 300: 297 eigenvalues are rounding noise around 0, a
        // cluster in which a convergence test relative to neighbouring entries never passes.
        let (n, d, r) = (400, 300, 3);
        let mut rng = rand::rngs::StdRng::seed_from_u64(6);
        let f = Mat::<f64>::from_fn(n, r, |_, _| rng.random_range(-1.0..1.0));
        let w = Mat::<f64>::from_fn(r, d, |_, _| rng.random_range(-1.0..1.0));
        let x = &f * &w;
        let mut g = x.transpose() * &x;
        let norm = reference(&g)[0];
        let u = vec![0.1; d];
        let (l, lu) = eigenvalues_with_rank_one_update(g.as_mut(), &u, n as f64);
        assert!(l.iter().chain(&lu).all(|v| v.is_finite()));
        assert!(
            l[r..].iter().all(|v| v.abs() < 1e-12 * norm),
            "{:?}",
            &l[..6]
        );
        assert!(lu[r + 1..].iter().all(|v| v.abs() < 1e-12 * norm));
    }

    #[test]
    fn non_finite_entries_give_nan() {
        let mut a = random_symmetric(50, 4);
        a[(30, 10)] = f64::INFINITY;
        let (l, lu) = eigenvalues_with_rank_one_update(a.as_mut(), &[1.0; 50], 1.0);
        assert!(l.iter().chain(&lu).all(|v| v.is_nan()));
    }

    #[test]
    fn same_bits_with_one_and_three_threads() {
        let d = EIGEN_PAR_MIN_DIM + 37;
        let a = random_symmetric(d, 8);
        let u: Vec<f64> = (0..d).map(|i| (i % 7) as f64 - 3.0).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| eigenvalues_with_rank_one_update(a.clone().as_mut(), &u, 2.0))
        };
        let (one, three) = (run(1), run(3));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one.0), bits(&three.0));
        assert_eq!(bits(&one.1), bits(&three.1));
    }
}
