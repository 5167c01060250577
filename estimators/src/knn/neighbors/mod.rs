//! Exact neighbour search: the k-th-neighbour distance of every sample, neighbour counts within
//! a radius, and the k-NN rectangles of KSG algorithm 2.
//!
//! Conventions (the reference spec's): a sample is never its own neighbour (excluded by index),
//! exact duplicates are neighbours at distance 0, and distances are computed exactly as
//! `max_c |a_c − b_c|` (max-norm) or `sqrt(Σ_c (a_c − b_c)²)` summed in column order
//! (Euclidean), so every search path returns the same bits.
//!
//! Three paths, selected by [`Search`]:
//! - [`Search::BruteForce`]: any dimension, O(N²·d). Max-norm: every unordered pair once
//!   (symmetric scan over blocks of 8 points stored column-major, the distance kernel vectorised
//!   over the 8 points, AVX-512 or AVX2 chosen at run time, see `simd`), tiles in parallel with
//!   exact merges (integer sums, k-smallest sets); Euclidean: rows against chunks of queries;
//! - [`Search::KdTree`]: k-d trees: our max-norm tree (`max_tree`: k-th neighbours and counts,
//!   any dimension; queries searched by groups of up to 64 sharing a leaf, per-query bounds
//!   vectorised over the group, vectorised leaf scans) and kiddo (Euclidean k-th neighbours,
//!   KSG-2 rectangles, dimensions 1 to [`KD_TREE_MAX_DIM`]);
//! - [`Search::Sorted`]: one dimension, galloping then branch-free binary search on the sorted
//!   values.
//!
//! [`Search::Auto`] picks the sorted path in one dimension; for N ≥ [`KD_TREE_MIN_N`] the
//! max-norm tree up to [`MAX_TREE_AUTO_DIM`] dimensions (k-th neighbours) or
//! [`KD_TREE_MAX_DIM`] (counts, Euclidean), and brute force otherwise.
//! All paths return identical results (tested against a naive oracle and differentially, on
//! random, tied, duplicated and lattice data, and with 1 or 2 threads).

mod brute_force;
mod kd_tree;
mod max_tree;
mod simd;
mod sorted;

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::error::{check_matrix, EstimatorError};

/// `match d { 1 => f::<1>(..), …, 8 => f::<8>(..) }`: kiddo needs the dimension at compile time.
macro_rules! kd_dispatch {
    ($d:expr, $m:ident :: $f:ident, $($arg:expr),*) => {
        match $d {
            1 => $m::$f::<1>($($arg),*),
            2 => $m::$f::<2>($($arg),*),
            3 => $m::$f::<3>($($arg),*),
            4 => $m::$f::<4>($($arg),*),
            5 => $m::$f::<5>($($arg),*),
            6 => $m::$f::<6>($($arg),*),
            7 => $m::$f::<7>($($arg),*),
            8 => $m::$f::<8>($($arg),*),
            d => unreachable!("k-d tree dimension {d} was rejected by resolve()"),
        }
    };
}

/// Largest dimension served by the k-d tree path.
pub const KD_TREE_MAX_DIM: usize = 8;
/// Smallest sample count for which [`Search::Auto`] uses the k-d tree.
pub const KD_TREE_MIN_N: usize = 512;
/// Largest dimension for which [`Search::Auto`] uses the max-norm k-d tree for k-th neighbours;
/// above it, brute force. Radius counts use the tree up to [`KD_TREE_MAX_DIM`] only: KSG's
/// radii in high dimension cover most of the data and the tree only adds overhead.
pub const MAX_TREE_AUTO_DIM: usize = 16;

/// Vector norm for distances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Norm {
    /// Max-norm (Chebyshev, L∞): `max_c |a_c − b_c|`. The KSG default.
    #[default]
    Max,
    /// Euclidean (L2).
    Euclidean,
}

/// Which neighbour-search path to use. All give identical results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Search {
    /// Sorted path in 1-D, k-d tree for low dimension and large N, brute force otherwise.
    #[default]
    Auto,
    /// Exhaustive search over all pairs.
    BruteForce,
    /// k-d tree: any dimension under the max-norm (k-th neighbours, counts); dimension ≤
    /// [`KD_TREE_MAX_DIM`] for Euclidean k-th neighbours and KSG-2 rectangles.
    KdTree,
    /// Binary search on sorted values (dimension 1 only).
    Sorted,
}

/// Strict (`<`) or inclusive (`≤`) radius for neighbour counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Count `dist < r` (KSG algorithm 1).
    Strict,
    /// Count `dist ≤ r` (KSG algorithm 2).
    Inclusive,
}

/// Validated samples: N rows of d finite values, stored row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    pub(super) data: Vec<f64>,
    pub(super) n: usize,
    pub(super) d: usize,
}

impl Points {
    /// Copies `x` (N×d) after checking it is non-empty and finite.
    pub fn new(x: ArrayView2<f64>) -> Result<Self, EstimatorError> {
        let data = match x.as_slice() {
            // Contiguous rows: checked and copied in parallel (the first non-finite value is
            // located by `check_matrix`).
            Some(s) if !s.is_empty() && s.par_iter().all(|v| v.is_finite()) => par_copy(s),
            _ => {
                check_matrix(x)?;
                x.iter().copied().collect()
            }
        };
        Ok(Points {
            data,
            n: x.nrows(),
            d: x.ncols(),
        })
    }

    /// The columns of `a` followed by the columns of `b` (same rows).
    pub fn hstack(a: &Points, b: &Points) -> Result<Points, EstimatorError> {
        if a.n != b.n {
            return Err(EstimatorError::ShapeMismatch {
                x_rows: a.n,
                y_rows: b.n,
            });
        }
        let mut data = Vec::with_capacity(a.n * (a.d + b.d));
        for i in 0..a.n {
            data.extend_from_slice(a.row(i));
            data.extend_from_slice(b.row(i));
        }
        Ok(Points {
            data,
            n: a.n,
            d: a.d + b.d,
        })
    }

    /// Number of samples N.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        self.d
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// The largest |value| (0 for no values).
    pub fn max_abs(&self) -> f64 {
        crate::normalize::max_abs(&self.data)
    }

    /// Every value times `f` (a power of two: exact for normal numbers, so every distance is
    /// scaled by `f` and every neighbour order is kept).
    pub fn scaled(&self, f: f64) -> Points {
        Points {
            data: self.data.par_iter().map(|v| v * f).collect(),
            n: self.n,
            d: self.d,
        }
    }
}

/// `s.to_vec()`, copied in parallel.
pub(super) fn par_copy(s: &[f64]) -> Vec<f64> {
    let mut v = Vec::with_capacity(s.len());
    v.par_extend(s.par_iter().copied());
    v
}

#[inline]
pub(super) fn dist_max(a: &[f64], b: &[f64]) -> f64 {
    let mut m = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = (x - y).abs();
        if t > m {
            m = t;
        }
    }
    m
}

/// Sum of squared differences in column order, or +inf once the partial sum reaches `stop`.
#[inline]
pub(super) fn sq_euclid_until(a: &[f64], b: &[f64], stop: f64) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
        if s >= stop {
            return f64::INFINITY;
        }
    }
    s
}

/// Squared Euclidean distance `Σ_c (a_c − b_c)²`, summed in column order.
#[inline]
pub(crate) fn sq_euclid(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// Inserts `v` into the ascending, length-k list `best` if it is smaller than the last entry.
///
/// Up to [`BRANCH_FREE_K`] entries, branch-free: `best[j] = min(best[j], max(best[j−1], v))`
/// from the top down (a no-op when `v ≥ best[k−1]`); the values are only selected, never
/// computed, so the list is the same as by insertion.
#[inline(always)]
pub(super) fn push_smallest(best: &mut [f64], v: f64) {
    let k = best.len();
    if k <= BRANCH_FREE_K {
        for j in (1..k).rev() {
            let up = if best[j - 1] > v { best[j - 1] } else { v };
            best[j] = if up < best[j] { up } else { best[j] };
        }
        best[0] = if v < best[0] { v } else { best[0] };
        return;
    }
    if v >= best[k - 1] {
        return;
    }
    let mut pos = k - 1;
    while pos > 0 && best[pos - 1] > v {
        best[pos] = best[pos - 1];
        pos -= 1;
    }
    best[pos] = v;
}

/// Largest k for the branch-free [`push_smallest`].
const BRANCH_FREE_K: usize = 8;

fn check_k(n: usize, k: usize) -> Result<(), EstimatorError> {
    if k == 0 {
        return Err(EstimatorError::InvalidParameter {
            name: "k",
            reason: "k must be at least 1".into(),
        });
    }
    if k >= n {
        return Err(EstimatorError::TooFewSamples {
            n,
            needed: k.saturating_add(1),
        });
    }
    Ok(())
}

fn resolve(search: Search, d: usize, n: usize) -> Result<Search, EstimatorError> {
    match search {
        Search::Auto if d == 1 => Ok(Search::Sorted),
        Search::Auto if d <= KD_TREE_MAX_DIM && n >= KD_TREE_MIN_N => Ok(Search::KdTree),
        Search::Auto => Ok(Search::BruteForce),
        Search::Sorted if d != 1 => Err(EstimatorError::InvalidParameter {
            name: "search",
            reason: format!("the sorted path needs 1 dimension, got {d}"),
        }),
        Search::KdTree if d > KD_TREE_MAX_DIM => Err(EstimatorError::InvalidParameter {
            name: "search",
            reason: format!(
                "the k-d tree path supports up to {KD_TREE_MAX_DIM} dimensions, got {d}"
            ),
        }),
        s => Ok(s),
    }
}

/// [`resolve`], except that under the max-norm [`Search::Auto`] takes the max-norm tree up to
/// [`MAX_TREE_AUTO_DIM`] dimensions (served by [`Search::KdTree`]).
fn resolve_max(
    search: Search,
    d: usize,
    n: usize,
    norm: Norm,
    max_dim: usize,
) -> Result<Search, EstimatorError> {
    match (search, norm) {
        // The max-norm tree serves any dimension.
        (Search::KdTree, Norm::Max) => Ok(Search::KdTree),
        (Search::Auto, Norm::Max) if d > 1 && d <= max_dim && n >= KD_TREE_MIN_N => {
            Ok(Search::KdTree)
        }
        _ => resolve(search, d, n),
    }
}

/// Distance from every sample to its k-th nearest neighbour (self excluded, duplicates at
/// distance 0 included).
///
/// Errors: k = 0 ([`EstimatorError::InvalidParameter`]), k ≥ N
/// ([`EstimatorError::TooFewSamples`]), a path that does not support the dimension.
pub fn kth_neighbor_distances(
    p: &Points,
    k: usize,
    norm: Norm,
    search: Search,
) -> Result<Vec<f64>, EstimatorError> {
    Ok(kth_with_duplicates(p, k, norm, search)?.0)
}

/// [`kth_neighbor_distances`], and the number of rows with an exact copy elsewhere when the
/// search finds it on the way (the max-norm tree: a nearest neighbour at distance 0).
pub(crate) fn kth_with_duplicates(
    p: &Points,
    k: usize,
    norm: Norm,
    search: Search,
) -> Result<(Vec<f64>, Option<usize>), EstimatorError> {
    check_k(p.n, k)?;
    Ok(
        match (
            resolve_max(search, p.d, p.n, norm, MAX_TREE_AUTO_DIM)?,
            norm,
        ) {
            (Search::Sorted, _) => (sorted::kth(p, k, norm), None),
            (Search::KdTree, Norm::Max) => {
                let (kth, duplicated) = max_tree::kth(p, k);
                (kth, Some(duplicated))
            }
            (Search::KdTree, Norm::Euclidean) => {
                (kd_dispatch!(p.d, kd_tree::kth, p, k, norm), None)
            }
            _ => (brute_force::kth(p, k, norm), None),
        },
    )
}

/// For every sample i, the number of other samples j with `|p_i − p_j|∞ < radii[i]`
/// ([`Bound::Strict`]) or `≤ radii[i]` ([`Bound::Inclusive`]), max-norm.
pub fn count_within(
    p: &Points,
    radii: &[f64],
    bound: Bound,
    search: Search,
) -> Result<Vec<usize>, EstimatorError> {
    if radii.len() != p.n {
        return Err(EstimatorError::ShapeMismatch {
            x_rows: p.n,
            y_rows: radii.len(),
        });
    }
    Ok(
        match resolve_max(search, p.d, p.n, Norm::Max, KD_TREE_MAX_DIM)? {
            Search::Sorted => sorted::count(p, radii, bound),
            Search::KdTree => max_tree::count(p, radii, bound),
            _ => brute_force::count(p, radii, bound),
        },
    )
}

/// [`count_within`] of x and of y (same rows) against the same radii: `(n_x, n_y)`, the counts
/// KSG needs. When both spaces take the brute-force path, both are counted in one pass over the
/// pairs (same results as two calls).
pub fn count_within_pair(
    x: &Points,
    y: &Points,
    radii: &[f64],
    bound: Bound,
    search: Search,
) -> Result<(Vec<usize>, Vec<usize>), EstimatorError> {
    let z = Points::hstack(x, y)?;
    count_within_joint(x, y, &z, radii, bound, (search, search))
}

/// [`count_within_pair`] with the joint points `z` = (x, y) already built and one search per
/// space.
pub(crate) fn count_within_joint(
    x: &Points,
    y: &Points,
    z: &Points,
    radii: &[f64],
    bound: Bound,
    (sx, sy): (Search, Search),
) -> Result<(Vec<usize>, Vec<usize>), EstimatorError> {
    if radii.len() != x.n || x.n != y.n {
        return Err(EstimatorError::ShapeMismatch {
            x_rows: x.n,
            y_rows: if x.n != y.n { y.n } else { radii.len() },
        });
    }
    let brute = |p: &Points, s| {
        matches!(
            resolve_max(s, p.d, p.n, Norm::Max, KD_TREE_MAX_DIM),
            Ok(Search::BruteForce)
        )
    };
    if brute(x, sx) && brute(y, sy) {
        return Ok(brute_force::count_pair(x, y, z, radii, bound));
    }
    Ok((
        count_within(x, radii, bound, sx)?,
        count_within(y, radii, bound, sy)?,
    ))
}

/// KSG algorithm 2's k-NN rectangle of every sample: with K_i the k nearest neighbours of i in
/// the joint space (x, y) under the max-norm (ties in joint distance broken by lower index),
/// returns `(εx_i, εy_i) = (max_{j∈K_i} |x_i − x_j|∞, max_{j∈K_i} |y_i − y_j|∞)`.
pub fn knn_rectangles(
    x: &Points,
    y: &Points,
    k: usize,
    search: Search,
) -> Result<(Vec<f64>, Vec<f64>), EstimatorError> {
    let joint = Points::hstack(x, y)?;
    check_k(joint.n, k)?;
    let per_point: Vec<(f64, f64)> = match resolve(search, joint.d, joint.n)? {
        Search::KdTree => kd_dispatch!(joint.d, kd_tree::rectangles, &joint, x, y, k),
        // The 1-D sorted path does not apply to a joint space of two variables.
        _ => brute_force::rectangles(x, y, k),
    };
    Ok(per_point.into_iter().unzip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn self_is_excluded_and_duplicates_count() {
        let x = array![[0.0], [0.0], [1.0], [3.0]];
        let p = Points::new(x.view()).unwrap();
        for s in [Search::BruteForce, Search::KdTree, Search::Sorted] {
            let r1 = kth_neighbor_distances(&p, 1, Norm::Max, s).unwrap();
            assert_eq!(r1, vec![0.0, 0.0, 1.0, 2.0], "{s:?}");
            let r2 = kth_neighbor_distances(&p, 2, Norm::Max, s).unwrap();
            assert_eq!(r2, vec![1.0, 1.0, 1.0, 3.0], "{s:?}");
        }
    }

    #[test]
    fn strict_and_inclusive_counts_differ_on_the_boundary() {
        let x = array![[0.0], [1.0], [2.0], [2.0]];
        let p = Points::new(x.view()).unwrap();
        let r = [1.0, 1.0, 0.0, 1.0];
        for s in [Search::BruteForce, Search::KdTree, Search::Sorted] {
            assert_eq!(
                count_within(&p, &r, Bound::Strict, s).unwrap(),
                vec![0, 0, 0, 1],
                "{s:?}"
            );
            assert_eq!(
                count_within(&p, &r, Bound::Inclusive, s).unwrap(),
                vec![1, 3, 1, 2],
                "{s:?}"
            );
        }
    }

    #[test]
    fn rectangle_ties_are_broken_by_lower_index() {
        // From sample 0, samples 1 and 2 are both at joint distance 1; k = 1 must pick 1.
        let x = array![[0.0], [1.0], [0.5]];
        let y = array![[0.0], [0.2], [1.0]];
        let (px, py) = (
            Points::new(x.view()).unwrap(),
            Points::new(y.view()).unwrap(),
        );
        for s in [Search::BruteForce, Search::KdTree] {
            let (ex, ey) = knn_rectangles(&px, &py, 1, s).unwrap();
            assert_eq!((ex[0], ey[0]), (1.0, 0.2), "{s:?}");
        }
    }

    #[test]
    fn invalid_k_and_paths_are_refused() {
        let x = array![[0.0, 1.0], [1.0, 2.0]];
        let p = Points::new(x.view()).unwrap();
        assert_eq!(
            kth_neighbor_distances(&p, 2, Norm::Max, Search::Auto),
            Err(EstimatorError::TooFewSamples { n: 2, needed: 3 })
        );
        assert!(kth_neighbor_distances(&p, 0, Norm::Max, Search::Auto).is_err());
        assert!(kth_neighbor_distances(&p, 1, Norm::Max, Search::Sorted).is_err());
    }
}
