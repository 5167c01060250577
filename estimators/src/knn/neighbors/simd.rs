//! Max-norm distance kernels over blocks of [`LANES`] points stored column-major ("SoA"),
//! compiled for AVX-512, AVX2 or plain x86-64/other targets and chosen at run time.
//!
//! Exactness: every lane computes `max_c |q_c − p_c|` with one subtraction, one absolute value
//! and a running maximum per coordinate. Subtraction is correctly rounded and
//! `fl(q − p) = −fl(p − q)`, and the maximum of non-NaN values does not depend on the order in
//! which it is taken, so a lane holds exactly the distance [`super::dist_max`] returns, whatever
//! the instruction set.

use super::push_smallest;

/// Points per block (one AVX-512 register of f64, two AVX2 registers).
pub(super) const LANES: usize = 8;

/// Points transposed in blocks of [`LANES`]: coordinate c of lane l of block b is at
/// `data[(b·d + c)·LANES + l]`. Lanes past the end of a group repeat its last point (callers
/// mask them out by count).
pub(super) fn pack_blocks(rows: &[f64], d: usize, out: &mut Vec<f64>) {
    let base = out.len();
    out.resize(base + packed_len(rows.len() / d, d), 0.0);
    pack_into(rows, d, &mut out[base..]);
}

/// Length of `m` points of dimension `d` packed by [`pack_blocks`].
pub(super) fn packed_len(m: usize, d: usize) -> usize {
    m.div_ceil(LANES) * d * LANES
}

/// [`pack_blocks`] into `blocks`, of length [`packed_len`].
pub(super) fn pack_into(rows: &[f64], d: usize, blocks: &mut [f64]) {
    let m = rows.len() / d;
    for b in 0..m.div_ceil(LANES) {
        for l in 0..LANES {
            let src = (b * LANES + l).min(m - 1);
            let row = &rows[src * d..(src + 1) * d];
            for (c, &v) in row.iter().enumerate() {
                blocks[(b * d + c) * LANES + l] = v;
            }
        }
    }
}

#[inline(always)]
fn max2(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

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
pub(super) fn block_dist(
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
pub(super) fn block_dist_lanes(
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
            let (keep, acc) = x86::dist_block(
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
pub(super) fn later_lanes(n: usize, ib: usize, li: usize, jb: usize) -> u32 {
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
pub(super) fn run_mask(first: usize, end: usize, b: usize, skip: usize) -> u32 {
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
pub(super) fn knn_scan(
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
        return unsafe { x86::knn_scan_avx512(blocks, q, first, end, skip, best) };
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
pub(super) fn count_scan(
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
        return unsafe { x86::count_scan_avx512(blocks, q, first, end, skip, r, inclusive) };
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
fn valid_lanes(m: usize, b: usize) -> u32 {
    u32::MAX >> (32 - (m - b * LANES).min(LANES))
}

/// 1 when the point at `skip`, inside the run `first..end`, was counted by a scan of the run:
/// its distance to itself is 0, within `r` when `0 < r` (or `0 ≤ r` when `inclusive`).
#[inline(always)]
fn self_counted(first: usize, end: usize, skip: usize, r: f64, inclusive: bool) -> usize {
    let within = if inclusive { 0.0 <= r } else { 0.0 < r };
    usize::from((first..end).contains(&skip) && within)
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use super::{push_smallest, LANES};
    use std::arch::x86_64::*;

    /// Early-exit test interval of the AVX-512 leaf scans: every 8 coordinates (none up to 8
    /// dimensions). A test after 4 rejects the block about as often as not, and its branch
    /// misses cost more than the coordinates it saves.
    const LEAF_EVERY: usize = 8;

    /// Lanes with `a < b`, or `a ≤ b` when `inclusive` (ordered: NaN is never within).
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[inline(always)]
    unsafe fn within_mask(a: __m512d, b: __m512d, inclusive: bool) -> __mmask8 {
        // SAFETY: AVX-512F is enabled in every caller.
        unsafe {
            if inclusive {
                _mm512_cmp_pd_mask::<_CMP_LE_OQ>(a, b)
            } else {
                _mm512_cmp_pd_mask::<_CMP_LT_OQ>(a, b)
            }
        }
    }

    /// Distances of one block (4 coordinates at a time, early exit when every lane is
    /// rejected against `sv`, tested every `every` coordinates): the lanes `keep`-compared with `sv`, and the distances.
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[inline(always)]
    pub(super) unsafe fn dist_block(
        p: *const f64,
        q: &[f64],
        sv: __m512d,
        inclusive: bool,
        every: usize,
    ) -> (u8, __m512d) {
        let d = q.len();
        // SAFETY: AVX-512F is enabled in every caller.
        let keep = |acc: __m512d| unsafe { within_mask(acc, sv, inclusive) };
        // SAFETY (callers): `p` points to d columns of LANES values.
        let diff = |c: usize| unsafe {
            _mm512_sub_pd(_mm512_loadu_pd(p.add(c * LANES)), _mm512_set1_pd(q[c]))
        };
        // SAFETY: as above.
        let dist = |c: usize| unsafe {
            let col = _mm512_loadu_pd(p.add(c * LANES));
            _mm512_abs_pd(_mm512_sub_pd(col, _mm512_set1_pd(q[c])))
        };
        // SAFETY: AVX-512F is enabled in every caller.
        unsafe {
            let mut acc = _mm512_setzero_pd();
            let mut c = 0;
            while c + 4 <= d {
                // VRANGEPD, imm 0b1011: the larger absolute value with the sign cleared, i.e.
                // max(|x|, |y|), exactly (one instruction instead of two abs and a max).
                let a = _mm512_range_pd::<0b1011>(diff(c), diff(c + 1));
                let b = _mm512_range_pd::<0b1011>(diff(c + 2), diff(c + 3));
                acc = _mm512_max_pd(acc, _mm512_max_pd(a, b));
                c += 4;
                if c < d && c % every == 0 && keep(acc) == 0 {
                    return (0, acc);
                }
            }
            while c < d {
                acc = _mm512_max_pd(acc, dist(c));
                c += 1;
            }
            (keep(acc), acc)
        }
    }

    /// One tile (query block `ib`, candidate block `jb`, `ib ≤ jb`) of the symmetric radius
    /// count: for each point i of block `ib` and each point j of block `jb` with j > i, adds 1
    /// to `cnt[i]` if `dist < r[i]` and to `cnt[j]` if `dist < r[j]` (`≤` when `inclusive`).
    /// `rows` are the points row-major (`n` of them), `cblock` block `jb` column-major, `r` and
    /// `cnt` padded to whole blocks. The same comparisons as the portable loop, in registers.
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(in crate::knn::neighbors) unsafe fn count_tile(
        cblock: &[f64],
        rows: &[f64],
        d: usize,
        n: usize,
        ib: usize,
        jb: usize,
        r: &[f64],
        cnt: &mut [u32],
        inclusive: bool,
        every: usize,
    ) {
        assert!(cblock.len() >= d * LANES && r.len() >= (jb + 1) * LANES);
        assert!(cnt.len() >= (jb + 1) * LANES && rows.len() >= n * d);
        // SAFETY: AVX-512F is enabled in every caller; all reads are in bounds (asserted).
        unsafe {
            let rj = _mm512_loadu_pd(r.as_ptr().add(jb * LANES));
            let mut cj = _mm256_setzero_si256();
            let one = _mm256_set1_epi32(1);
            for li in 0..(n - ib * LANES).min(LANES) {
                let i = ib * LANES + li;
                let later = super::later_lanes(n, ib, li, jb) as u8;
                if later == 0 {
                    continue;
                }
                let ri = _mm512_set1_pd(r[i]);
                let stop = _mm512_max_pd(ri, rj);
                let (keep, acc) = dist_block(
                    cblock.as_ptr(),
                    &rows[i * d..(i + 1) * d],
                    stop,
                    inclusive,
                    every,
                );
                // Without early exit (`every ≥ d`) the test would only add a branch miss.
                if every < d && keep & later == 0 {
                    continue;
                }
                let (mi, mj) = (
                    within_mask(acc, ri, inclusive),
                    within_mask(acc, rj, inclusive),
                );
                cnt[i] += (mi & later).count_ones();
                cj = _mm256_mask_add_epi32(cj, mj & later, cj, one);
            }
            let dst = cnt.as_mut_ptr().add(jb * LANES) as *mut __m256i;
            _mm256_storeu_si256(dst, _mm256_add_epi32(_mm256_loadu_si256(dst), cj));
        }
    }

    /// [`count_tile`] for two spaces at once: the points are the joint rows (x then y, `d`
    /// columns, the first `dx` of them x), and the counts of x and of y, both against `r`,
    /// go to `cnt_x` and `cnt_y`. No early exit (the two spaces share nothing to stop on).
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(in crate::knn::neighbors) unsafe fn count_tile_pair(
        cblock: &[f64],
        rows: &[f64],
        (d, dx): (usize, usize),
        n: usize,
        ib: usize,
        jb: usize,
        r: &[f64],
        (cnt_x, cnt_y): (&mut [u32], &mut [u32]),
        inclusive: bool,
    ) {
        assert!(cblock.len() >= d * LANES && r.len() >= (jb + 1) * LANES && dx < d);
        assert!(cnt_x.len() >= (jb + 1) * LANES && cnt_y.len() >= (jb + 1) * LANES);
        assert!(rows.len() >= n * d);
        // SAFETY: AVX-512F is enabled in every caller.
        let cmp = |a: __m512d, b: __m512d| unsafe { within_mask(a, b, inclusive) };
        // SAFETY: AVX-512F is enabled in every caller; all reads are in bounds (asserted).
        unsafe {
            let rj = _mm512_loadu_pd(r.as_ptr().add(jb * LANES));
            let mut cjx = _mm256_setzero_si256();
            let mut cjy = _mm256_setzero_si256();
            let one = _mm256_set1_epi32(1);
            for li in 0..(n - ib * LANES).min(LANES) {
                let i = ib * LANES + li;
                let later = super::later_lanes(n, ib, li, jb) as u8;
                if later == 0 {
                    continue;
                }
                let ri = _mm512_set1_pd(r[i]);
                let (qx, qy) = rows[i * d..(i + 1) * d].split_at(dx);
                let (_, ax) = dist_block(cblock.as_ptr(), qx, ri, inclusive, usize::MAX);
                let (_, ay) = dist_block(
                    cblock.as_ptr().add(dx * LANES),
                    qy,
                    ri,
                    inclusive,
                    usize::MAX,
                );
                cnt_x[i] += (cmp(ax, ri) & later).count_ones();
                cnt_y[i] += (cmp(ay, ri) & later).count_ones();
                cjx = _mm256_mask_add_epi32(cjx, cmp(ax, rj) & later, cjx, one);
                cjy = _mm256_mask_add_epi32(cjy, cmp(ay, rj) & later, cjy, one);
            }
            let dst = cnt_x.as_mut_ptr().add(jb * LANES) as *mut __m256i;
            _mm256_storeu_si256(dst, _mm256_add_epi32(_mm256_loadu_si256(dst), cjx));
            let dst = cnt_y.as_mut_ptr().add(jb * LANES) as *mut __m256i;
            _mm256_storeu_si256(dst, _mm256_add_epi32(_mm256_loadu_si256(dst), cjy));
        }
    }

    /// One tile of the symmetric k-NN scan (see [`count_tile`]): the distances of the pairs
    /// (i in block `ib`, j in block `jb`, j > i) below the current k-th distance of i (or j)
    /// go into `best[i·k..]` (or `best[j·k..]`), and `thr` follows the k-th distances.
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(in crate::knn::neighbors) unsafe fn knn_tile(
        cblock: &[f64],
        rows: &[f64],
        d: usize,
        n: usize,
        ib: usize,
        jb: usize,
        k: usize,
        best: &mut [f64],
        thr: &mut [f64],
        every: usize,
    ) {
        assert!(cblock.len() >= d * LANES && thr.len() >= (jb + 1) * LANES);
        assert!(best.len() >= thr.len() * k && rows.len() >= n * d);
        // SAFETY: AVX-512F is enabled in every caller; all reads are in bounds (asserted).
        unsafe {
            for li in 0..(n - ib * LANES).min(LANES) {
                let i = ib * LANES + li;
                let later = super::later_lanes(n, ib, li, jb) as u8;
                if later == 0 {
                    continue;
                }
                let ti = _mm512_set1_pd(thr[i]);
                let stop = _mm512_max_pd(ti, _mm512_loadu_pd(thr.as_ptr().add(jb * LANES)));
                let (keep, acc) = dist_block(
                    cblock.as_ptr(),
                    &rows[i * d..(i + 1) * d],
                    stop,
                    false,
                    every,
                );
                if keep & later == 0 {
                    continue;
                }
                let mut a = [0.0; LANES];
                _mm512_storeu_pd(a.as_mut_ptr(), acc);
                let mut mi = u32::from(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(acc, ti) & later);
                if mi != 0 {
                    let bi = &mut best[i * k..(i + 1) * k];
                    while mi != 0 {
                        push_smallest(bi, a[mi.trailing_zeros() as usize]);
                        mi &= mi - 1;
                    }
                    thr[i] = bi[k - 1];
                }
                // Reloaded: thr[i] may be one of them (ib = jb).
                let tj = _mm512_loadu_pd(thr.as_ptr().add(jb * LANES));
                let mut mj = u32::from(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(acc, tj) & later);
                while mj != 0 {
                    let l = mj.trailing_zeros() as usize;
                    mj &= mj - 1;
                    let j = jb * LANES + l;
                    let bj = &mut best[j * k..(j + 1) * k];
                    push_smallest(bj, a[l]);
                    thr[j] = bj[k - 1];
                }
            }
        }
    }

    /// [`super::box_near_below`] with AVX-512F: the same operations as [`super::box_near_lanes`]
    /// (`_mm512_max_pd(a, b)` is `if a > b { a } else { b }`, like `max2`).
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[inline(always)]
    pub(super) unsafe fn box_near_below_avx512(
        block: &[f64],
        lo: &[f64],
        hi: &[f64],
        thr: &[f64],
    ) -> u32 {
        let d = lo.len();
        assert!(block.len() >= d * LANES && hi.len() >= d && thr.len() >= LANES);
        // SAFETY: lengths asserted above; AVX-512F is enabled in every caller.
        unsafe {
            let mut near = _mm512_setzero_pd();
            for c in 0..d {
                let col = _mm512_loadu_pd(block.as_ptr().add(c * LANES));
                let a = _mm512_sub_pd(_mm512_set1_pd(lo[c]), col);
                let b = _mm512_sub_pd(col, _mm512_set1_pd(hi[c]));
                near = _mm512_max_pd(near, _mm512_max_pd(a, b));
            }
            u32::from(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(
                near,
                _mm512_loadu_pd(thr.as_ptr()),
            ))
        }
    }

    /// [`super::box_touch_whole`] with AVX-512F: the operations of
    /// [`super::box_bounds_lanes`] (`−(l − p)` is `p − l` exactly).
    ///
    /// Only called from functions compiled with AVX-512F, into which it is inlined.
    #[inline(always)]
    pub(super) unsafe fn box_touch_whole_avx512(
        block: &[f64],
        lo: &[f64],
        hi: &[f64],
        r: &[f64],
        inclusive: bool,
    ) -> (u32, u32) {
        let d = lo.len();
        assert!(block.len() >= d * LANES && hi.len() >= d && r.len() >= LANES);
        // SAFETY: lengths asserted above; AVX-512F is enabled in every caller.
        unsafe {
            let mut near = _mm512_setzero_pd();
            let mut far = _mm512_setzero_pd();
            for c in 0..d {
                let col = _mm512_loadu_pd(block.as_ptr().add(c * LANES));
                let (l, h) = (_mm512_set1_pd(lo[c]), _mm512_set1_pd(hi[c]));
                let a = _mm512_sub_pd(l, col);
                let b = _mm512_sub_pd(col, h);
                near = _mm512_max_pd(near, _mm512_max_pd(a, b));
                let na = _mm512_sub_pd(col, l);
                let nb = _mm512_sub_pd(h, col);
                far = _mm512_max_pd(far, _mm512_max_pd(na, nb));
            }
            let rv = _mm512_loadu_pd(r.as_ptr());
            (
                u32::from(within_mask(near, rv, inclusive)),
                u32::from(within_mask(far, rv, inclusive)),
            )
        }
    }

    /// [`super::knn_scan`] with AVX-512F.
    ///
    /// Only called from functions compiled with AVX-512F and DQ, into which it is inlined.
    #[inline(always)]
    pub(super) unsafe fn knn_scan_avx512(
        blocks: &[f64],
        q: &[f64],
        first: usize,
        end: usize,
        skip: usize,
        best: &mut [f64],
    ) {
        let (d, k) = (q.len(), best.len());
        let nb = (end - first).div_ceil(LANES);
        assert!(blocks.len() >= nb * d * LANES);
        for b in 0..nb {
            let t = best[k - 1];
            // SAFETY: block b holds d columns (length asserted above).
            let (keep, acc) = unsafe {
                dist_block(
                    blocks[b * d * LANES..].as_ptr(),
                    q,
                    _mm512_set1_pd(t),
                    false,
                    LEAF_EVERY,
                )
            };
            let mut m = u32::from(keep) & super::run_mask(first, end, b, skip);
            if m != 0 {
                let mut a = [0.0; LANES];
                // SAFETY: `a` holds LANES values.
                unsafe { _mm512_storeu_pd(a.as_mut_ptr(), acc) };
                while m != 0 {
                    push_smallest(best, a[m.trailing_zeros() as usize]);
                    m &= m - 1;
                }
            }
        }
    }

    /// [`super::count_scan`] with AVX-512F.
    ///
    /// Only called from functions compiled with AVX-512F and DQ, into which it is inlined.
    #[inline(always)]
    pub(super) unsafe fn count_scan_avx512(
        blocks: &[f64],
        q: &[f64],
        first: usize,
        end: usize,
        skip: usize,
        r: f64,
        inclusive: bool,
    ) -> usize {
        let d = q.len();
        let nb = (end - first).div_ceil(LANES);
        assert!(blocks.len() >= nb * d * LANES);
        // SAFETY: AVX-512F is enabled in every caller.
        let sv = unsafe { _mm512_set1_pd(r) };
        // Every block but the last is full.
        let last = super::valid_lanes(end - first, nb - 1);
        let mut total = 0;
        for b in 0..nb {
            // SAFETY: block b holds d columns (length asserted above).
            let (keep, _) = unsafe {
                dist_block(
                    blocks[b * d * LANES..].as_ptr(),
                    q,
                    sv,
                    inclusive,
                    LEAF_EVERY,
                )
            };
            let lanes = if b + 1 == nb { last } else { u32::MAX };
            total += (u32::from(keep) & lanes).count_ones();
        }
        total as usize - super::self_counted(first, end, skip, r, inclusive)
    }
}

/// Bit mask of the lanes of `acc` that are `< r` (`inclusive == false`) or `≤ r`.
#[inline(always)]
pub(super) fn lanes_within(acc: &[f64; LANES], r: f64, inclusive: bool) -> u32 {
    let mut m = 0u32;
    for (l, &a) in acc.iter().enumerate() {
        let inside = if inclusive { a <= r } else { a < r };
        m |= u32::from(inside) << l;
    }
    m
}

/// For each of the [`LANES`] points of `block` (column-major), lower and upper bounds of the
/// max-norm distance from that point to any point of the box `[lo, hi]`: every computed
/// distance to a point inside lies between them (rounding is monotone).
#[inline(always)]
pub(super) fn box_bounds_lanes(
    block: &[f64],
    lo: &[f64],
    hi: &[f64],
) -> ([f64; LANES], [f64; LANES]) {
    let d = lo.len();
    let (block, hi) = (&block[..d * LANES], &hi[..d]);
    let mut near = [0.0f64; LANES];
    let mut far = [0.0f64; LANES];
    for c in 0..d {
        let col: &[f64; LANES] = block[c * LANES..(c + 1) * LANES]
            .try_into()
            .expect("block column");
        let (l, h) = (lo[c], hi[c]);
        for i in 0..LANES {
            let (a, b) = (l - col[i], col[i] - h);
            near[i] = max2(near[i], max2(a, b));
            far[i] = max2(far[i], max2(-a, -b));
        }
    }
    (near, far)
}

/// Lower bounds only (see [`box_bounds_lanes`]).
#[inline(always)]
pub(super) fn box_near_lanes(block: &[f64], lo: &[f64], hi: &[f64]) -> [f64; LANES] {
    let d = lo.len();
    let (block, hi) = (&block[..d * LANES], &hi[..d]);
    let mut near = [0.0f64; LANES];
    for c in 0..d {
        let col: &[f64; LANES] = block[c * LANES..(c + 1) * LANES]
            .try_into()
            .expect("block column");
        let (l, h) = (lo[c], hi[c]);
        for i in 0..LANES {
            near[i] = max2(near[i], max2(l - col[i], col[i] - h));
        }
    }
    near
}

/// Bit mask of the lanes l of `block` whose lower bound ([`box_near_lanes`]) is below
/// `thr[l]`: the points that may have a point of the box nearer than `thr[l]`.
#[inline(always)]
pub(super) fn box_near_below(block: &[f64], lo: &[f64], hi: &[f64], thr: &[f64]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has AVX-512F (checked at run time; inlined into the AVX-512 build of
        // the caller, see `with_simd`).
        return unsafe { x86::box_near_below_avx512(block, lo, hi, thr) };
    }
    lanes_below(&box_near_lanes(block, lo, hi), thr, false)
}

/// For the lanes l of `block`: the box `[lo, hi]` partly or wholly within `r[l]` (`touch`,
/// by the lower bound of [`box_bounds_lanes`]) and wholly within (`whole`, by the upper bound),
/// `<` or `≤` when `inclusive`.
#[inline(always)]
pub(super) fn box_touch_whole(
    block: &[f64],
    lo: &[f64],
    hi: &[f64],
    r: &[f64],
    inclusive: bool,
) -> (u32, u32) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: as in `box_near_below`.
        return unsafe { x86::box_touch_whole_avx512(block, lo, hi, r, inclusive) };
    }
    let (near, far) = box_bounds_lanes(block, lo, hi);
    (
        lanes_below(&near, r, inclusive),
        lanes_below(&far, r, inclusive),
    )
}

/// Bit mask of the lanes with `a[l] < b[l]` (`inclusive == false`) or `a[l] ≤ b[l]`.
#[inline(always)]
pub(super) fn lanes_below(a: &[f64; LANES], b: &[f64], inclusive: bool) -> u32 {
    let b = &b[..LANES];
    let mut m = 0u32;
    for l in 0..LANES {
        let inside = if inclusive { a[l] <= b[l] } else { a[l] < b[l] };
        m |= u32::from(inside) << l;
    }
    m
}

/// Lower bound of the max-norm distance between any point of the box `[alo, ahi]` and any
/// point of the box `[blo, bhi]` (valid for computed distances: rounding is monotone).
#[inline(always)]
pub(super) fn box_gap(alo: &[f64], ahi: &[f64], blo: &[f64], bhi: &[f64]) -> f64 {
    let d = alo.len();
    let (ahi, blo, bhi) = (&ahi[..d], &blo[..d], &bhi[..d]);
    let mut near = [0.0f64; LANES];
    let mut c = 0;
    while c + LANES <= d {
        for l in 0..LANES {
            near[l] = max2(
                near[l],
                max2(blo[c + l] - ahi[c + l], alo[c + l] - bhi[c + l]),
            );
        }
        c += LANES;
    }
    let mut n1 = 0.0f64;
    while c < d {
        n1 = max2(n1, max2(blo[c] - ahi[c], alo[c] - bhi[c]));
        c += 1;
    }
    max2(lane_max(&near), n1)
}

#[inline(always)]
fn lane_max(a: &[f64; LANES]) -> f64 {
    let b = [
        max2(a[0], a[4]),
        max2(a[1], a[5]),
        max2(a[2], a[6]),
        max2(a[3], a[7]),
    ];
    max2(max2(b[0], b[2]), max2(b[1], b[3]))
}

/// True when the AVX-512 kernels are in use.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn avx512() -> bool {
    crate::cpu::level() == crate::cpu::Level::Avx512
}

pub(super) use crate::cpu::with_simd;
