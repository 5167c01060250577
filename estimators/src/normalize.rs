//! Row normalisation: rows scaled to unit l2 norm, the unit sphere on which self-supervised
//! embeddings are compared (cosine similarity), and power-of-two scaling for sums of squares that
//! would overflow or underflow.
//!
//! # Conventions (ARCHITECTURE.md §4)
//!
//! * A **zero row** (every entry 0, "zero-norm row") has no direction: it stays 0 and callers
//!   count it (the `zero_norm_rows` of a tensor record, the warning of the `l2` space).
//! * **Every other row is scaled to unit norm, whatever its scale.** The norm is computed as
//!   `sqrt(Σ x²)` when that sum is finite and at least 1e-24 (the value PyTorch's `F.normalize`
//!   and lightly use, bit for bit); otherwise — entries above ≈ 1e154 overflow the squares,
//!   entries below ≈ 1e-154 underflow them, and `F.normalize`'s `max(‖x‖, 1e-12)` would leave a
//!   row of norm below 1e-12 short of the sphere — as `hypot` does: `m = max|x_i|`, then
//!   `x_i / m / sqrt(Σ (x_i/m)²)`. A collapsed embedding of rows 1e200 or 1e-300 is then on the
//!   sphere like one of rows 1, instead of becoming 0 (overflow) or staying near 0 (the floor).

use ndarray::{Array2, ArrayView1};

use crate::std_metrics::L2_NORMALIZE_EPS;

/// Smallest plain sum of squares used as it is: the square of `F.normalize`'s floor 1e-12.
/// Below it (or when it is not finite) the norm is recomputed scaled ([`UnitScale::of`]).
pub const PLAIN_MIN_SUM_SQ: f64 = L2_NORMALIZE_EPS * L2_NORMALIZE_EPS;

/// How one row is brought to unit l2 norm (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnitScale {
    /// Every entry is 0: the row has no direction and stays as it is.
    Zero,
    /// Divide by the norm `sqrt(Σ x²)` (finite, ≥ 1e-12).
    Plain(f64),
    /// Divide by `max`, the largest |x_i|, then by `rel_norm = sqrt(Σ (x_i/max)²)` ∈ [1, √d].
    Scaled {
        /// max |x_i| (> 0).
        max: f64,
        /// The norm of the row divided by `max`.
        rel_norm: f64,
    },
}

impl UnitScale {
    /// The scale of the finite row `x`, given `plain_sum_sq` = Σ x² as the caller summed it (so
    /// that the plain path keeps the caller's bits).
    pub fn of<'a, I>(x: I, plain_sum_sq: f64) -> UnitScale
    where
        I: IntoIterator<Item = &'a f64> + Clone,
    {
        if plain_sum_sq.is_finite() && plain_sum_sq >= PLAIN_MIN_SUM_SQ {
            return UnitScale::Plain(plain_sum_sq.sqrt());
        }
        let max = x.clone().into_iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if max == 0.0 {
            return UnitScale::Zero;
        }
        let rel: f64 = x
            .into_iter()
            .map(|v| {
                let t = v / max;
                t * t
            })
            .sum();
        UnitScale::Scaled {
            max,
            rel_norm: rel.sqrt(),
        }
    }

    /// The scale of the row `x`, Σ x² summed in column order.
    pub fn of_row(x: ArrayView1<f64>) -> UnitScale {
        let plain = x.iter().map(|v| v * v).sum::<f64>();
        UnitScale::of(x.iter(), plain)
    }

    /// True for a zero row.
    pub fn is_zero(self) -> bool {
        self == UnitScale::Zero
    }

    /// One entry of the row divided by the row's norm (a zero row's entries unchanged).
    #[inline]
    pub fn apply(self, v: f64) -> f64 {
        match self {
            UnitScale::Zero => v,
            UnitScale::Plain(norm) => v / norm,
            UnitScale::Scaled { max, rel_norm } => v / max / rel_norm,
        }
    }
}

/// Scales every row of `x` to unit l2 norm in place (see the module documentation for the
/// conventions) and returns the number of zero rows (those stay zero, off the unit sphere).
///
/// The norm is summed over the columns in order, so the result is reproducible bit for bit.
///
/// ```
/// use ndarray::array;
/// let mut x = array![[3.0, 4.0], [0.0, 0.0], [3e200, 4e200], [3e-300, 4e-300]];
/// let zero = ib_estimators::normalize::l2_normalize_rows(&mut x);
/// assert_eq!(x, array![[0.6, 0.8], [0.0, 0.0], [0.6, 0.8], [0.6, 0.8]]);
/// assert_eq!(zero, 1);
/// ```
pub fn l2_normalize_rows(x: &mut Array2<f64>) -> usize {
    let mut zero = 0;
    for mut r in x.rows_mut() {
        let scale = UnitScale::of_row(r.view());
        if scale.is_zero() {
            zero += 1;
        }
        r.mapv_inplace(|v| scale.apply(v));
    }
    zero
}

/// Power-of-two scaling that keeps sums of squares and products of an array's entries in range.
///
/// `exponent_for(max)` is 0 (no scaling: the computation keeps its bits) when the largest |entry|
/// `max` is 0 or within [2⁻²⁵⁵, 2²⁵⁵] (≈ [1.7e-77, 5.8e76]), where squares summed over up to
/// 2⁵⁰ terms neither overflow nor lose precision to underflow; otherwise `e` such that
/// `max·2^e` is in [1, 2). Multiplying by 2^e is exact (no rounding) for normal numbers, so
/// results computed on scaled data are those of the data, rescaled.
pub fn exponent_for(max: f64) -> i32 {
    const SAFE: f64 = 5.789_604_461_865_81e76; // 2^255
    if max == 0.0 || !max.is_finite() || (1.0 / SAFE..=SAFE).contains(&max) {
        return 0;
    }
    // max·2^e in [1, 2); clamped so that 2^e is a normal number.
    (-(max.log2().floor() as i32)).clamp(-1000, 1000)
}

/// 2^e for |e| ≤ 1000 (exact).
pub fn pow2(e: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// The largest |value| of `x` (0 for an empty iterator).
pub fn max_abs<'a>(x: impl IntoIterator<Item = &'a f64>) -> f64 {
    x.into_iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn ordinary_rows_keep_their_bits() {
        let rows = [[0.3, -1.7, 2.9], [1e-6, 2e-6, 0.0], [1e-12, 0.0, 0.0]];
        for r in rows {
            let x = ndarray::arr1(&r);
            let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
            let s = UnitScale::of_row(x.view());
            for &v in &r {
                assert_eq!(s.apply(v).to_bits(), (v / norm).to_bits());
            }
        }
    }

    #[test]
    fn rows_of_any_scale_reach_the_sphere() {
        for scale in [
            1e-320, 1e-300, 1e-150, 1e-13, 1.0, 1e150, 1e200, 1e300, 1.7e308,
        ] {
            let mut x: Array2<f64> = array![[3.0 * scale, -4.0 * scale]];
            if !x.iter().all(|v| v.is_finite()) {
                continue;
            }
            let zero = l2_normalize_rows(&mut x);
            assert_eq!(zero, 0);
            let n = x.row(0).dot(&x.row(0));
            assert!((n - 1.0).abs() < 1e-2, "scale {scale}: {x}");
            if scale >= 1e-300 {
                assert!((x[[0, 0]] - 0.6).abs() < 1e-15 && (x[[0, 1]] + 0.8).abs() < 1e-15);
            }
        }
        // Entries near the largest f64: the norm itself overflows, the direction does not.
        let mut x = array![[f64::MAX, f64::MAX]];
        l2_normalize_rows(&mut x);
        assert!((x[[0, 0]] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
    }

    #[test]
    fn zero_rows_are_counted_and_stay_zero() {
        let mut x = array![[0.0, -0.0], [1.0, 0.0], [0.0, 0.0]];
        assert_eq!(l2_normalize_rows(&mut x), 2);
        assert_eq!(x, array![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]);
        assert!(UnitScale::of_row(x.row(0)).is_zero());
    }

    #[test]
    fn exponents() {
        assert_eq!(exponent_for(0.0), 0);
        assert_eq!(exponent_for(1.0), 0);
        assert_eq!(exponent_for(1e76), 0);
        assert_eq!(exponent_for(1e-76), 0);
        for m in [1e200, 1e300, f64::MAX, 1e-200, 1e-300, 5e-324] {
            let e = exponent_for(m);
            assert_ne!(e, 0);
            let s = m * pow2(e);
            // In [1, 2), except where the clamp of e at ±1000 applies.
            assert!((1.0..2.0).contains(&s) || e.abs() == 1000, "{m}: {s}");
            assert!((2f64.powi(-80)..2f64.powi(30)).contains(&s), "{m}: {s}");
        }
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(-3), 0.125);
        assert_eq!(pow2(1000), 2f64.powi(1000));
    }
}
