//! Equal-width binning per column and sparse counts of joint bins.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};

use crate::error::{check_matrix, EstimatorError};

/// The range each column is binned over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinRange {
    /// Each column's own [min, max]; a constant column falls in bin 0.
    Data,
    /// One fixed [lo, hi] for every column; values outside are clamped to the first/last bin.
    Fixed {
        /// Lower edge.
        lo: f64,
        /// Upper edge (> lo).
        hi: f64,
    },
}

/// Equal-width binning: B bins per column over a [`BinRange`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Binning {
    bins: usize,
    range: BinRange,
}

impl Binning {
    /// `bins` bins per column over each column's data range.
    pub fn new(bins: usize) -> Result<Self, EstimatorError> {
        Self::check_bins(bins)?;
        Ok(Binning {
            bins,
            range: BinRange::Data,
        })
    }

    /// `bins` bins per column over the fixed range [lo, hi] (finite, lo < hi).
    pub fn fixed(bins: usize, lo: f64, hi: f64) -> Result<Self, EstimatorError> {
        Self::check_bins(bins)?;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(EstimatorError::InvalidParameter {
                name: "range",
                reason: format!("the bin range needs finite lo < hi, got [{lo}, {hi}]"),
            });
        }
        Ok(Binning {
            bins,
            range: BinRange::Fixed { lo, hi },
        })
    }

    fn check_bins(bins: usize) -> Result<(), EstimatorError> {
        if bins == 0 || bins > u32::MAX as usize {
            return Err(EstimatorError::InvalidParameter {
                name: "bins",
                reason: format!("the number of bins must be in 1..=2^32-1, got {bins}"),
            });
        }
        Ok(())
    }

    /// Bins per column.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// The range rule.
    pub fn range(&self) -> BinRange {
        self.range
    }

    /// (lo, hi) of every column of `x` under this binning.
    pub fn column_ranges(&self, x: ArrayView2<f64>) -> Vec<(f64, f64)> {
        match self.range {
            BinRange::Fixed { lo, hi } => vec![(lo, hi); x.ncols()],
            BinRange::Data => x
                .columns()
                .into_iter()
                .map(|c| {
                    c.iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                            (lo.min(v), hi.max(v))
                        })
                })
                .collect(),
        }
    }
}

/// Bin index of every entry of `x` (N×d):
///
/// ```text
/// b = min(floor(((x − lo) / (hi − lo)) · B), B − 1), clamped below at 0;  hi == lo ⇒ b = 0
/// ```
///
/// in exactly this operation order (the reference spec's; it differs from numpy's
/// linspace-edge rule for values exactly on an edge). A range hi − lo that overflows (entries
/// near ±1.8e308) is taken on halved values.
pub fn bin_indices(x: ArrayView2<f64>, binning: &Binning) -> Result<Array2<u32>, EstimatorError> {
    check_matrix(x)?;
    let ranges = binning.column_ranges(x);
    let b = binning.bins as f64;
    let last = (binning.bins - 1) as u32;
    Ok(Array2::from_shape_fn(x.dim(), |(i, c)| {
        let (lo, hi) = ranges[c];
        let width = hi - lo;
        if width <= 0.0 {
            return 0;
        }
        let t = if width.is_finite() {
            (x[[i, c]] - lo) / width
        } else {
            // A range wider than the largest f64 (entries near ±1.8e308): the same fraction
            // from halved values, which cannot overflow.
            (x[[i, c]] * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5)
        };
        let f = (t * b).floor();
        if f <= 0.0 {
            0
        } else if f >= last as f64 {
            last
        } else {
            f as u32
        }
    }))
}

/// Occupancy counts of the distinct rows of a label matrix, in lexicographic order of the rows
/// (the order of numpy's `np.unique(axis=0)`, so sums follow the reference's order).
pub(crate) fn sorted_row_counts<K: Ord + std::hash::Hash + Clone>(rows: Vec<Vec<K>>) -> Vec<usize> {
    let mut map: HashMap<Vec<K>, usize> = HashMap::with_capacity(rows.len());
    for r in rows {
        *map.entry(r).or_insert(0) += 1;
    }
    let mut entries: Vec<(Vec<K>, usize)> = map.into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bins_follow_the_spec_rule() {
        let x = array![[0.0, 5.0], [0.5, 5.0], [1.0, 5.0], [0.25, 5.0]];
        let b = bin_indices(x.view(), &Binning::new(4).unwrap()).unwrap();
        assert_eq!(b.column(0).to_vec(), vec![0, 2, 3, 1]);
        assert_eq!(b.column(1).to_vec(), vec![0, 0, 0, 0]);
    }

    #[test]
    fn value_on_an_edge_uses_the_operation_order() {
        // ties_rounded_pair: x = -0.3 on [-3.7, 3.1] with 8 bins is bin 4 (numpy's edges say 3).
        let x = array![[-3.7], [-0.3], [3.1]];
        let b = bin_indices(x.view(), &Binning::new(8).unwrap()).unwrap();
        assert_eq!(b[[1, 0]], 4);
    }

    #[test]
    fn fixed_range_clamps() {
        let x = array![[-2.0], [-1.0], [0.999], [1.0], [7.0]];
        let b = bin_indices(x.view(), &Binning::fixed(10, -1.0, 1.0).unwrap()).unwrap();
        assert_eq!(b.column(0).to_vec(), vec![0, 0, 9, 9, 9]);
        assert!(Binning::fixed(10, 1.0, 1.0).is_err());
        assert!(Binning::new(0).is_err());
    }

    #[test]
    fn counts_are_sorted_by_row() {
        let rows = vec![vec![2u32, 0], vec![0, 1], vec![2, 0], vec![0, 0]];
        assert_eq!(sorted_row_counts(rows), vec![1, 1, 2]);
    }
}
