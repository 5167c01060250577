//! Distances from one point to the [`LANES`] points of a block, and scans of a run of blocks
//! (the k smallest distances, or the count within a radius). Portable code, compiled for the
//! instruction set chosen by [`super::with_simd`]; on AVX-512 the `x86` kernels.

#[cfg(target_arch = "x86_64")]
use super::avx512;
use super::boxes::{lanes_below, lanes_within};
use super::{max2, push_smallest, LANES};

/// `acc[l] = max(acc[l], |col[l] − qc|)` for the column of coordinate c.
#[inline(always)]
fn step(acc: &mut [f64; LANES], block: &[f64], c: usize, qc: f64) {
    let col: &[f64; LANES] = block[c * LANES..(c + 1) * LANES]
        .try_into()
        .expect("block column");
    for l in 0..LANES {
        acc[l] = max2(acc[l], (col[l] - qc).abs());
    }
}

/// The max-norm distances from `q` to the [`LANES`] points of `block`, or `None` once every lane
/// is known to be rejected: `≥ stop` (`inclusive == false`) or `> stop` (`inclusive == true`),
/// tested every 4 coordinates. A lane of a returned block may be rejected too; the caller
/// compares each lane.
#[inline(always)]
pub(in crate::knn::neighbors) fn block_dist(
    block: &[f64],
    q: &[f64],
    stop: f64,
    inclusive: bool,
) -> Option<[f64; LANES]> {
    block_dist_lanes(block, q, &[stop; LANES], inclusive, 4)
}

/// [`block_dist`] with one stop per lane (`None` once every lane l is `≥ stop[l]`, or
/// `> stop[l]` when `inclusive`), tested every `every` coordinates (a multiple of 4).
#[inline(always)]
pub(in crate::knn::neighbors) fn block_dist_lanes(
    block: &[f64],
    q: &[f64],
    stop: &[f64; LANES],
    inclusive: bool,
    every: usize,
) -> Option<[f64; LANES]> {
    let d = q.len();
    let block = &block[..d * LANES];
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        use std::arch::x86_64::{_mm512_loadu_pd, _mm512_storeu_pd};
        // SAFETY: the CPU has AVX-512F (checked at run time; this code is inlined into the
        // AVX-512 build of the caller); `block` holds d columns and `stop` LANES values.
        return unsafe {
            let (keep, acc) = super::x86::dist_block(
                block.as_ptr(),
                q,
                _mm512_loadu_pd(stop.as_ptr()),
                inclusive,
                every,
            );
            if keep == 0 {
                None
            } else {
                let mut out = [0.0; LANES];
                _mm512_storeu_pd(out.as_mut_ptr(), acc);
                Some(out)
            }
        };
    }
    let mut acc = [0.0f64; LANES];
    let mut c = 0;
    while c + 4 <= d {
        let q4: &[f64; 4] = q[c..c + 4].try_into().expect("4 coordinates");
        step(&mut acc, block, c, q4[0]);
        step(&mut acc, block, c + 1, q4[1]);
        step(&mut acc, block, c + 2, q4[2]);
        step(&mut acc, block, c + 3, q4[3]);
        c += 4;
        if c < d && c % every == 0 && lanes_below(&acc, stop, inclusive) == 0 {
            return None;
        }
    }
    while c < d {
        step(&mut acc, block, c, q[c]);
        c += 1;
    }
    Some(acc)
}

/// Lanes of block `jb` holding points j > i, for the point i = ib·LANES + li (the symmetric
/// pair scans: each unordered pair once).
#[inline(always)]
pub(in crate::knn::neighbors) fn later_lanes(n: usize, ib: usize, li: usize, jb: usize) -> u32 {
    let valid = (n - jb * LANES).min(LANES);
    let mut m = (1u32 << valid) - 1;
    if ib == jb {
        m &= !((2u32 << li) - 1);
    }
    m
}

/// Lanes of block `b` of a run of points at positions `first..end` that hold points other than
/// the one at `skip`.
#[inline(always)]
pub(in crate::knn::neighbors) fn run_mask(first: usize, end: usize, b: usize, skip: usize) -> u32 {
    let f = first + b * LANES;
    let valid = (end - f).min(LANES);
    let mut m = (1u32 << valid) - 1;
    if skip >= f && skip < f + valid {
        m &= !(1u32 << (skip - f));
    }
    m
}

/// Inserts into `best` (ascending, the k smallest so far) the distances from `q` to the points
/// of the run at positions `first..end` (column-major blocks `blocks`), except `skip`.
#[inline(always)]
pub(in crate::knn::neighbors) fn knn_scan(
    blocks: &[f64],
    q: &[f64],
    first: usize,
    end: usize,
    skip: usize,
    best: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has AVX-512F and DQ (checked at run time; inlined into the AVX-512 build
        // of the caller, see `with_simd`).
        return unsafe { super::x86::knn_scan_avx512(blocks, q, first, end, skip, best) };
    }
    let (d, k) = (q.len(), best.len());
    for b in 0..(end - first).div_ceil(LANES) {
        let t = best[k - 1];
        let block = &blocks[b * d * LANES..(b + 1) * d * LANES];
        if let Some(acc) = block_dist(block, q, t, false) {
            let mut m = lanes_within(&acc, t, false) & run_mask(first, end, b, skip);
            while m != 0 {
                push_smallest(best, acc[m.trailing_zeros() as usize]);
                m &= m - 1;
            }
        }
    }
}

/// Number of points of the run at positions `first..end` (column-major blocks `blocks`), other
/// than `skip`, within `r` of `q` (`< r`, or `≤ r` when `inclusive`).
#[inline(always)]
pub(in crate::knn::neighbors) fn count_scan(
    blocks: &[f64],
    q: &[f64],
    first: usize,
    end: usize,
    skip: usize,
    r: f64,
    inclusive: bool,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has AVX-512F and DQ (checked at run time; inlined into the AVX-512 build
        // of the caller, see `with_simd`).
        return unsafe { super::x86::count_scan_avx512(blocks, q, first, end, skip, r, inclusive) };
    }
    let d = q.len();
    let nb = (end - first).div_ceil(LANES);
    let mut total = 0;
    for b in 0..nb {
        let block = &blocks[b * d * LANES..(b + 1) * d * LANES];
        if let Some(acc) = block_dist(block, q, r, inclusive) {
            let m = lanes_within(&acc, r, inclusive) & valid_lanes(end - first, b);
            total += m.count_ones() as usize;
        }
    }
    total - self_counted(first, end, skip, r, inclusive)
}

/// Lanes of block `b` of a run of `m` points that hold points of the run (all but the last
/// block are full).
#[inline(always)]
pub(super) fn valid_lanes(m: usize, b: usize) -> u32 {
    u32::MAX >> (32 - (m - b * LANES).min(LANES))
}

/// 1 when the point at `skip`, inside the run `first..end`, was counted by a scan of the run:
/// its distance to itself is 0, within `r` when `0 < r` (or `0 ≤ r` when `inclusive`).
#[inline(always)]
pub(super) fn self_counted(
    first: usize,
    end: usize,
    skip: usize,
    r: f64,
    inclusive: bool,
) -> usize {
    let within = if inclusive { 0.0 <= r } else { 0.0 < r };
    usize::from((first..end).contains(&skip) && within)
}
