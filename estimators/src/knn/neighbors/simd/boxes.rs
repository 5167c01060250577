//! Lane masks and bounds of max-norm distances between the points of a block and an
//! axis-aligned box (the pruning tests of the max-norm tree), and between two boxes.

#[cfg(target_arch = "x86_64")]
use super::avx512;
use super::{max2, LANES};

/// Bit mask of the lanes of `acc` that are `< r` (`inclusive == false`) or `≤ r`.
#[inline(always)]
pub(in crate::knn::neighbors) fn lanes_within(acc: &[f64; LANES], r: f64, inclusive: bool) -> u32 {
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
pub(in crate::knn::neighbors) fn box_bounds_lanes(
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
pub(in crate::knn::neighbors) fn box_near_lanes(
    block: &[f64],
    lo: &[f64],
    hi: &[f64],
) -> [f64; LANES] {
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
pub(in crate::knn::neighbors) fn box_near_below(
    block: &[f64],
    lo: &[f64],
    hi: &[f64],
    thr: &[f64],
) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU has AVX-512F (checked at run time; inlined into the AVX-512 build of
        // the caller, see `with_simd`).
        return unsafe { super::x86::box_near_below_avx512(block, lo, hi, thr) };
    }
    lanes_below(&box_near_lanes(block, lo, hi), thr, false)
}

/// For the lanes l of `block`: the box `[lo, hi]` partly or wholly within `r[l]` (`touch`,
/// by the lower bound of [`box_bounds_lanes`]) and wholly within (`whole`, by the upper bound),
/// `<` or `≤` when `inclusive`.
#[inline(always)]
pub(in crate::knn::neighbors) fn box_touch_whole(
    block: &[f64],
    lo: &[f64],
    hi: &[f64],
    r: &[f64],
    inclusive: bool,
) -> (u32, u32) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: as in `box_near_below`.
        return unsafe { super::x86::box_touch_whole_avx512(block, lo, hi, r, inclusive) };
    }
    let (near, far) = box_bounds_lanes(block, lo, hi);
    (
        lanes_below(&near, r, inclusive),
        lanes_below(&far, r, inclusive),
    )
}

/// Bit mask of the lanes with `a[l] < b[l]` (`inclusive == false`) or `a[l] ≤ b[l]`.
#[inline(always)]
pub(in crate::knn::neighbors) fn lanes_below(a: &[f64; LANES], b: &[f64], inclusive: bool) -> u32 {
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
pub(in crate::knn::neighbors) fn box_gap(
    alo: &[f64],
    ahi: &[f64],
    blo: &[f64],
    bhi: &[f64],
) -> f64 {
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
