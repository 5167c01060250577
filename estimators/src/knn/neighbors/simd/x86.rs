//! The AVX-512 kernels: the same comparisons as the portable code, eight lanes per register.
//! Each is `#[inline(always)]` and only called from functions compiled with AVX-512F (and DQ
//! where noted), into which it is inlined (see [`super::with_simd`]).

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
/// rejected against `sv`, tested every `every` coordinates): the lanes `keep`-compared with
/// `sv`, and the distances.
///
/// Only called from functions compiled with AVX-512F, into which it is inlined.
#[inline(always)]
pub(in crate::knn::neighbors) unsafe fn dist_block(
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
            let later = super::scan::later_lanes(n, ib, li, jb) as u8;
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
            let later = super::scan::later_lanes(n, ib, li, jb) as u8;
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
            let later = super::scan::later_lanes(n, ib, li, jb) as u8;
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

/// [`super::boxes::box_near_below`] with AVX-512F: the same operations as
/// [`super::boxes::box_near_lanes`]
/// (`_mm512_max_pd(a, b)` is `if a > b { a } else { b }`, like `max2`).
///
/// Only called from functions compiled with AVX-512F, into which it is inlined.
#[inline(always)]
pub(in crate::knn::neighbors) unsafe fn box_near_below_avx512(
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

/// [`super::boxes::box_touch_whole`] with AVX-512F: the operations of
/// [`super::boxes::box_bounds_lanes`] (`−(l − p)` is `p − l` exactly).
///
/// Only called from functions compiled with AVX-512F, into which it is inlined.
#[inline(always)]
pub(in crate::knn::neighbors) unsafe fn box_touch_whole_avx512(
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

/// [`super::scan::knn_scan`] with AVX-512F.
///
/// Only called from functions compiled with AVX-512F and DQ, into which it is inlined.
#[inline(always)]
pub(in crate::knn::neighbors) unsafe fn knn_scan_avx512(
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
        let mut m = u32::from(keep) & super::scan::run_mask(first, end, b, skip);
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

/// [`super::scan::count_scan`] with AVX-512F.
///
/// Only called from functions compiled with AVX-512F and DQ, into which it is inlined.
#[inline(always)]
pub(in crate::knn::neighbors) unsafe fn count_scan_avx512(
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
    let last = super::scan::valid_lanes(end - first, nb - 1);
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
    total as usize - super::scan::self_counted(first, end, skip, r, inclusive)
}
