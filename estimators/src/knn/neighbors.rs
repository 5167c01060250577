//! Exact neighbour search: the k-th-neighbour distance of every sample, neighbour counts within
//! a radius, and the k-NN rectangles of KSG algorithm 2.
//!
//! Conventions (the reference spec's): a sample is never its own neighbour (excluded by index),
//! exact duplicates are neighbours at distance 0, and distances are computed exactly as
//! `max_c |a_c − b_c|` (max-norm) or `sqrt(Σ_c (a_c − b_c)²)` summed in column order
//! (Euclidean), so every search path returns the same bits.
//!
//! Three paths, selected by [`Search`]:
//! - [`Search::BruteForce`]: any dimension, O(N²·d), parallel over query points (rayon);
//! - [`Search::KdTree`]: kiddo k-d tree, dimensions 1 to [`KD_TREE_MAX_DIM`];
//! - [`Search::Sorted`]: one dimension, binary search on the sorted values.
//!
//! [`Search::Auto`] picks the sorted path in one dimension, the k-d tree up to
//! [`KD_TREE_MAX_DIM`] dimensions for N ≥ [`KD_TREE_MIN_N`], and brute force otherwise.
//! All paths return identical results (tested differentially on random and tied data).

use std::num::NonZeroUsize;

use kiddo::{Chebyshev, ImmutableKdTree, SquaredEuclidean};
use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::error::{check_matrix, EstimatorError};

macro_rules! kd_dispatch {
    ($d:expr, $f:ident, $($arg:expr),*) => {
        match $d {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            d => unreachable!("k-d tree dimension {d} was rejected by resolve()"),
        }
    };
}

/// Largest dimension served by the k-d tree path.
pub const KD_TREE_MAX_DIM: usize = 8;
/// Smallest sample count for which [`Search::Auto`] uses the k-d tree.
pub const KD_TREE_MIN_N: usize = 512;

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
    /// kiddo k-d tree (dimension ≤ [`KD_TREE_MAX_DIM`]).
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
    data: Vec<f64>,
    n: usize,
    d: usize,
}

impl Points {
    /// Copies `x` (N×d) after checking it is non-empty and finite.
    pub fn new(x: ArrayView2<f64>) -> Result<Self, EstimatorError> {
        check_matrix(x)?;
        Ok(Points {
            data: x.iter().copied().collect(),
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
}

#[inline]
fn dist_max(a: &[f64], b: &[f64]) -> f64 {
    let mut m = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = (x - y).abs();
        if t > m {
            m = t;
        }
    }
    m
}

/// Max-norm distance, or +inf as soon as a coordinate reaches `stop` (then the distance is ≥ stop).
#[inline]
fn dist_max_until(a: &[f64], b: &[f64], stop: f64) -> f64 {
    let mut m = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = (x - y).abs();
        if t >= stop {
            return f64::INFINITY;
        }
        if t > m {
            m = t;
        }
    }
    m
}

/// Sum of squared differences in column order, or +inf once the partial sum reaches `stop`.
#[inline]
fn sq_euclid_until(a: &[f64], b: &[f64], stop: f64) -> f64 {
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

#[inline]
fn sq_euclid(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// Inserts `v` into the ascending, length-k list `best` if it is smaller than the last entry.
#[inline]
fn push_smallest(best: &mut [f64], v: f64) {
    let k = best.len();
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

fn check_k(n: usize, k: usize) -> Result<(), EstimatorError> {
    if k == 0 {
        return Err(EstimatorError::InvalidParameter {
            name: "k",
            reason: "k must be at least 1".into(),
        });
    }
    if k >= n {
        return Err(EstimatorError::TooFewSamples { n, needed: k + 1 });
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
    check_k(p.n, k)?;
    Ok(match resolve(search, p.d, p.n)? {
        Search::Sorted => sorted_kth(p, k, norm),
        Search::KdTree => kd_dispatch!(p.d, kd_kth, p, k, norm),
        _ => brute_kth(p, k, norm),
    })
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
    Ok(match resolve(search, p.d, p.n)? {
        Search::Sorted => sorted_count(p, radii, bound),
        Search::KdTree => kd_dispatch!(p.d, kd_count, p, radii, bound),
        _ => brute_count(p, radii, bound),
    })
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
        Search::KdTree => kd_dispatch!(joint.d, kd_rectangles, &joint, x, y, k),
        // The 1-D sorted path does not apply to a joint space of two variables.
        _ => brute_rectangles(x, y, k),
    };
    Ok(per_point.into_iter().unzip())
}

// ---------------------------------------------------------------------------------------------
// brute force

/// Query rows handled together by one task of the brute-force paths.
const QUERY_CHUNK: usize = 16;
/// Values (f64) per cache block of candidate rows scanned against a chunk of queries (256 KiB).
const CANDIDATE_BLOCK_VALUES: usize = 32 * 1024;

/// Calls `visit(i, j)` for every query i and candidate j ≠ i, j in increasing order for each i,
/// chunked so that a block of candidate rows stays in cache for a chunk of queries; chunks run
/// in parallel (rayon). `state` is one accumulator per query.
fn brute_scan<S, F>(n: usize, d: usize, init: impl Fn() -> S + Sync, visit: F) -> Vec<S>
where
    S: Send,
    F: Fn(&mut S, usize, usize) + Sync,
{
    let block_rows = (CANDIDATE_BLOCK_VALUES / d.max(1)).clamp(32, 2048);
    let mut states: Vec<S> = (0..n).map(|_| init()).collect();
    states
        .par_chunks_mut(QUERY_CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let first = c * QUERY_CHUNK;
            for block in (0..n).step_by(block_rows) {
                let end = (block + block_rows).min(n);
                for (q, state) in chunk.iter_mut().enumerate() {
                    let i = first + q;
                    for j in (block..end).filter(|&j| j != i) {
                        visit(state, i, j);
                    }
                }
            }
        });
    states
}

fn brute_kth(p: &Points, k: usize, norm: Norm) -> Vec<f64> {
    let best = brute_scan(
        p.n,
        p.d,
        || vec![f64::INFINITY; k],
        |best: &mut Vec<f64>, i, j| {
            let (a, b) = (p.row(i), p.row(j));
            let v = match norm {
                Norm::Max => dist_max_until(a, b, best[k - 1]),
                Norm::Euclidean => sq_euclid_until(a, b, best[k - 1]),
            };
            push_smallest(best, v);
        },
    );
    best.into_iter()
        .map(|b| match norm {
            Norm::Max => b[k - 1],
            Norm::Euclidean => b[k - 1].sqrt(),
        })
        .collect()
}

fn brute_count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    brute_scan(
        p.n,
        p.d,
        || 0usize,
        |count: &mut usize, i, j| {
            let (a, b, r) = (p.row(i), p.row(j), radii[i]);
            let inside = match bound {
                Bound::Strict => a.iter().zip(b).all(|(x, y)| (x - y).abs() < r),
                Bound::Inclusive => a.iter().zip(b).all(|(x, y)| (x - y).abs() <= r),
            };
            *count += usize::from(inside);
        },
    )
}

fn brute_rectangles(x: &Points, y: &Points, k: usize) -> Vec<(f64, f64)> {
    // (joint, dx, dy) of the k best, ascending in joint distance; equal joint distances keep
    // the earlier (lower) index first because j increases.
    let best = brute_scan(
        x.n,
        x.d + y.d,
        || Vec::<(f64, f64, f64)>::with_capacity(k + 1),
        |best, i, j| {
            let worst = if best.len() == k {
                best[k - 1].0
            } else {
                f64::INFINITY
            };
            let dx = dist_max(x.row(i), x.row(j));
            if dx >= worst {
                return;
            }
            let dy = dist_max(y.row(i), y.row(j));
            let dz = dx.max(dy);
            if dz >= worst {
                return;
            }
            let pos = best.partition_point(|e| e.0 <= dz);
            best.insert(pos, (dz, dx, dy));
            best.truncate(k);
        },
    );
    best.iter().map(|b| rectangle_of(b)).collect()
}

fn rectangle_of(best: &[(f64, f64, f64)]) -> (f64, f64) {
    best.iter()
        .fold((0.0, 0.0), |(ex, ey), e| (ex.max(e.1), ey.max(e.2)))
}

// ---------------------------------------------------------------------------------------------
// sorted (1-D)

fn sorted_order(p: &Points) -> (Vec<usize>, Vec<f64>) {
    let mut order: Vec<usize> = (0..p.n).collect();
    order.sort_by(|&a, &b| p.data[a].total_cmp(&p.data[b]));
    let values = order.iter().map(|&i| p.data[i]).collect();
    (order, values)
}

fn dist_1d(a: f64, b: f64, norm: Norm) -> f64 {
    match norm {
        Norm::Max => (a - b).abs(),
        Norm::Euclidean => {
            let t = a - b;
            (t * t).sqrt()
        }
    }
}

fn sorted_kth(p: &Points, k: usize, norm: Norm) -> Vec<f64> {
    let (order, v) = sorted_order(p);
    let per_pos: Vec<f64> = (0..p.n)
        .into_par_iter()
        .map(|pos| {
            let c = v[pos];
            let (mut lo, mut hi) = (pos, pos + 1); // next candidates: v[lo − 1], v[hi]
            let mut last = 0.0;
            for _ in 0..k {
                let left = (lo > 0).then(|| dist_1d(c, v[lo - 1], norm));
                let right = (hi < v.len()).then(|| dist_1d(v[hi], c, norm));
                match (left, right) {
                    (Some(l), Some(r)) if l <= r => {
                        last = l;
                        lo -= 1;
                    }
                    (Some(l), None) => {
                        last = l;
                        lo -= 1;
                    }
                    (_, Some(r)) => {
                        last = r;
                        hi += 1;
                    }
                    (None, None) => unreachable!("k < N leaves a candidate"),
                }
            }
            last
        })
        .collect();
    let mut out = vec![0.0; p.n];
    for (pos, &i) in order.iter().enumerate() {
        out[i] = per_pos[pos];
    }
    out
}

fn sorted_count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let (order, v) = sorted_order(p);
    let per_pos: Vec<usize> = (0..p.n)
        .into_par_iter()
        .map(|pos| {
            let c = v[pos];
            let r = radii[order[pos]];
            let inside = |d: f64| match bound {
                Bound::Strict => d < r,
                Bound::Inclusive => d <= r,
            };
            // |c − v_j| is monotone in v_j on each side of pos (rounding is monotone), so the
            // samples inside form one run around pos.
            let left = &v[..pos];
            let n_left = left.len() - left.partition_point(|&u| !inside((c - u).abs()));
            let right = &v[pos + 1..];
            let n_right = right.partition_point(|&u| inside((u - c).abs()));
            n_left + n_right
        })
        .collect();
    let mut out = vec![0; p.n];
    for (pos, &i) in order.iter().enumerate() {
        out[i] = per_pos[pos];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// k-d tree (kiddo), dimension as a const generic

fn kd_points<const K: usize>(p: &Points) -> Vec<[f64; K]> {
    (0..p.n)
        .map(|i| {
            let mut a = [0.0; K];
            a.copy_from_slice(p.row(i));
            a
        })
        .collect()
}

fn kd_tree<const K: usize>(pts: &[[f64; K]]) -> ImmutableKdTree<f64, K> {
    ImmutableKdTree::<f64, K>::new_from_slice(pts)
        .expect("a k-d tree builds from finite points (checked by Points::new)")
}

fn kd_kth<const K: usize>(p: &Points, k: usize, norm: Norm) -> Vec<f64> {
    let pts = kd_points::<K>(p);
    let tree = kd_tree(&pts);
    let qty = NonZeroUsize::new(k + 1).expect("k + 1 > 0");
    (0..p.n)
        .into_par_iter()
        .map(|i| match norm {
            Norm::Max => {
                // Self is one of the k + 1 results at distance 0, so the largest is the k-th
                // neighbour's distance; kiddo's Chebyshev distance is exact (max |a − b|).
                let res = tree
                    .query(&pts[i])
                    .nearest_n::<Chebyshev<f64>>(qty)
                    .execute();
                res.iter().map(|r| r.distance).fold(0.0, f64::max)
            }
            Norm::Euclidean => {
                // kiddo may sum squares in another order: take every candidate within a
                // slightly inflated radius and select on our own exact distances.
                let res = tree
                    .query(&pts[i])
                    .nearest_n::<SquaredEuclidean<f64>>(qty)
                    .execute();
                let s_max = res.iter().map(|r| r.distance).fold(0.0, f64::max);
                let radius = s_max * (1.0 + 1e-10);
                let cand = tree
                    .query(&pts[i])
                    .within::<SquaredEuclidean<f64>>(radius)
                    .unsorted()
                    .execute();
                let mut best = vec![f64::INFINITY; k];
                for c in cand.iter().filter(|c| c.item as usize != i) {
                    push_smallest(&mut best, sq_euclid(p.row(i), p.row(c.item as usize)));
                }
                best[k - 1].sqrt()
            }
        })
        .collect()
}

fn kd_count<const K: usize>(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let pts = kd_points::<K>(p);
    let tree = kd_tree(&pts);
    (0..p.n)
        .into_par_iter()
        .map(|i| {
            let r = radii[i];
            let q = tree.query(&pts[i]);
            match bound {
                Bound::Strict => {
                    if r <= 0.0 {
                        return 0;
                    }
                    let n = q
                        .within::<Chebyshev<f64>>(r)
                        .exclusive_boundaries()
                        .unsorted()
                        .execute()
                        .len();
                    n - 1 // self, at distance 0 < r
                }
                Bound::Inclusive => {
                    let n = q.within::<Chebyshev<f64>>(r).unsorted().execute().len();
                    n - 1 // self, at distance 0 ≤ r
                }
            }
        })
        .collect()
}

fn kd_rectangles<const K: usize>(
    joint: &Points,
    x: &Points,
    y: &Points,
    k: usize,
) -> Vec<(f64, f64)> {
    let pts = kd_points::<K>(joint);
    let tree = kd_tree(&pts);
    let qty = NonZeroUsize::new(k + 1).expect("k + 1 > 0");
    (0..joint.n)
        .into_par_iter()
        .map(|i| {
            let eps = tree
                .query(&pts[i])
                .nearest_n::<Chebyshev<f64>>(qty)
                .execute()
                .iter()
                .map(|r| r.distance)
                .fold(0.0, f64::max);
            // Every sample at joint distance ≤ ε, ordered by (distance, index): the first k are
            // the neighbours the spec picks.
            let mut cand: Vec<(f64, usize, f64, f64)> = tree
                .query(&pts[i])
                .within::<Chebyshev<f64>>(eps)
                .unsorted()
                .execute()
                .iter()
                .map(|c| c.item as usize)
                .filter(|&j| j != i)
                .map(|j| {
                    let dx = dist_max(x.row(i), x.row(j));
                    let dy = dist_max(y.row(i), y.row(j));
                    (dx.max(dy), j, dx, dy)
                })
                .collect();
            cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            cand.truncate(k);
            cand.iter()
                .fold((0.0f64, 0.0f64), |(ex, ey), c| (ex.max(c.2), ey.max(c.3)))
        })
        .collect()
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
