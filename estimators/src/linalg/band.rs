//! Stage 1 of the two-stage tridiagonalisation: a dense symmetric matrix to a symmetric band
//! of half-bandwidth `nb` by blocked Householder QR of column panels (Bischof, Lang & Sun,
//! "A framework for symmetric band reduction", ACM TOMS 26, 2000; LAPACK's `dsytrd_sy2sb`).
//!
//! For k = 0, nb, 2nb, …: the panel `P = A[k+nb.., k..k+nb]` (m × nb) is factorised
//! `P = Q R` with `Q = I − V T Vᵀ` (compact WY, Schreiber & Van Loan 1989), R replaces the
//! panel, and the trailing block `A₂₂ = A[k+nb.., k+nb..]` becomes `Qᵀ A₂₂ Q`:
//!
//! ```text
//! X = A₂₂ V T,   S = Tᵀ Vᵀ X  (symmetric),   W = X − ½ V S,   A₂₂ ← A₂₂ − V Wᵀ − W Vᵀ
//! ```
//!
//! Almost all the work is in two matrix products per panel (faer's packed, vectorised gemm), so
//! unlike the one-stage reduction, whose matrix-vector products read the whole trailing matrix
//! once per column, it runs at the speed of matrix multiplication rather than of memory. The
//! transformations act on indices ≥ nb only: `Q e₁ = e₁` (see [`super::rank_one`]).
//!
//! Only the lower triangle is read and updated: `A V = tril(A) V + stril(A)ᵀ V` and the rank-2r
//! update of the lower triangle alone are faer's triangular products, (4/3)·d³ multiply-adds
//! in all. Deterministic: the products run with a fixed `Par`, chosen by the matrix order
//! alone, and faer splits only the output of a product between tasks, so the bits do not
//! depend on the number of threads (tested in [`super::rank_one`]).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, Par};

use super::householder::{axpy, dot, make_reflector};

/// Reduces the symmetric matrix whose lower triangle `a` holds (column-major; the strict upper
/// triangle is neither read nor written) in place to a band of half-bandwidth `nb`: on return
/// `a[i, j] = 0` for `i − j > nb` and the lower band holds that of `Q̃ᵀ A Q̃` for an orthogonal
/// `Q̃` that fixes the first `nb` coordinates.
pub(crate) fn reduce_to_band(mut a: MatMut<'_, f64>, nb: usize, par: Par) {
    let d = a.nrows();
    assert!(a.ncols() == d && nb >= 1, "a square matrix and nb ≥ 1");
    let mut k = 0;
    // Rows below the band: m ≥ 2 leaves something to annihilate.
    while k + nb + 2 <= d {
        let m = d - k - nb;
        let r = nb.min(m - 1);
        let (v, t) = factor_panel(a.rb_mut().submatrix_mut(k + nb, k, m, nb), r);
        let a22 = a.rb_mut().submatrix_mut(k + nb, k + nb, m, m);
        two_sided_update(a22, v, t, if m >= PAR_MIN_ORDER { par } else { Par::Seq });
        k += nb;
    }
}

/// Trailing blocks smaller than this are updated sequentially.
const PAR_MIN_ORDER: usize = 256;

/// Column `j` of a column-major matrix as a slice.
fn col_slice(a: MatMut<'_, f64>, j: usize) -> &mut [f64] {
    a.col_mut(j)
        .try_as_col_major_mut()
        .expect("a column-major matrix")
        .as_slice_mut()
}

/// Householder QR of the panel `p` (m × nb, m ≥ 2) with `r` reflectors: on return `p` holds R
/// (zeros below its diagonal) and the result is `(V, T)` with `Q = I − V T Vᵀ` (V m × r, unit
/// lower trapezoidal; T r × r upper triangular; LAPACK `dgeqr2` + `dlarft`).
fn factor_panel(mut p: MatMut<'_, f64>, r: usize) -> (Mat<f64>, Mat<f64>) {
    let (m, nb) = (p.nrows(), p.ncols());
    let mut v = Mat::<f64>::zeros(m, r);
    let mut tau = vec![0.0; r];
    for (j, tau_j) in tau.iter_mut().enumerate() {
        let (left, mut right) = p.rb_mut().split_at_col_mut(j + 1);
        let x = &mut col_slice(left, j)[j..];
        let h = make_reflector(x);
        *tau_j = h.tau;
        let vj = &mut v.col_as_slice_mut(j)[j..];
        vj[0] = 1.0;
        vj[1..].copy_from_slice(&x[1..]);
        x[1..].fill(0.0);
        if h.tau != 0.0 {
            for c in 0..nb - j - 1 {
                let y = &mut col_slice(right.rb_mut(), c)[j..];
                let s = h.tau * dot(vj, y);
                axpy(s, vj, y);
            }
        }
    }
    // dlarft, forward and columnwise: T_jj = τ_j, T[0..j, j] = −τ_j T[0..j, 0..j] V[:, 0..j]ᵀ v_j.
    let mut t = Mat::<f64>::zeros(r, r);
    for j in 0..r {
        t[(j, j)] = tau[j];
        if j == 0 || tau[j] == 0.0 {
            continue;
        }
        let vj = &v.col_as_slice(j)[j..];
        let w: Vec<f64> = (0..j)
            .map(|i| -tau[j] * dot(&v.col_as_slice(i)[j..], vj))
            .collect();
        for i in 0..j {
            t[(i, j)] = (i..j).map(|l| t[(i, l)] * w[l]).sum();
        }
    }
    (v, t)
}

/// `a ← Qᵀ a Q` for `Q = I − V T Vᵀ` and the symmetric `a` whose lower triangle is stored.
fn two_sided_update(mut a: MatMut<'_, f64>, v: Mat<f64>, t: Mat<f64>, par: Par) {
    let (m, r) = (v.nrows(), v.ncols());
    // A V from the lower triangle: tril(A) V + stril(A)ᵀ V.
    let mut av = Mat::<f64>::zeros(m, r);
    let (rect, lower) = (BlockStructure::Rectangular, BlockStructure::TriangularLower);
    triangular::matmul(
        av.as_mut(),
        rect,
        Accum::Replace,
        a.rb(),
        lower,
        v.as_ref(),
        rect,
        1.0,
        par,
    );
    let upper = BlockStructure::StrictTriangularUpper;
    triangular::matmul(
        av.as_mut(),
        rect,
        Accum::Add,
        a.rb().transpose(),
        upper,
        v.as_ref(),
        rect,
        1.0,
        par,
    );
    // X = A V T, S = Tᵀ (Vᵀ X), W = X − ½ V S
    let mut x = Mat::<f64>::zeros(m, r);
    matmul(
        x.as_mut(),
        Accum::Replace,
        av.as_ref(),
        t.as_ref(),
        1.0,
        Par::Seq,
    );
    drop(av);
    let mut vtx = Mat::<f64>::zeros(r, r);
    matmul(
        vtx.as_mut(),
        Accum::Replace,
        v.transpose(),
        x.as_ref(),
        1.0,
        Par::Seq,
    );
    let mut s = Mat::<f64>::zeros(r, r);
    matmul(
        s.as_mut(),
        Accum::Replace,
        t.transpose(),
        vtx.as_ref(),
        1.0,
        Par::Seq,
    );
    let mut w = x;
    matmul(
        w.as_mut(),
        Accum::Add,
        v.as_ref(),
        s.as_ref(),
        -0.5,
        Par::Seq,
    );
    // tril(A) −= [V W] [W V]ᵀ: one product that reads and writes the lower triangle once.
    let mut vw = Mat::<f64>::zeros(m, 2 * r);
    let mut wv = Mat::<f64>::zeros(m, 2 * r);
    vw.as_mut().subcols_mut(0, r).copy_from(v.as_ref());
    vw.as_mut().subcols_mut(r, r).copy_from(w.as_ref());
    wv.as_mut().subcols_mut(0, r).copy_from(w.as_ref());
    wv.as_mut().subcols_mut(r, r).copy_from(v.as_ref());
    triangular::matmul(
        a.rb_mut(),
        lower,
        Accum::Add,
        vw.as_ref(),
        rect,
        wv.transpose(),
        rect,
        -1.0,
        par,
    );
}
