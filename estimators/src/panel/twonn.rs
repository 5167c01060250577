//! The TwoNN intrinsic dimension (Facco, d'Errico, Rodriguez & Laio, "Estimating the intrinsic
//! dimension of datasets by a minimal neighborhood information", Sci. Rep. 7, 12140, 2017),
//! Euclidean, on exact first and second neighbours, fitted as scikit-dimension's `TwoNN()` does.
//!
//! # Neighbour search
//!
//! Up to [`KD_TREE_MAX_DIM`] columns, the exact searches of [`crate::knn::neighbors`] (a k-d
//! tree, or sorted values in one dimension). Above, brute force through blocked Gram products:
//! for every pair of row blocks one sequential faer product gives `z_i·z_j`, hence
//! `d̃²_ij = ‖z_i‖² + ‖z_j‖² − 2 z_i·z_j` with an error below
//! `E_ij = (6d + 16)·u·(‖z_i‖² + ‖z_j‖²)` (u = 2⁻⁵³; the rounding error of a d-term dot product
//! is at most d·u·‖z_i‖‖z_j‖ in any summation order, with a margin). Each row keeps the
//! [`CANDIDATES`] pairs of smallest lower bound `d̃² − E` and the two smallest upper bounds
//! `d̃² + E`; every j that can be a first or second neighbour has a lower bound at most the
//! second smallest upper bound H₂, so the distances to those candidates are recomputed exactly
//! from the differences (`sqrt(Σ_c (z_ic − z_jc)²)` in column order, as the k-d tree computes
//! them) and the two smallest kept. A row with more than [`CANDIDATES`] pairs below H₂ (a dense
//! cluster of near-ties) is searched exhaustively. The Gram identity loses digits for close pairs
//! (a distance much smaller than the norms); it only chooses the candidates, and the distances
//! reported are always the exact ones, so both paths give the same bits, with any number of
//! threads. Data whose largest |entry| is outside [2⁻²⁵⁵, 2²⁵⁵] are searched times an exact
//! power of two (ARCHITECTURE.md §4, "Scale and zero rows"), which leaves every ratio r₂/r₁ as it
//! is.

use std::sync::Mutex;

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::sphere::{gram_block_pairs, PAIR_BLOCK};
use crate::error::{check_matrix, EstimatorError};
use crate::knn::neighbors::{
    kth_neighbor_distances, sq_euclid, Norm, Points, Search, KD_TREE_MAX_DIM,
};
use crate::normalize::{exponent_for, max_abs, pow2};

/// Fraction of the largest ratios μ discarded before the fit (scikit-dimension's
/// `discard_fraction`, Facco et al.'s recommendation).
pub const TWONN_DISCARD: f64 = 0.1;

/// Candidate neighbours each row keeps from the Gram products before the exact distances.
pub const CANDIDATES: usize = 8;

/// A TwoNN estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoNn {
    /// The intrinsic dimension (slope of the fit).
    pub dimension: f64,
    /// Points in the fit (the first ⌊0.9·M⌋ of the M points with r₁ > 0).
    pub used: usize,
    /// Points dropped because an exact copy of them exists (r₁ = 0).
    pub duplicates: usize,
}

/// TwoNN intrinsic dimension (Facco et al., Sci. Rep. 2017), Euclidean, dimensionless:
///
/// ```text
/// μ_i = r₂(i) / r₁(i)                       first and second neighbour distances, i excluded
/// μ_(1) ≤ μ_(2) ≤ …   over the M points with r₁ > 0
/// F_j = j / M,  j = 1 … k,  k = ⌊(1 − 0.1)·M⌋
/// dimension = Σ_j x_j y_j / Σ_j x_j²,   x_j = ln μ_(j),  y_j = −ln(1 − F_j)
/// ```
///
/// the least-squares slope through the origin of −ln(1 − F) on ln μ, with the largest 10 % of
/// the ratios discarded ([`TWONN_DISCARD`]): scikit-dimension's `TwoNN()` defaults
/// (`np.arange(1, 1 + k)/N` for F, `LinearRegression(fit_intercept=False)`), except that rows with an
/// exact copy (r₁ = 0, where μ is infinite) are dropped first and counted in `duplicates`, and M
/// counts the rows left. Neighbours are exact (see the module documentation). A d-dimensional
/// Gaussian gives ≈ d (a little less as d grows, for a fixed N).
///
/// Errors: empty or non-finite input; fewer than 3 rows ([`EstimatorError::TooFewSamples`]);
/// every row duplicated, or no spread of the kept ratios (Σx² = 0: every kept μ is 1, as on a
/// regular grid) ([`EstimatorError::Degenerate`]).
pub fn two_nn(z: ArrayView2<f64>) -> Result<TwoNn, EstimatorError> {
    check_matrix(z)?;
    if z.nrows() < 3 {
        return Err(EstimatorError::TooFewSamples {
            n: z.nrows(),
            needed: 3,
        });
    }
    let (r1, r2) = first_two_neighbours(z)?;
    fit(&r1, &r2)
}

/// The TwoNN fit of the distances r₁, r₂ of every point (see [`two_nn`]).
fn fit(r1: &[f64], r2: &[f64]) -> Result<TwoNn, EstimatorError> {
    let n = r1.len();
    let mut mu: Vec<f64> = r1
        .iter()
        .zip(r2)
        .filter(|(&a, _)| a > 0.0)
        .map(|(a, b)| b / a)
        .collect();
    let m = mu.len();
    let duplicates = n - m;
    if m == 0 {
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "each of the {n} rows has an exact copy (first-neighbour distance 0): TwoNN \
                 needs distinct rows"
            ),
        });
    }
    mu.sort_unstable_by(f64::total_cmp);
    let kept = (m as f64 * (1.0 - TWONN_DISCARD)).floor() as usize;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (i, &v) in mu[..kept].iter().enumerate() {
        // F_j of the (j = i + 1)-th smallest ratio.
        let x = v.ln();
        let y = -(1.0 - (i + 1) as f64 / m as f64).ln();
        sxx += x * x;
        sxy += x * y;
    }
    if sxx <= 0.0 {
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "the second neighbour is as near as the first for all {kept} points fitted \
                 (r₂/r₁ = 1, as on a regular grid): the TwoNN fit has no slope"
            ),
        });
    }
    Ok(TwoNn {
        dimension: sxy / sxx,
        used: kept,
        duplicates,
    })
}

/// The Euclidean distances r₁, r₂ from every row of `z` (finite, N ≥ 3) to its first and second
/// nearest neighbour (itself excluded, exact copies at distance 0), on the data times the power
/// of two of [`exponent_for`].
fn first_two_neighbours(z: ArrayView2<f64>) -> Result<(Vec<f64>, Vec<f64>), EstimatorError> {
    let e = exponent_for(max_abs(z.iter()));
    if z.ncols() <= KD_TREE_MAX_DIM {
        let mut p = Points::new(z)?;
        if e != 0 {
            p = p.scaled(pow2(e));
        }
        let r1 = kth_neighbor_distances(&p, 1, Norm::Euclidean, Search::Auto)?;
        let r2 = kth_neighbor_distances(&p, 2, Norm::Euclidean, Search::Auto)?;
        return Ok((r1, r2));
    }
    let f = pow2(e);
    let rows: Vec<f64> = z.iter().map(|&v| if e == 0 { v } else { v * f }).collect();
    Ok(gram_first_two(&rows, z.nrows(), z.ncols()))
}

/// The [`CANDIDATES`] pairs of smallest lower bound met so far for one row, and bounds that
/// tell whether they include every possible first and second neighbour.
#[derive(Debug, Clone, Copy)]
struct Candidates {
    /// Lower bounds of d², ascending by (lower bound, index); `len` are in use.
    lo: [f64; CANDIDATES],
    idx: [u32; CANDIDATES],
    len: usize,
    /// The smallest lower bound of the pairs not kept (+∞ if none).
    evicted: f64,
    /// The two smallest upper bounds of d² met.
    hi: [f64; 2],
}

impl Candidates {
    const EMPTY: Candidates = Candidates {
        lo: [f64::INFINITY; CANDIDATES],
        idx: [u32::MAX; CANDIDATES],
        len: 0,
        evicted: f64::INFINITY,
        hi: [f64::INFINITY; 2],
    };

    /// Keeps (lo, j) if it is among the [`CANDIDATES`] smallest by (lo, j). The kept set and
    /// `evicted` do not depend on the order of the calls.
    #[inline]
    fn push_lo(&mut self, lo: f64, j: u32) {
        let before = |a: (f64, u32), b: (f64, u32)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
        if self.len == CANDIDATES {
            let last = (self.lo[CANDIDATES - 1], self.idx[CANDIDATES - 1]);
            if !before((lo, j), last) {
                self.evicted = self.evicted.min(lo);
                return;
            }
            self.evicted = self.evicted.min(last.0);
            self.len -= 1;
        }
        let mut pos = self.len;
        while pos > 0 && before((lo, j), (self.lo[pos - 1], self.idx[pos - 1])) {
            self.lo[pos] = self.lo[pos - 1];
            self.idx[pos] = self.idx[pos - 1];
            pos -= 1;
        }
        self.lo[pos] = lo;
        self.idx[pos] = j;
        self.len += 1;
    }

    #[inline]
    fn push_hi(&mut self, hi: f64) {
        if hi < self.hi[1] {
            if hi < self.hi[0] {
                self.hi[1] = self.hi[0];
                self.hi[0] = hi;
            } else {
                self.hi[1] = hi;
            }
        }
    }

    #[inline(always)]
    fn push(&mut self, lo: f64, j: usize, hi: f64) {
        if self.len < CANDIDATES || lo <= self.lo[CANDIDATES - 1] {
            self.push_lo(lo, j as u32);
        } else {
            self.evicted = self.evicted.min(lo);
        }
        self.push_hi(hi);
    }

    fn merge(&mut self, other: &Candidates) {
        for t in 0..other.len {
            self.push_lo(other.lo[t], other.idx[t]);
        }
        self.evicted = self.evicted.min(other.evicted);
        self.push_hi(other.hi[0]);
        self.push_hi(other.hi[1]);
    }
}

/// Inserts the squared distance `v` into the two smallest `best`.
#[inline]
fn push_two(best: &mut [f64; 2], v: f64) {
    if v < best[1] {
        if v < best[0] {
            best[1] = best[0];
            best[0] = v;
        } else {
            best[1] = v;
        }
    }
}

/// r₁, r₂ of every row of `rows` (n×d row-major, finite, squares in range) by the blocked Gram
/// products and exact distances of the module documentation.
fn gram_first_two(rows: &[f64], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let row = |i: usize| &rows[i * d..(i + 1) * d];
    let norms: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| row(i).iter().map(|v| v * v).sum())
        .collect();
    let kappa = (6.0 * d as f64 + 16.0) * (f64::EPSILON / 2.0);
    let blocks = n.div_ceil(PAIR_BLOCK);
    let state: Vec<Mutex<Vec<Candidates>>> = (0..blocks)
        .map(|b| Mutex::new(vec![Candidates::EMPTY; PAIR_BLOCK.min(n - b * PAIR_BLOCK)]))
        .collect();
    // Each pair of blocks scans its products for the rows of both blocks, then merges into
    // the rows' candidates (the merge's result does not depend on the order).
    gram_block_pairs(rows, n, d, |i0, j0, g| {
        let (ni, nj) = (g.nrows(), g.ncols());
        let mut for_i = vec![Candidates::EMPTY; ni];
        let mut for_j = Vec::with_capacity(if i0 == j0 { 0 } else { nj });
        for b in 0..nj {
            let j = j0 + b;
            let nj2 = norms[j];
            let col = g.col(b);
            let mut cj = Candidates::EMPTY;
            for a in 0..ni {
                let i = i0 + a;
                if i == j {
                    continue;
                }
                let s = norms[i] + nj2;
                let dd = s - 2.0 * col[a];
                let err = kappa * s;
                let (lo, hi) = (dd - err, dd + err);
                for_i[a].push(lo, j, hi);
                if i0 != j0 {
                    cj.push(lo, i, hi);
                }
            }
            if i0 != j0 {
                for_j.push(cj);
            }
        }
        let merge = |block: usize, local: &[Candidates]| {
            let mut s = state[block / PAIR_BLOCK]
                .lock()
                .expect("no panic while merging");
            for (t, c) in s.iter_mut().zip(local) {
                t.merge(c);
            }
        };
        merge(i0, &for_i);
        if i0 != j0 {
            merge(j0, &for_j);
        }
    });
    let cands: Vec<Candidates> = state
        .into_iter()
        .flat_map(|m| m.into_inner().expect("no panic while merging"))
        .collect();
    let (r1, r2): (Vec<f64>, Vec<f64>) = cands
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let h2 = c.hi[1];
            let mut best = [f64::INFINITY; 2];
            for t in 0..c.len {
                if c.lo[t] <= h2 {
                    push_two(&mut best, sq_euclid(row(i), row(c.idx[t] as usize)));
                }
            }
            if c.evicted <= h2 && best[0] != 0.0 {
                // Some pair not kept may be a neighbour: search every row.
                best = [f64::INFINITY; 2];
                for j in (0..n).filter(|&j| j != i) {
                    push_two(&mut best, sq_euclid(row(i), row(j)));
                }
            }
            (best[0].sqrt(), best[1].sqrt())
        })
        .unzip();
    (r1, r2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Array2::from_shape_simple_fn((n, d), || StandardNormal.sample(&mut rng))
    }

    /// Points on a line at the positions `x`, along column `col` of `d` columns, every entry
    /// shifted by `offset`.
    fn on_axis(x: &[f64], d: usize, col: usize, offset: f64) -> Array2<f64> {
        let mut z = Array2::from_elem((x.len(), d), offset);
        for (i, &v) in x.iter().enumerate() {
            z[[i, col]] += v;
        }
        z
    }

    #[test]
    fn small_line_with_a_duplicate_by_hand() {
        // Points 0, 1, 3, 7, 7: μ = 3 (0: r 1, 3), 2 (1: r 1, 2), 1.5 (3: r 2, 3); both 7s have
        // r₁ = 0. M = 3, k = ⌊2.7⌋ = 2: x = ln 1.5, ln 2; y = −ln(1 − 1/3) = ln 1.5,
        // −ln(1 − 2/3) = ln 3.
        let (a, b) = (1.5f64.ln(), 2f64.ln());
        let want = (a * a + b * 3f64.ln()) / (a * a + b * b);
        let x = [0.0, 1.0, 3.0, 7.0, 7.0];
        // One column (sorted search), 16 columns (Gram products), and 16 columns shifted by
        // 1000, where the Gram identity loses most digits of these distances.
        for z in [
            on_axis(&x, 1, 0, 0.0),
            on_axis(&x, 16, 5, 0.0),
            on_axis(&x, 16, 5, 1000.0),
        ] {
            let t = two_nn(z.view()).unwrap();
            assert!(
                (t.dimension - want).abs() <= 1e-15,
                "{} {want}",
                t.dimension
            );
            assert_eq!((t.used, t.duplicates), (2, 2));
        }
    }

    #[test]
    fn random_points_on_a_line_have_dimension_one() {
        // Uniform positions: μ is Pareto(1) (Facco et al. eq. 1 with d = 1). The standard error
        // of the estimate is about d/√(0.9 N) ≈ 0.02 here.
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let x: Vec<f64> = (0..2000).map(|_| rng.random_range(0.0..2000.0)).collect();
        for z in [on_axis(&x, 1, 0, 0.0), on_axis(&x, 20, 7, 3.0)] {
            let t = two_nn(z.view()).unwrap();
            assert!((t.dimension - 1.0).abs() < 0.1, "{}", t.dimension);
            assert_eq!((t.used, t.duplicates), (1800, 0));
        }
    }

    #[test]
    fn a_slightly_jittered_grid_reads_as_many_dimensions() {
        // On a grid with spacing 1 and jitter ±0.05 every gap is in [0.9, 1.1], so μ ≤ 1.1/0.9
        // (ln μ < 0.21) while −ln(1 − F) reaches ln 10 ≈ 2.3: the slope is far above 1. TwoNN
        // reads a lattice's regularity as dimensions.
        let mut rng = rand::rngs::StdRng::seed_from_u64(6);
        let x: Vec<f64> = (0..2000)
            .map(|i| i as f64 + 0.05 * rng.random_range(-1.0..1.0))
            .collect();
        let t = two_nn(on_axis(&x, 1, 0, 0.0).view()).unwrap();
        assert!(t.dimension > 3.0, "{}", t.dimension);
    }

    #[test]
    fn gaussian_dimension() {
        // 3-D Gaussian in 3 columns (k-d tree) and rotated into 12 columns (Gram products).
        let g = gaussian(3000, 3, 7);
        let t3 = two_nn(g.view()).unwrap().dimension;
        let rot = gaussian(3, 12, 8);
        let t12 = two_nn(g.dot(&rot).view()).unwrap().dimension;
        assert!((t3 - 3.0).abs() < 0.2, "{t3}");
        assert!((t12 - 3.0).abs() < 0.2, "{t12}");
    }

    #[test]
    fn gram_path_gives_the_exact_neighbours() {
        // 700 rows (three blocks) in 12 columns, far from the origin, with near-duplicates
        // (distances 1e-9 of the norms), exact duplicates and a dense cluster of near-ties.
        let mut z = gaussian(700, 12, 9) + 50.0;
        for i in 0..20 {
            let r = z.row(100 + i).to_owned() + 1e-7 * (i as f64 + 1.0);
            z.row_mut(300 + i).assign(&r);
        }
        let r = z.row(5).to_owned();
        z.row_mut(6).assign(&r);
        for i in 0..30 {
            let r = z.row(0).to_owned() + 1e-12 * (i % 7) as f64;
            z.row_mut(400 + i).assign(&r);
        }
        let rows: Vec<f64> = z.iter().copied().collect();
        let (r1, r2) = gram_first_two(&rows, 700, 12);
        let p = Points::new(z.view()).unwrap();
        let w1 = kth_neighbor_distances(&p, 1, Norm::Euclidean, Search::BruteForce).unwrap();
        let w2 = kth_neighbor_distances(&p, 2, Norm::Euclidean, Search::BruteForce).unwrap();
        for i in 0..700 {
            assert_eq!(r1[i].to_bits(), w1[i].to_bits(), "r1 of row {i}");
            assert_eq!(r2[i].to_bits(), w2[i].to_bits(), "r2 of row {i}");
        }
    }

    #[test]
    fn scale_by_a_power_of_two_keeps_the_bits() {
        let z = gaussian(300, 10, 10);
        let a = two_nn(z.view()).unwrap();
        let b = two_nn((&z * 2f64.powi(700)).view()).unwrap();
        let c = two_nn((&z * 2f64.powi(-900)).view()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn same_bits_with_one_and_two_threads() {
        let z = gaussian(800, 40, 11);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| two_nn(z.view()).unwrap())
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.dimension.to_bits(), two.dimension.to_bits());
        assert_eq!(one, two);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            two_nn(array![[1.0], [2.0]].view()),
            Err(EstimatorError::TooFewSamples { n: 2, needed: 3 })
        );
        assert_eq!(
            two_nn(Array2::<f64>::zeros((0, 2)).view()),
            Err(EstimatorError::EmptyInput)
        );
        assert_eq!(
            two_nn(array![[1.0], [2.0], [f64::NEG_INFINITY]].view()),
            Err(EstimatorError::NonFinite { row: 2, col: 0 })
        );
        let e = two_nn(Array2::<f64>::ones((5, 30)).view()).unwrap_err();
        assert!(e.to_string().contains("exact copy"), "{e}");
        // A regular grid: the 9 interior points have μ = 1 and fill the kept 90 %.
        let grid: Vec<f64> = (0..11).map(f64::from).collect();
        let e = two_nn(on_axis(&grid, 1, 0, 0.0).view()).unwrap_err();
        assert!(e.to_string().contains("no slope"), "{e}");
    }
}
