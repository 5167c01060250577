//! Max-norm distance kernels over blocks of [`LANES`] points stored column-major ("SoA"),
//! compiled for AVX-512, AVX2 or plain x86-64/other targets and chosen at run time.
//!
//! Exactness: every lane computes `max_c |q_c − p_c|` with one subtraction, one absolute value
//! and a running maximum per coordinate. Subtraction is correctly rounded and
//! `fl(q − p) = −fl(p − q)`, and the maximum of non-NaN values does not depend on the order in
//! which it is taken, so a lane holds exactly the distance [`super::dist_max`] returns, whatever
//! the instruction set.

mod boxes;
mod pack;
mod scan;
#[cfg(target_arch = "x86_64")]
pub(super) mod x86;

use super::push_smallest;

pub(super) use boxes::{box_gap, box_near_below, box_touch_whole, lanes_below, lanes_within};
pub(super) use pack::{pack_blocks, pack_into, packed_len};
pub(super) use scan::{block_dist_lanes, count_scan, knn_scan, later_lanes};

/// Points per block (one AVX-512 register of f64, two AVX2 registers).
pub(super) const LANES: usize = 8;

/// The larger of two non-NaN values (`a > b ? a : b`, what `_mm512_max_pd` computes).
#[inline(always)]
fn max2(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// True when the AVX-512 kernels are in use.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn avx512() -> bool {
    crate::cpu::level() == crate::cpu::Level::Avx512
}

pub(super) use crate::cpu::with_simd;
