//! k-d tree neighbour search (kiddo), for dimensions 1 to [`super::KD_TREE_MAX_DIM`]: Euclidean
//! k-th neighbours and the KSG-2 rectangles (max-norm searches use [`super::max_tree`]).
//! kiddo's Chebyshev distance is computed exactly as `max |a − b|`; for the Euclidean norm the
//! tree only proposes candidates and the distances are recomputed here in column order.

use std::num::NonZeroUsize;

use kiddo::{Chebyshev, ImmutableKdTree, SquaredEuclidean};
use rayon::prelude::*;

use super::{dist_max, push_smallest, sq_euclid, Norm, Points};

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

pub(super) fn kth<const K: usize>(p: &Points, k: usize, norm: Norm) -> Vec<f64> {
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

pub(super) fn rectangles<const K: usize>(
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
