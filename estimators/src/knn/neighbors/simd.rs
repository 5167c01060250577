//! Max-norm distance kernels over blocks of [`LANES`] points stored column-major ("SoA"),
//! compiled for AVX-512, AVX2 or plain x86-64/other targets and chosen at run time.
//!
//! Exactness: every lane computes `max_c |q_c − p_c|` with one subtraction, one absolute value
//! and a running maximum per coordinate. Subtraction is correctly rounded and
//! `fl(q − p) = −fl(p − q)`, and the maximum of non-NaN values does not depend on the order in
//! which it is taken, so a lane holds exactly the distance [`super::dist_max`] returns, whatever
//! the instruction set.

/// Points per block (one AVX-512 register of f64, two AVX2 registers).
pub(super) const LANES: usize = 8;

/// Points transposed in blocks of [`LANES`]: coordinate c of lane l of block b is at
/// `data[(b·d + c)·LANES + l]`. Lanes past the end of a group repeat its last point (callers
/// mask them out by count).
pub(super) fn pack_blocks(rows: &[f64], d: usize, out: &mut Vec<f64>) {
    let m = rows.len() / d;
    let nb = m.div_ceil(LANES);
    let base = out.len();
    out.resize(base + nb * d * LANES, 0.0);
    let blocks = &mut out[base..];
    for b in 0..nb {
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

#[inline(always)]
fn min2(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn lane_min(acc: &[f64; LANES]) -> f64 {
    let a = [
        min2(acc[0], acc[4]),
        min2(acc[1], acc[5]),
        min2(acc[2], acc[6]),
        min2(acc[3], acc[7]),
    ];
    min2(min2(a[0], a[2]), min2(a[1], a[3]))
}

/// The max-norm distances from `q` to the [`LANES`] points of `block`, or `None` once every lane
/// is known to be rejected: `≥ stop` (`inclusive == false`) or `> stop` (`inclusive == true`).
/// A lane of a returned block may be rejected too; the caller compares each lane.
#[inline(always)]
pub(super) fn block_dist(
    block: &[f64],
    q: &[f64],
    stop: f64,
    inclusive: bool,
) -> Option<[f64; LANES]> {
    let d = q.len();
    let block = &block[..d * LANES];
    let mut acc = [0.0f64; LANES];
    let mut c = 0;
    while c < d {
        let end = (c + 4).min(d);
        while c < end {
            let qc = q[c];
            let col: &[f64; LANES] = block[c * LANES..(c + 1) * LANES]
                .try_into()
                .expect("block column");
            for l in 0..LANES {
                acc[l] = max2(acc[l], (col[l] - qc).abs());
            }
            c += 1;
        }
        if c < d {
            let lo = lane_min(&acc);
            if (!inclusive && lo >= stop) || (inclusive && lo > stop) {
                return None;
            }
        }
    }
    Some(acc)
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

/// Lower and upper bounds of the max-norm distance from `q` to any point of the box
/// `[lo, hi]`: every computed distance to a point inside lies between them (rounding is
/// monotone).
#[inline(always)]
pub(super) fn box_bounds(q: &[f64], lo: &[f64], hi: &[f64]) -> (f64, f64) {
    let d = q.len();
    let (lo, hi) = (&lo[..d], &hi[..d]);
    let mut near = [0.0f64; 4];
    let mut far = [0.0f64; 4];
    let mut c = 0;
    while c + 4 <= d {
        for l in 0..4 {
            let (a, b) = (lo[c + l] - q[c + l], q[c + l] - hi[c + l]);
            near[l] = max2(near[l], max2(a, b));
            far[l] = max2(far[l], max2(-a, -b));
        }
        c += 4;
    }
    while c < d {
        let (a, b) = (lo[c] - q[c], q[c] - hi[c]);
        near[0] = max2(near[0], max2(a, b));
        far[0] = max2(far[0], max2(-a, -b));
        c += 1;
    }
    (
        max2(max2(near[0], near[1]), max2(near[2], near[3])),
        max2(max2(far[0], far[1]), max2(far[2], far[3])),
    )
}

/// Lower bound only (see [`box_bounds`]).
#[inline(always)]
pub(super) fn box_near(q: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let d = q.len();
    let (lo, hi) = (&lo[..d], &hi[..d]);
    let mut near = [0.0f64; 4];
    let mut c = 0;
    while c + 4 <= d {
        for l in 0..4 {
            near[l] = max2(near[l], max2(lo[c + l] - q[c + l], q[c + l] - hi[c + l]));
        }
        c += 4;
    }
    while c < d {
        near[0] = max2(near[0], max2(lo[c] - q[c], q[c] - hi[c]));
        c += 1;
    }
    max2(max2(near[0], near[1]), max2(near[2], near[3]))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

fn level() -> Level {
    use std::sync::OnceLock;
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::env::var_os("IB_ESTIMATORS_NO_SIMD").is_some() {
                return Level::Scalar;
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Level::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Level::Avx2;
            }
        }
        Level::Scalar
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` compiled for the best instruction set of this CPU (`f` and the `#[inline(always)]`
/// kernels it calls are inlined into a function with those target features). Results do not
/// depend on the choice (see the module notes). `IB_ESTIMATORS_NO_SIMD` forces the baseline.
#[inline(always)]
pub(super) fn with_simd<R>(f: impl FnOnce() -> R) -> R {
    match level() {
        // SAFETY: the CPU supports the features (checked at run time by `level`).
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { run_avx512(f) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { run_avx2(f) },
        Level::Scalar => f(),
    }
}
