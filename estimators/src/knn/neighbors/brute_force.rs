//! Brute-force neighbour search: every pair, any dimension.

use rayon::prelude::*;

use super::{
    dist_max, dist_max_until, push_smallest, sq_euclid_until, within_max, Bound, Norm, Points,
};

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

pub(super) fn kth(p: &Points, k: usize, norm: Norm) -> Vec<f64> {
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

pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    brute_scan(
        p.n,
        p.d,
        || 0usize,
        |count: &mut usize, i, j| {
            let (a, b, r) = (p.row(i), p.row(j), radii[i]);
            let inside = within_max(a, b, r, bound == Bound::Strict);
            *count += usize::from(inside);
        },
    )
}

pub(super) fn rectangles(x: &Points, y: &Points, k: usize) -> Vec<(f64, f64)> {
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
