//! Brute-force neighbour search: every pair, any dimension.

use rayon::prelude::*;

use super::simd::{block_dist, lanes_within, pack_blocks, with_simd, LANES};
use super::{dist_max, push_smallest, sq_euclid_until, Bound, Norm, Points};

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
    match norm {
        Norm::Max => kth_max(p, k),
        Norm::Euclidean => kth_euclid(p, k),
    }
}

fn kth_euclid(p: &Points, k: usize) -> Vec<f64> {
    let best = brute_scan(
        p.n,
        p.d,
        || vec![f64::INFINITY; k],
        |best: &mut Vec<f64>, i, j| {
            let v = sq_euclid_until(p.row(i), p.row(j), best[k - 1]);
            push_smallest(best, v);
        },
    );
    best.into_iter().map(|b| b[k - 1].sqrt()).collect()
}

/// Mask of the lanes of block `b` (of all N points in order) that hold points other than `i`.
#[inline(always)]
fn lane_mask(n: usize, b: usize, i: usize) -> u32 {
    let first = b * LANES;
    let valid = (n - first).min(LANES);
    let mut m = (1u32 << valid) - 1;
    if i >= first && i < first + valid {
        m &= !(1u32 << (i - first));
    }
    m
}

/// Runs `visit(state, i, b)` for every query i and every block b of [`LANES`] candidate rows
/// (column-major, see [`pack_blocks`]), b increasing for each i, tiled so that a run of blocks
/// stays in cache for a chunk of queries; chunks in parallel, compiled for the CPU's SIMD.
fn block_scan<S, F>(p: &Points, init: impl Fn() -> S + Sync, visit: F) -> Vec<S>
where
    S: Send,
    F: Fn(&mut S, usize, &[f64], usize) + Sync,
{
    let (n, d) = (p.n, p.d);
    let mut blocks = Vec::new();
    pack_blocks(&p.data, d, &mut blocks);
    let bs = d * LANES;
    let nb = n.div_ceil(LANES);
    let per_tile = (CANDIDATE_BLOCK_VALUES / bs).max(4);
    let mut states: Vec<S> = (0..n).map(|_| init()).collect();
    states
        .par_chunks_mut(QUERY_CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            with_simd(
                #[inline(always)]
                || {
                    let first = c * QUERY_CHUNK;
                    for tile in (0..nb).step_by(per_tile) {
                        let end = (tile + per_tile).min(nb);
                        for (o, state) in chunk.iter_mut().enumerate() {
                            for b in tile..end {
                                visit(state, first + o, &blocks[b * bs..(b + 1) * bs], b);
                            }
                        }
                    }
                },
            )
        });
    states
}

fn kth_max(p: &Points, k: usize) -> Vec<f64> {
    let n = p.n;
    let best = block_scan(
        p,
        || vec![f64::INFINITY; k],
        #[inline(always)]
        |best: &mut Vec<f64>, i, block, b| {
            let thr = best[k - 1];
            if let Some(acc) = block_dist(block, p.row(i), thr, false) {
                let mut m = lanes_within(&acc, thr, false) & lane_mask(n, b, i);
                while m != 0 {
                    push_smallest(best, acc[m.trailing_zeros() as usize]);
                    m &= m - 1;
                }
            }
        },
    );
    best.into_iter().map(|b| b[k - 1]).collect()
}

pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let (n, inclusive) = (p.n, bound == Bound::Inclusive);
    block_scan(
        p,
        || 0usize,
        #[inline(always)]
        |count: &mut usize, i, block, b| {
            let r = radii[i];
            if let Some(acc) = block_dist(block, p.row(i), r, inclusive) {
                let m = lanes_within(&acc, r, inclusive) & lane_mask(n, b, i);
                *count += m.count_ones() as usize;
            }
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
