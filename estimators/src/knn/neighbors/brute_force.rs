//! Brute-force neighbour search: every pair, any dimension. Max-norm searches visit each
//! unordered pair once (symmetric tiles of [`LANES`]-point blocks, SIMD kernels); Euclidean
//! ones every ordered pair.

use rayon::prelude::*;

use super::simd::{
    block_dist_lanes, lanes_below, lanes_within, later_lanes, pack_blocks, with_simd, LANES,
};
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

/// Query blocks of one parallel unit of the pair scans: they share each candidate block load.
const UNIT_BLOCKS: usize = 4;
/// Early-exit test interval (coordinates) of the pair scans.
const EVERY: usize = 8;
/// Early-exit test interval of the AVX-512 tiles: a test that rejects the block about half the
/// time costs more in branch misses than the coordinates it saves, so the k-NN tiles test every
/// 16 coordinates (the k-th distances are small: a test after 16 almost always rejects), and the
/// count tiles, whose radii are larger, not at all up to [`COUNT_NO_EXIT_DIM`] dimensions.
#[cfg(target_arch = "x86_64")]
const TILE_EVERY: usize = 16;
#[cfg(target_arch = "x86_64")]
const COUNT_NO_EXIT_DIM: usize = 16;

/// Runs `tile(state, ib, jb)` for every pair of blocks ib ≤ jb of [`LANES`] points (so every
/// unordered pair of points is met exactly once), in parallel with one `state` per rayon split,
/// merged by `merge`; compiled for the CPU's SIMD. The result does not depend on the split as
/// long as `merge` is exact (integer sums, k-smallest sets).
fn pair_scan<S, I, T, M>(nb: usize, init: I, tile: T, merge: M) -> S
where
    S: Send,
    I: Fn() -> S + Sync + Send,
    T: Fn(&mut S, usize, usize) + Sync + Send,
    M: Fn(S, S) -> S + Sync + Send,
{
    let units = nb.div_ceil(UNIT_BLOCKS);
    // Interleave long (first) and short (last) rows of the triangle for balance.
    let order: Vec<usize> = (0..units)
        .map(|t| if t % 2 == 0 { t / 2 } else { units - 1 - t / 2 })
        .collect();
    order
        .par_chunks(2)
        .fold(&init, |mut state, us| {
            with_simd(
                #[inline(always)]
                || {
                    for &u in us {
                        let rows = u * UNIT_BLOCKS..((u + 1) * UNIT_BLOCKS).min(nb);
                        for jb in rows.start..nb {
                            for ib in rows.clone().filter(|&ib| ib <= jb) {
                                tile(&mut state, ib, jb);
                            }
                        }
                    }
                },
            );
            state
        })
        .reduce(&init, &merge)
}

/// Per-lane maximum of `a` and the lanes of `b`.
#[inline(always)]
fn max_lanes(a: f64, b: &[f64]) -> [f64; LANES] {
    let b = &b[..LANES];
    let mut t = [0.0; LANES];
    for l in 0..LANES {
        t[l] = if a > b[l] { a } else { b[l] };
    }
    t
}

/// k smallest distances of every point (ascending, `k` per point) and the current k-th.
struct KBest {
    best: Vec<f64>,
    thr: Vec<f64>,
}

fn kth_max(p: &Points, k: usize) -> Vec<f64> {
    let (n, d) = (p.n, p.d);
    let mut blocks = Vec::new();
    pack_blocks(&p.data, d, &mut blocks);
    let nb = n.div_ceil(LANES);
    let bs = d * LANES;
    let init = || KBest {
        best: vec![f64::INFINITY; nb * LANES * k],
        thr: vec![f64::INFINITY; nb * LANES],
    };
    let res = pair_scan(
        nb,
        init,
        #[inline(always)]
        |st: &mut KBest, ib, jb| {
            let cblock = &blocks[jb * bs..(jb + 1) * bs];
            #[cfg(target_arch = "x86_64")]
            if super::simd::avx512() {
                // SAFETY: AVX-512F is available (checked) and enabled in this code (inlined
                // into `with_simd`'s AVX-512 build by `pair_scan`).
                unsafe {
                    super::simd::x86::knn_tile(
                        cblock,
                        &p.data,
                        d,
                        n,
                        ib,
                        jb,
                        k,
                        &mut st.best,
                        &mut st.thr,
                        TILE_EVERY,
                    )
                };
                return;
            }
            for li in 0..(n - ib * LANES).min(LANES) {
                let i = ib * LANES + li;
                let later = later_lanes(n, ib, li, jb);
                if later == 0 {
                    continue;
                }
                let q = p.row(i);
                let stop = max_lanes(st.thr[i], &st.thr[jb * LANES..]);
                let Some(acc) = block_dist_lanes(cblock, q, &stop, false, EVERY) else {
                    continue;
                };
                let mut mi = lanes_within(&acc, st.thr[i], false) & later;
                if mi != 0 {
                    let bi = &mut st.best[i * k..(i + 1) * k];
                    while mi != 0 {
                        push_smallest(bi, acc[mi.trailing_zeros() as usize]);
                        mi &= mi - 1;
                    }
                    st.thr[i] = bi[k - 1];
                }
                let mut mj = lanes_below(&acc, &st.thr[jb * LANES..], false) & later;
                while mj != 0 {
                    let l = mj.trailing_zeros() as usize;
                    mj &= mj - 1;
                    let j = jb * LANES + l;
                    let bj = &mut st.best[j * k..(j + 1) * k];
                    push_smallest(bj, acc[l]);
                    st.thr[j] = bj[k - 1];
                }
            }
        },
        |mut a: KBest, b: KBest| {
            for (x, y) in a.best.chunks_exact_mut(k).zip(b.best.chunks_exact(k)) {
                for &v in y {
                    push_smallest(x, v);
                }
            }
            for (t, x) in a.thr.iter_mut().zip(a.best.chunks_exact(k)) {
                *t = x[k - 1];
            }
            a
        },
    );
    (0..n).map(|i| res.best[i * k + k - 1]).collect()
}

pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let (n, d, inclusive) = (p.n, p.d, bound == Bound::Inclusive);
    let mut blocks = Vec::new();
    pack_blocks(&p.data, d, &mut blocks);
    let nb = n.div_ceil(LANES);
    let bs = d * LANES;
    // Radii padded to whole blocks (padding lanes are masked out).
    let mut r = radii.to_vec();
    r.resize(nb * LANES, 0.0);
    #[cfg(target_arch = "x86_64")]
    let count_every = if d <= COUNT_NO_EXIT_DIM {
        usize::MAX
    } else {
        TILE_EVERY
    };
    let res = pair_scan(
        nb,
        || vec![0u32; nb * LANES],
        #[inline(always)]
        |cnt: &mut Vec<u32>, ib, jb| {
            let cblock = &blocks[jb * bs..(jb + 1) * bs];
            #[cfg(target_arch = "x86_64")]
            if super::simd::avx512() {
                // SAFETY: as in `kth_max`.
                unsafe {
                    super::simd::x86::count_tile(
                        cblock,
                        &p.data,
                        d,
                        n,
                        ib,
                        jb,
                        &r,
                        cnt,
                        inclusive,
                        count_every,
                    )
                };
                return;
            }
            let rj = &r[jb * LANES..(jb + 1) * LANES];
            for li in 0..(n - ib * LANES).min(LANES) {
                let i = ib * LANES + li;
                let later = later_lanes(n, ib, li, jb);
                if later == 0 {
                    continue;
                }
                let stop = max_lanes(r[i], rj);
                let Some(acc) = block_dist_lanes(cblock, p.row(i), &stop, inclusive, EVERY) else {
                    continue;
                };
                let mi = lanes_within(&acc, r[i], inclusive) & later;
                cnt[i] += mi.count_ones();
                let mj = lanes_below(&acc, rj, inclusive) & later;
                let cj = &mut cnt[jb * LANES..(jb + 1) * LANES];
                for (l, c) in cj.iter_mut().enumerate() {
                    *c += (mj >> l) & 1;
                }
            }
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(&b) {
                *x += y;
            }
            a
        },
    );
    res[..n].iter().map(|&c| c as usize).collect()
}

/// Largest marginal dimension for which [`count_pair`] scans both marginals in one pass.
#[cfg(target_arch = "x86_64")]
pub(super) const COUNT_PAIR_MAX_DIM: usize = COUNT_NO_EXIT_DIM;

/// [`count`] of x and of y against the same radii, in one pass over the joint points `z`
/// (x's columns then y's) with the AVX-512 kernels; two passes elsewhere.
pub(super) fn count_pair(
    x: &Points,
    y: &Points,
    z: &Points,
    radii: &[f64],
    bound: Bound,
) -> (Vec<usize>, Vec<usize>) {
    #[cfg(target_arch = "x86_64")]
    if super::simd::avx512() && x.d <= COUNT_PAIR_MAX_DIM && y.d <= COUNT_PAIR_MAX_DIM {
        let (n, d, dx, inclusive) = (z.n, z.d, x.d, bound == Bound::Inclusive);
        let mut blocks = Vec::new();
        pack_blocks(&z.data, d, &mut blocks);
        let nb = n.div_ceil(LANES);
        let bs = d * LANES;
        let mut r = radii.to_vec();
        r.resize(nb * LANES, 0.0);
        let res = pair_scan(
            nb,
            || vec![0u32; 2 * nb * LANES],
            #[inline(always)]
            |cnt: &mut Vec<u32>, ib, jb| {
                let cblock = &blocks[jb * bs..(jb + 1) * bs];
                let (cx, cy) = cnt.split_at_mut(nb * LANES);
                // SAFETY: as in `kth_max`.
                unsafe {
                    super::simd::x86::count_tile_pair(
                        cblock,
                        &z.data,
                        (d, dx),
                        n,
                        ib,
                        jb,
                        &r,
                        (cx, cy),
                        inclusive,
                    )
                };
            },
            |mut a, b| {
                for (s, t) in a.iter_mut().zip(&b) {
                    *s += t;
                }
                a
            },
        );
        let (cx, cy) = res.split_at(nb * LANES);
        return (
            cx[..n].iter().map(|&c| c as usize).collect(),
            cy[..n].iter().map(|&c| c as usize).collect(),
        );
    }
    let _ = z;
    (count(x, radii, bound), count(y, radii, bound))
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
