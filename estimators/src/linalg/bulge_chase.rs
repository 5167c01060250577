//! Stage 2 of the two-stage tridiagonalisation: a symmetric band of half-bandwidth `nb` to a
//! tridiagonal matrix by Householder bulge chasing (Lang, "A parallel algorithm for reducing
//! symmetric banded matrices to tridiagonal form", SIAM J. Sci. Comput. 14, 1993; the
//! one-column-per-bulge kernels of Haidar, Ltaief & Dongarra, SC 2011; LAPACK `dsytrd_sb2st`).
//!
//! Sweep c annihilates column c below its subdiagonal with a reflector on rows c+1..c+nb. Its
//! two-sided application fills the block below the band (the bulge); the first column of the
//! bulge is annihilated by the next reflector, nb rows further down, and so on to the end of
//! the matrix. The rest of each bulge is removed by the following sweeps. Each reflector is
//! applied to a window of about 3·nb rows and columns that holds every non-zero it can meet, so
//! a sweep costs O(d·nb) and the stage O(d²·nb).
//!
//! Every reflector acts on indices ≥ 1, so `Q e₁ = e₁` (see [`super::rank_one`]).
//!
//! The chase runs on a compact copy of the band (d·(4·nb + 1) values: 8.5 MB at d = 8192,
//! nb = 32), so each reflector's window is a few consecutive kilobytes.

use faer::MatRef;

use super::householder::{axpy_unit, dot_unit, make_reflector};

/// A symmetric matrix whose non-zeros lie within `reach` of the diagonal, both triangles
/// stored compactly by columns (LAPACK's band storage, `ld = 2·reach + 1` slots a column):
/// the bulges of a sweep then sit in a few consecutive kilobytes instead of one page per column
/// of the dense matrix.
struct Band {
    reach: usize,
    ld: usize,
    buf: Vec<f64>,
}

impl Band {
    fn new(d: usize, reach: usize) -> Band {
        let ld = 2 * reach + 1;
        Band {
            reach,
            ld,
            buf: vec![0.0; d * ld],
        }
    }

    /// Position of (i, j), |i − j| ≤ reach.
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> usize {
        debug_assert!(i.abs_diff(j) <= self.reach);
        j * self.ld + (i + self.reach - j)
    }

    /// Rows `r0..r1` of column j.
    #[inline(always)]
    fn rows(&self, j: usize, r0: usize, r1: usize) -> &[f64] {
        let s = self.at(r0, j);
        &self.buf[s..s + (r1 - r0)]
    }

    #[inline(always)]
    fn rows_mut(&mut self, j: usize, r0: usize, r1: usize) -> &mut [f64] {
        let s = self.at(r0, j);
        &mut self.buf[s..s + (r1 - r0)]
    }
}

/// Reduces the symmetric band matrix whose lower band `a` holds (half-bandwidth `nb`, dense,
/// column-major; entries outside the lower band are not read) to tridiagonal form and returns
/// the diagonal and subdiagonal of the result. The band is copied into compact storage first;
/// `a` is not modified.
pub(crate) fn band_to_tridiagonal(a: MatRef<'_, f64>, nb: usize) -> (Vec<f64>, Vec<f64>) {
    let d = a.nrows();
    assert!(a.ncols() == d && nb >= 1, "a square matrix and nb ≥ 1");
    // Bulges reach 2·nb − 1 from the diagonal (the windows of `chase`).
    let mut b = Band::new(d, 2 * nb);
    for j in 0..d {
        for i in j..d.min(j + nb + 1) {
            let (k, l) = (b.at(i, j), b.at(j, i));
            b.buf[k] = a[(i, j)];
            b.buf[l] = a[(i, j)];
        }
    }
    chase(&mut b, d, nb);
    let diag = (0..d).map(|i| b.buf[b.at(i, i)]).collect();
    let sub = (1..d).map(|i| b.buf[b.at(i, i - 1)]).collect();
    (diag, sub)
}

/// The sweeps: `b` (order d, half-bandwidth nb, reach ≥ 2·nb − 1) becomes tridiagonal.
///
/// Compiled for AVX2 too and chosen at run time (the crate is built for the baseline x86-64):
/// the loops are the same, without fused multiply-adds, so both give the same bits.
fn chase(b: &mut Band, d: usize, nb: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { chase_avx2(b, d, nb) };
        return;
    }
    chase_portable(b, d, nb);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn chase_avx2(b: &mut Band, d: usize, nb: usize) {
    chase_portable(b, d, nb);
}

#[inline(always)]
fn chase_portable(b: &mut Band, d: usize, nb: usize) {
    if nb < 2 {
        return;
    }
    let mut x = Vec::with_capacity(nb);
    let mut t = vec![0.0; d];
    for c in 0..d.saturating_sub(2) {
        // Step 0 annihilates column c below row c+1; step s ≥ 1 the first column of the
        // bulge the previous step made, which is column p_{s−1}.
        let (mut column, mut p) = (c, c + 1);
        while p + 1 < d {
            let len = nb.min(d - p);
            x.clear();
            x.extend_from_slice(b.rows(column, p, p + len));
            let h = make_reflector(&mut x);
            if h.tau != 0.0 {
                let cc = b.rows_mut(column, p, p + len);
                cc[0] = h.beta;
                cc[1..].fill(0.0);
                for i in 0..len {
                    let k = b.at(column, p + i);
                    b.buf[k] = if i == 0 { h.beta } else { 0.0 };
                }
                let hi = d.min(p + len + nb);
                apply_two_sided(b, h.tau, &x[1..], p, column + 1, hi, &mut t);
            }
            column = p;
            p += nb;
        }
    }
}

/// `A ← H A H` for `H = I − τ v vᵀ` acting on indices `p..p+len` (v₀ = 1 implied, `v_tail` =
/// v[1..]), where every non-zero of rows and columns `p..p+len` lies in `lo..hi`.
#[inline(always)]
fn apply_two_sided(
    b: &mut Band,
    tau: f64,
    v_tail: &[f64],
    p: usize,
    lo: usize,
    hi: usize,
    t: &mut [f64],
) {
    let len = v_tail.len() + 1;
    // Left: rows p..p+len of columns lo..hi (H A).
    for j in lo..hi {
        let c = b.rows_mut(j, p, p + len);
        let s = tau * dot_unit(v_tail, c);
        axpy_unit(s, v_tail, c);
    }
    // Right: columns p..p+len of rows lo..hi ((H A) H): t = A v over the window, A −= τ t vᵀ.
    let t = &mut t[lo..hi];
    t.copy_from_slice(b.rows(p, lo, hi));
    for (i, &v) in v_tail.iter().enumerate() {
        for (ti, &aij) in t.iter_mut().zip(b.rows(p + 1 + i, lo, hi)) {
            *ti += aij * v;
        }
    }
    for i in 0..len {
        let f = tau * if i == 0 { 1.0 } else { v_tail[i - 1] };
        for (y, &ti) in b.rows_mut(p + i, lo, hi).iter_mut().zip(t.iter()) {
            *y -= f * ti;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A seeded symmetric band matrix of half-bandwidth nb, stored with room for the bulges.
    fn random_band(d: usize, nb: usize, seed: u64) -> Band {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut b = Band::new(d, 2 * nb);
        for j in 0..d {
            for i in j..d.min(j + nb + 1) {
                let x = rng.random_range(-1.0..1.0);
                let (k, l) = (b.at(i, j), b.at(j, i));
                b.buf[k] = x;
                b.buf[l] = x;
            }
        }
        b
    }

    #[test]
    fn every_entry_off_the_three_diagonals_is_annihilated() {
        for (d, nb) in [(2, 2), (3, 2), (9, 3), (40, 4), (130, 32), (200, 17)] {
            let mut b = random_band(d, nb, d as u64);
            let frobenius = |b: &Band| b.buf.iter().map(|x| x * x).sum::<f64>();
            let before = frobenius(&b);
            chase(&mut b, d, nb);
            for j in 0..d {
                for i in j.saturating_sub(2 * nb)..d.min(j + 2 * nb + 1) {
                    let v = b.buf[b.at(i, j)];
                    if i.abs_diff(j) > 1 {
                        assert!(v.abs() < 1e-14, "d {d} nb {nb}: ({i},{j}) = {v}");
                    } else {
                        assert!((v - b.buf[b.at(j, i)]).abs() < 1e-14, "symmetric");
                    }
                }
            }
            // An orthogonal similarity keeps the Frobenius norm.
            assert!((frobenius(&b) - before).abs() < 1e-12 * before);
        }
    }

    #[test]
    fn the_vectorised_build_gives_the_same_bits() {
        let (d, nb) = (150, 12);
        let b = random_band(d, nb, 2);
        let mut portable = Band {
            buf: b.buf.clone(),
            ..b
        };
        chase_portable(&mut portable, d, nb);
        let mut dispatched = Band {
            buf: b.buf.clone(),
            ..b
        };
        chase(&mut dispatched, d, nb);
        let bits = |b: &Band| b.buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&portable), bits(&dispatched));
    }
}
