//! The spread of each label class in an embedding: how far a class's rows lie from their centre,
//! beside how far that centre lies from the nearest other class's centre.
//!
//! With labels y_i, class c of n_c rows and centre μ_c = (1/n_c) Σ_{i ∈ c} z_i:
//!
//! ```text
//! radius_c  = √( (1/n_c) Σ_{i ∈ c} ‖z_i − μ_c‖² )      RMS distance to the class centre
//! nearest_c = min_{c′ ≠ c} ‖μ_c − μ_c′‖                 distance to the nearest other centre
//! ```
//!
//! Both are in the embedding's units. A class whose radius is small beside `nearest_c` stands
//! apart from its neighbours; the within-class variability collapse of neural collapse (Papyan,
//! Han & Donoho, PNAS 2020, whose NC1 is [`super::nc1`]) drives every radius to 0 while the
//! centres stay apart, and a collapsed embedding brings the centres together. The ratio
//! radius/nearest is the per-class form of the class-distance ratio of Kornblith et al.
//! ("Why do better loss functions lead to less transferable features?", NeurIPS 2021).

use ndarray::{Array2, ArrayView2, Zip};
use rayon::prelude::*;

use super::nc1::labelled_rows;
use crate::error::EstimatorError;
use crate::normalize::{exponent_for, max_abs, pow2};

/// One class of [`class_spread`], in the units of the embedding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassSpread {
    /// The class's label.
    pub label: i64,
    /// Rows with this label.
    pub count: usize,
    /// RMS distance of the class's rows to their centre (0 for a class of one row).
    pub radius: f64,
    /// Distance from the class's centre to the nearest other class's centre; None when there
    /// is no other class.
    pub nearest: Option<f64>,
}

/// The spread of every class of `labels` (one per row of `z`, N×d), in ascending label order,
/// as the module documentation defines it.
///
/// Sums run over the rows in order, so the result does not depend on the number of threads.
/// Entries outside [2⁻²⁵⁵, 2²⁵⁵] are scaled by a power of two before squaring and the distances
/// scaled back (exactly), so neither overflow nor underflow.
///
/// Errors: `labels.len() ≠ N` ([`EstimatorError::ShapeMismatch`]); an empty or non-finite `z`.
///
/// ```
/// use ndarray::array;
/// // Two classes on a line: {-2, 0} (centre -1, radius 1) and {4} (centre 4, radius 0).
/// let z = array![[-2.0], [0.0], [4.0]];
/// let s = ib_estimators::panel::classes::class_spread(z.view(), &[7, 7, 9]).unwrap();
/// assert_eq!((s[0].label, s[0].count, s[0].radius, s[0].nearest), (7, 2, 1.0, Some(5.0)));
/// assert_eq!((s[1].label, s[1].count, s[1].radius, s[1].nearest), (9, 1, 0.0, Some(5.0)));
/// ```
pub fn class_spread(
    z: ArrayView2<f64>,
    labels: &[i64],
) -> Result<Vec<ClassSpread>, EstimatorError> {
    let d = z.ncols();
    let (labels_sorted, class) = labelled_rows(z, labels)?;
    let c = labels_sorted.len();

    let e = exponent_for(max_abs(z.iter()));
    let (up, down) = (pow2(e), pow2(-e));

    // Centres, in the scaled units.
    let mut means = Array2::<f64>::zeros((c, d));
    let mut counts = vec![0usize; c];
    for (row, &k) in z.outer_iter().zip(&class) {
        Zip::from(means.row_mut(k))
            .and(row)
            .for_each(|m, &v| *m += v * up);
        counts[k] += 1;
    }
    for (mut m, &cnt) in means.outer_iter_mut().zip(&counts) {
        m /= cnt as f64;
    }

    // Squared distances to the centre, summed per class in row order.
    let mut within = vec![0.0f64; c];
    for (row, &k) in z.outer_iter().zip(&class) {
        let mu = means.row(k);
        within[k] += row
            .iter()
            .zip(mu.iter())
            .map(|(&v, &m)| {
                let r = v * up - m;
                r * r
            })
            .sum::<f64>();
    }

    let nearest: Vec<Option<f64>> = nearest_squared(&means)
        .into_iter()
        .map(|s| s.map(|s| s.sqrt() * down))
        .collect();

    Ok(labels_sorted
        .iter()
        .enumerate()
        .map(|(k, &label)| ClassSpread {
            label,
            count: counts[k],
            radius: (within[k] / counts[k] as f64).sqrt() * down,
            nearest: nearest[k],
        })
        .collect())
}

/// Centres whose distances to every centre are summed in one pass over the coordinates.
const CENTRE_BLOCK: usize = 8;

/// min over b ≠ a of ‖μ_a − μ_b‖² for every row a of `means` (C×d); None for a single row.
/// Each pair's squared differences are summed over the coordinates in order, so a value does
/// not depend on the blocking or the thread count; blocks of [`CENTRE_BLOCK`] centres run in
/// parallel, each walking the transposed centres once, coordinate by coordinate, with the C
/// sums of each of its centres side by side (a loop the compiler vectorises) and O(C) memory.
fn nearest_squared(means: &Array2<f64>) -> Vec<Option<f64>> {
    let c = means.nrows();
    let columns = means.t().as_standard_layout().into_owned();
    let blocks: Vec<Vec<Option<f64>>> = (0..c.div_ceil(CENTRE_BLOCK))
        .into_par_iter()
        .map(|block| {
            let first = block * CENTRE_BLOCK;
            let rows = first..(first + CENTRE_BLOCK).min(c);
            let mut acc = vec![vec![0.0f64; c]; rows.len()];
            for (j, column) in columns.outer_iter().enumerate() {
                for (sums, a) in acc.iter_mut().zip(rows.clone()) {
                    let x = means[[a, j]];
                    for (s, &y) in sums.iter_mut().zip(column.iter()) {
                        let t = x - y;
                        *s += t * t;
                    }
                }
            }
            acc.iter()
                .zip(rows)
                .map(|(sums, a)| {
                    sums.iter()
                        .enumerate()
                        .filter(|&(b, _)| b != a)
                        .map(|(_, &s)| s)
                        .min_by(f64::total_cmp)
                })
                .collect()
        })
        .collect();
    blocks.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn radii_and_centre_distances_of_a_hand_computed_layout() {
        // Class 0: (0,0),(2,0) → centre (1,0), radius 1. Class 1: (1,3),(1,5),(1,4) → centre
        // (1,4), radius √(2/3). Class 2: (5,0) → radius 0. Centre distances: 0–1 = 4,
        // 0–2 = 4, 1–2 = √(16+16) = √32.
        let z = array![
            [0.0, 0.0],
            [1.0, 3.0],
            [2.0, 0.0],
            [1.0, 5.0],
            [5.0, 0.0],
            [1.0, 4.0]
        ];
        let s = class_spread(z.view(), &[0, 1, 0, 1, 2, 1]).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].count, s[1].count, s[2].count), (2, 3, 1));
        assert!((s[0].radius - 1.0).abs() < 1e-15);
        assert!((s[1].radius - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s[2].radius, 0.0);
        assert!((s[0].nearest.unwrap() - 4.0).abs() < 1e-15);
        assert!((s[1].nearest.unwrap() - 4.0).abs() < 1e-15);
        assert!((s[2].nearest.unwrap() - 4.0).abs() < 1e-15);
    }

    #[test]
    fn nearest_centres_are_the_plain_sums_bit_for_bit() {
        // Sizes around the block of 8 centres, values of mixed sign and magnitude.
        for c in [1, 2, 7, 8, 9, 17] {
            let means = Array2::from_shape_fn((c, 13), |(i, j)| {
                ((i * 31 + j * 17) % 23) as f64 * 0.37 - 4.1 + (i as f64).sqrt() * 1e-3
            });
            let got = nearest_squared(&means);
            assert_eq!(got.len(), c);
            for (a, got) in got.iter().enumerate() {
                // The definition: each pair's plain sum, the smallest over the other centres.
                let want = (0..c)
                    .filter(|&b| b != a)
                    .map(|b| {
                        means
                            .row(a)
                            .iter()
                            .zip(means.row(b).iter())
                            .map(|(&x, &y)| (x - y) * (x - y))
                            .sum::<f64>()
                    })
                    .min_by(f64::total_cmp);
                assert_eq!(
                    got.map(f64::to_bits),
                    want.map(f64::to_bits),
                    "c {c}, row {a}"
                );
            }
        }
    }

    #[test]
    fn one_class_has_no_nearest_class() {
        let z = array![[0.0, 1.0], [0.0, 3.0]];
        let s = class_spread(z.view(), &[4, 4]).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].nearest, None);
        assert!((s[0].radius - 1.0).abs() < 1e-15);
    }

    #[test]
    fn extreme_magnitudes_neither_overflow_nor_underflow() {
        for scale in [1e300, 1e-300] {
            let z = array![[-2.0 * scale], [0.0], [4.0 * scale]];
            let s = class_spread(z.view(), &[0, 0, 1]).unwrap();
            assert!((s[0].radius / scale - 1.0).abs() < 1e-12, "{scale}");
            assert!(
                (s[0].nearest.unwrap() / scale - 5.0).abs() < 1e-12,
                "{scale}"
            );
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let z = array![[0.0], [1.0]];
        assert!(matches!(
            class_spread(z.view(), &[0]),
            Err(EstimatorError::ShapeMismatch { .. })
        ));
        let nan = array![[f64::NAN], [1.0]];
        assert!(class_spread(nan.view(), &[0, 1]).is_err());
    }
}
