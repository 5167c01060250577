//! Dense symmetric linear algebra on [`ndarray`] matrices: the one place the crate decomposes a
//! matrix. Every eigen-decomposition and Cholesky factorisation of the crate (spectra, PCA,
//! Gaussian log-determinants, LiDAR) goes through these functions, which call
//! [faer](https://docs.rs/faer) sequentially (`Par::Seq`) or, for the large matrices of
//! [`symmetric_eigenvalues_lower`] and [`symmetric_eigen_lower`], as a fixed number of rayon
//! tasks ([`EIGEN_PAR_DEGREE`]), so results do not depend on the number of threads.
//!
//! - [`symmetric_eigenvalues`]: eigenvalues of a symmetric matrix, descending (Householder
//!   tridiagonalisation and the implicit QR algorithm).
//! - [`symmetric_eigen`]: eigenvalues and eigenvectors, descending, each eigenvector with a fixed
//!   sign (its largest-magnitude component positive), so that projections onto the eigenvectors
//!   are reproducible.
//! - [`eigenvalues_with_rank_one_update`]: the eigenvalues of A and of A + c·u uᵀ from one
//!   two-stage tridiagonalisation of its own (band reduction by matrix products, bulge chasing,
//!   QL: the submodules), for the large Gram matrices of [`crate::moments`].
//! - [`ln_det_spd`]: `ln det A` of a symmetric positive-definite matrix by Cholesky
//!   factorisation `A = L Lᵀ`, `ln det A = 2 Σ_i ln L_ii`.

mod band;
mod bulge_chase;
mod householder;
mod rank_one;
mod tridiagonal;

pub use rank_one::{eigenvalues_with_rank_one_update, BAND};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{
    cholesky_in_place, cholesky_in_place_scratch, LltRegularization,
};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::{Mat, MatRef, Par};
use ndarray::{Array2, ArrayView2};

/// A symmetric eigen-decomposition `A = V diag(λ) Vᵀ` (see [`symmetric_eigen`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues λ, in descending order.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`; each column's
    /// largest-magnitude component is positive (the first such component on a tie).
    pub vectors: Array2<f64>,
}

/// `a` (square) as a faer matrix (a copy: ndarray views may have any strides).
fn to_faer(a: ArrayView2<f64>) -> Mat<f64> {
    assert_eq!(a.nrows(), a.ncols(), "a square matrix is needed");
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

/// Eigenvalues of the symmetric matrix `a` (only its lower triangle is read), in descending
/// order.
///
/// Accurate to a few units of `ε_mach · ‖a‖₂` in absolute terms. If the QR iteration does not
/// converge (not seen for finite symmetric input), every value is NaN. Panics if `a` is not
/// square.
///
/// ```
/// use ndarray::array;
/// let a = array![[2.0, 1.0], [1.0, 2.0]];
/// let l = ib_estimators::linalg::symmetric_eigenvalues(a.view());
/// assert!((l[0] - 3.0).abs() < 1e-14 && (l[1] - 1.0).abs() < 1e-14);
/// ```
pub fn symmetric_eigenvalues(a: ArrayView2<f64>) -> Vec<f64> {
    let m = to_faer(a);
    eigenvalues_of(m.as_ref(), Par::Seq)
}

/// Matrices from this order on are tridiagonalised with [`EIGEN_PAR_DEGREE`] tasks.
pub const EIGEN_PAR_MIN_DIM: usize = 1024;

/// The fixed number of tasks a large eigenvalue problem is split into, whatever the number of
/// threads: faer's parallel tridiagonalisation sums one partial result per task, so the bits
/// depend on this number and not on how many threads run the tasks (tested below).
pub const EIGEN_PAR_DEGREE: usize = 2;

/// Eigenvalues of the symmetric matrix whose lower triangle `a` holds (faer, column-major),
/// descending; like [`symmetric_eigenvalues`] without a copy into faer's layout (faer's solver
/// still takes one d×d working copy). From order
/// [`EIGEN_PAR_MIN_DIM`] on the tridiagonalisation runs as [`EIGEN_PAR_DEGREE`] rayon tasks,
/// with the same bits for any thread count.
pub fn symmetric_eigenvalues_lower(a: MatRef<'_, f64>) -> Vec<f64> {
    let par = if a.nrows() >= EIGEN_PAR_MIN_DIM {
        Par::rayon(EIGEN_PAR_DEGREE)
    } else {
        Par::Seq
    };
    eigenvalues_of(a, par)
}

fn eigenvalues_of(m: MatRef<'_, f64>, par: Par) -> Vec<f64> {
    let n = m.nrows();
    assert_eq!(n, m.ncols(), "a square matrix is needed");
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::No,
        par,
        Default::default(),
    ));
    let done = self_adjoint_evd(
        m,
        s.as_mut(),
        None,
        par,
        MemStack::new(&mut buf),
        Default::default(),
    );
    let mut values: Vec<f64> = match done {
        Ok(()) => s.column_vector().iter().copied().collect(),
        Err(_) => vec![f64::NAN; n],
    };
    values.sort_by(|x, y| y.total_cmp(x));
    values
}

/// Eigenvalues and eigenvectors of the symmetric matrix `a` (only its lower triangle is read):
/// eigenvalues in descending order, eigenvectors as the columns of
/// [`SymmetricEigen::vectors`] in the same order.
///
/// Each eigenvector is defined up to its sign; the sign is fixed so that the component of
/// largest magnitude is positive (the first one on a tie), the convention of scikit-learn's
/// `svd_flip`. Eigenvectors of a repeated eigenvalue are any orthonormal basis of its
/// eigenspace. If the iteration does not converge (not seen for finite symmetric input), the
/// values and vectors are NaN. Panics if `a` is not square.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0, 0.0], [0.0, 4.0]];
/// let e = ib_estimators::linalg::symmetric_eigen(a.view());
/// assert_eq!(e.values, vec![4.0, 1.0]);
/// assert_eq!(e.vectors, array![[0.0, 1.0], [1.0, 0.0]]);
/// ```
pub fn symmetric_eigen(a: ArrayView2<f64>) -> SymmetricEigen {
    let n = a.nrows();
    let m = to_faer(a);
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let par = Par::Seq;
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    let done = self_adjoint_evd(
        m.as_ref(),
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    );
    if done.is_err() {
        return SymmetricEigen {
            values: vec![f64::NAN; n],
            vectors: Array2::from_elem((n, n), f64::NAN),
        };
    }
    let s = s.column_vector();
    // Descending; equal eigenvalues keep faer's (ascending) order reversed.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| s[j].total_cmp(&s[i]).then(j.cmp(&i)));
    let values = order.iter().map(|&i| s[i]).collect();
    let mut vectors = Array2::zeros((n, n));
    for (c, &i) in order.iter().enumerate() {
        let col = u.col(i);
        let sign = sign_of_largest(col.iter().copied());
        for r in 0..n {
            vectors[[r, c]] = sign * col[r];
        }
    }
    SymmetricEigen { values, vectors }
}

/// Eigenvalues and eigenvectors (the columns of the matrix) of the symmetric matrix whose lower
/// triangle `a` holds (faer, column-major), in faer's order (ascending eigenvalues) and with
/// faer's signs, for callers whose result depends on neither (LiDAR's Σ_w^{−½}). From order
/// [`EIGEN_PAR_MIN_DIM`] on it runs as [`EIGEN_PAR_DEGREE`] rayon tasks, with the same bits for
/// any thread count (tested in `panel::lidar`). `None` if the iteration does not converge.
pub fn symmetric_eigen_lower(a: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "a square matrix is needed");
    let par = if n >= EIGEN_PAR_MIN_DIM {
        Par::rayon(EIGEN_PAR_DEGREE)
    } else {
        Par::Seq
    };
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    Some((s.column_vector().iter().copied().collect(), u))
}

/// The Cholesky factor L of the symmetric positive-definite matrix whose lower triangle `a`
/// holds (faer, column-major), `a = L Lᵀ`, in the lower triangle of the result (the upper one is
/// not meaningful), computed sequentially (`Par::Seq`). `None` if a pivot is not positive.
pub fn cholesky_lower(mut a: Mat<f64>) -> Option<Mat<f64>> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "a square matrix is needed");
    let par = Par::Seq;
    let mut buf = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    cholesky_in_place(
        a.as_mut(),
        LltRegularization::default(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    Some(a)
}

/// +1 or −1: the sign of the largest-magnitude value (the first one on a tie; +1 if all are 0).
pub(crate) fn sign_of_largest(v: impl Iterator<Item = f64>) -> f64 {
    let mut best = 0.0f64;
    let mut sign = 1.0;
    for x in v {
        if x.abs() > best {
            best = x.abs();
            sign = if x < 0.0 { -1.0 } else { 1.0 };
        }
    }
    sign
}

/// `ln det a` of a symmetric positive-definite matrix `a` (only its lower triangle is read), by
/// Cholesky factorisation `a = L Lᵀ`:
///
/// ```text
/// ln det a = 2 Σ_i ln L_ii
/// ```
///
/// `None` if a pivot is not positive (`a` is singular or indefinite in floating point, or holds
/// NaN). Panics if `a` is not square.
///
/// ```
/// use ndarray::array;
/// let a = array![[4.0, 2.0], [2.0, 3.0]];
/// let ld = ib_estimators::linalg::ln_det_spd(a.view()).unwrap();
/// assert!((ld - 8f64.ln()).abs() < 1e-14);
/// assert_eq!(ib_estimators::linalg::ln_det_spd(array![[1.0, 1.0], [1.0, 1.0]].view()), None);
/// ```
pub fn ln_det_spd(a: ArrayView2<f64>) -> Option<f64> {
    let n = a.nrows();
    let mut m = to_faer(a);
    let par = Par::Seq;
    let mut buf = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    cholesky_in_place(
        m.as_mut(),
        LltRegularization::default(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let l: MatRef<'_, f64> = m.as_ref();
    let mut ln_det = 0.0;
    for i in 0..n {
        ln_det += 2.0 * l[(i, i)].ln();
    }
    Some(ln_det)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Axis};
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian_matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((rows, cols), |_| StandardNormal.sample(&mut rng))
    }

    #[test]
    fn large_spectra_have_the_same_bits_with_one_and_several_threads() {
        let n = EIGEN_PAR_MIN_DIM + 37;
        let x = gaussian_matrix(n / 2, n, 21);
        let g = x.t().dot(&x);
        let m = to_faer(g.view());
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| symmetric_eigenvalues_lower(m.as_ref()))
        };
        let (one, two, three) = (run(1), run(2), run(3));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one), bits(&two));
        assert_eq!(bits(&one), bits(&three));
        // And they are the eigenvalues: the sequential solver agrees to rounding.
        let seq = symmetric_eigenvalues(g.view());
        for (a, b) in one.iter().zip(&seq) {
            assert!((a - b).abs() <= 1e-10 * seq[0], "{a} vs {b}");
        }
    }

    fn assert_spectrum(actual: &[f64], expected: &[f64], rel: f64) {
        assert_eq!(actual.len(), expected.len());
        let top = expected[0].abs();
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() <= rel * top, "{a} vs {e}");
        }
    }

    #[test]
    fn degenerate_eigenvalues() {
        // 3·I plus a rank-one term: eigenvalues 3 + ‖v‖² = 12, then 3 twice.
        let v = array![1.0, 2.0, 2.0];
        let a = Array2::<f64>::eye(3) * 3.0
            + v.view()
                .insert_axis(Axis(1))
                .dot(&v.view().insert_axis(Axis(0)));
        assert_spectrum(&symmetric_eigenvalues(a.view()), &[12.0, 3.0, 3.0], 1e-15);
        // A multiple of the identity and a rank-one matrix, large.
        let eye = Array2::<f64>::eye(200) * 2.0;
        assert_spectrum(&symmetric_eigenvalues(eye.view()), &[2.0; 200], 1e-15);
        let v = Array1::linspace(1.0, 2.0, 300);
        let rank_one = v
            .view()
            .insert_axis(Axis(1))
            .dot(&v.view().insert_axis(Axis(0)));
        let e = symmetric_eigenvalues(rank_one.view());
        assert!((e[0] - v.dot(&v)).abs() < 1e-12 * e[0]);
        assert!(e[1].abs() < 1e-12 * e[0]);
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn eigenpairs_satisfy_the_definition_with_the_sign_rule() {
        let a = array![[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]];
        let e = symmetric_eigen(a.view());
        for c in 0..3 {
            let v = e.vectors.column(c);
            let av = a.dot(&v);
            for i in 0..3 {
                assert!((av[i] - e.values[c] * v[i]).abs() < 1e-12);
            }
            let top = v
                .iter()
                .fold(0.0f64, |m, x| if x.abs() > m.abs() { *x } else { m });
            assert!(top > 0.0);
        }
        assert!(e.values[0] >= e.values[1] && e.values[1] >= e.values[2]);
        let vtv = e.vectors.t().dot(&e.vectors);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((vtv[[i, j]] - want).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn eigenvalues_match_the_decomposition_and_the_trace() {
        for (n, seed) in [(1usize, 1u64), (2, 2), (5, 3), (60, 4), (250, 5)] {
            let g = gaussian_matrix(n + 7, n, seed);
            let gram = g.t().dot(&g);
            let vals = symmetric_eigenvalues(gram.view());
            let full = symmetric_eigen(gram.view());
            assert_spectrum(&vals, &full.values, 1e-13);
            let trace: f64 = gram.diag().sum();
            let sum: f64 = vals.iter().sum();
            assert!((trace - sum).abs() < 1e-12 * trace);
            let back = full
                .vectors
                .dot(&Array2::from_diag(&Array1::from(full.values.clone())))
                .dot(&full.vectors.t());
            let err = (&back - &gram).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(err < 1e-12 * vals[0], "n = {n}: {err}");
        }
    }

    #[test]
    fn ln_det_matches_the_eigenvalues() {
        let g = gaussian_matrix(40, 6, 9);
        let gram = g.t().dot(&g);
        let ld = ln_det_spd(gram.view()).unwrap();
        let from_eig: f64 = symmetric_eigenvalues(gram.view())
            .iter()
            .map(|l| l.ln())
            .sum();
        assert!((ld - from_eig).abs() < 1e-12 * ld.abs().max(1.0));
        let mut singular = gram.clone();
        singular.row_mut(2).fill(0.0);
        singular.column_mut(2).fill(0.0);
        assert_eq!(ln_det_spd(singular.view()), None);
        let mut nan = gram;
        nan[[3, 3]] = f64::NAN;
        assert_eq!(ln_det_spd(nan.view()), None);
    }
}
