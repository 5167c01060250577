//! Binned (histogram) plug-in and Miller–Madow estimators of entropy, mutual information and
//! conditional entropy, in nats, and the same estimators on exact discrete symbols.
//!
//! Joint bins are tuples of per-column bins, counted sparsely (a hash map of occupied bins,
//! never a dense B^d grid), so any dimension works; in high dimension nearly every sample has
//! its own bin and the entropy saturates at ln N ([`Warning::SingletonBins`]).
//!
//! ```text
//! H_plugin = −Σ_b p̂_b ln p̂_b,  p̂_b = n_b / N       (occupied bins only)
//! H_MM     = H_plugin + (K_occ − 1) / (2N)           (Miller 1955; K_occ = occupied bins)
//! I        = H(x) + H(y) − H(x, y)                   (same correction on every term)
//! H(v|w)   = H(v, w) − H(w)
//! ```
//!
//! For discretisations at an absolute scale ε and views of inputs: [`grid_labels`] (the
//! ε-grid), [`linkage_labels`] (single-linkage merging at distance ε) and [`ViewCounts`]
//! (weighted plug-in H(V), H(V|X), I(X;V), I(V;V'), H(V|V') of the labels).

pub mod counts;
pub mod grid;
pub mod linkage;
pub mod views;

use ndarray::ArrayView2;

pub use counts::{bin_indices, BinRange, Binning};
pub use grid::{column_minima, grid_labels, grid_labels_from, grid_width_for_cells, occupied};
pub use linkage::{linkage_labels, linkage_width_for_components, mst_edge_lengths};
pub use views::{ViewCounts, ViewEntropies};

use crate::error::{check_matrix, EstimatorError};
use crate::estimate::{Estimate, Warning};
use crate::pairs::check_pair;
use crate::special::pairwise_sum;
use counts::sorted_row_counts;

/// Bias correction of a plug-in entropy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Correction {
    /// Plain plug-in (maximum-likelihood) estimate.
    #[default]
    PlugIn,
    /// Miller–Madow: `+ (K_occ − 1)/(2N)` (G. A. Miller, "Note on the bias of information
    /// estimates", in Information Theory in Psychology, 1955).
    MillerMadow,
}

/// Entropy (nats) of a table of occupancy counts, plus the number of occupied cells.
fn entropy_of_counts(counts: &[usize], n: usize, correction: Correction) -> f64 {
    let nf = n as f64;
    let terms: Vec<f64> = counts
        .iter()
        .map(|&c| {
            let p = c as f64 / nf;
            p * p.ln()
        })
        .collect();
    let plugin = -pairwise_sum(&terms);
    match correction {
        Correction::PlugIn => plugin,
        Correction::MillerMadow => plugin + (counts.len() as f64 - 1.0) / (2.0 * nf),
    }
}

fn bin_symbols(x: ArrayView2<f64>, binning: &Binning) -> Result<Vec<Vec<u32>>, EstimatorError> {
    let b = bin_indices(x, binning)?;
    Ok(b.outer_iter().map(|r| r.to_vec()).collect())
}

/// Order-preserving key of a float: sorting keys sorts the values (−0.0 and 0.0 are one symbol).
fn exact_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn exact_symbols(x: ArrayView2<f64>) -> Result<Vec<Vec<u64>>, EstimatorError> {
    check_matrix(x)?;
    Ok(x.outer_iter()
        .map(|r| r.iter().map(|&v| exact_key(v)).collect())
        .collect())
}

fn joined<K: Clone>(a: &[Vec<K>], b: &[Vec<K>]) -> Vec<Vec<K>> {
    a.iter()
        .zip(b)
        .map(|(ra, rb)| ra.iter().chain(rb).cloned().collect())
        .collect()
}

fn singleton_warning(counts: &[usize], n: usize, space: &'static str) -> Option<Warning> {
    (n > 1 && counts.len() == n).then_some(Warning::SingletonBins { space, n })
}

/// What to compute from the per-variable symbols.
#[derive(Clone, Copy)]
enum Quantity {
    Entropy,
    MutualInformation,
    Conditional,
}

fn estimate_from_symbols<K: Ord + std::hash::Hash + Clone>(
    a: Vec<Vec<K>>,
    b: Option<Vec<Vec<K>>>,
    quantity: Quantity,
    correction: Correction,
    d: usize,
) -> Estimate {
    let n = a.len();
    let mut warnings = Vec::new();
    let value = match (quantity, b) {
        (Quantity::Entropy, _) | (_, None) => {
            let c = sorted_row_counts(a);
            warnings.extend(singleton_warning(&c, n, "x"));
            entropy_of_counts(&c, n, correction)
        }
        (q, Some(b)) => {
            let ab = joined(&a, &b);
            let ca = sorted_row_counts(a);
            let cb = sorted_row_counts(b);
            let cab = sorted_row_counts(ab);
            warnings.extend(singleton_warning(&cab, n, "joint"));
            let (ha, hb, hab) = (
                entropy_of_counts(&ca, n, correction),
                entropy_of_counts(&cb, n, correction),
                entropy_of_counts(&cab, n, correction),
            );
            match q {
                Quantity::MutualInformation => ha + hb - hab,
                _ => hab - hb,
            }
        }
    };
    let mut est = Estimate::new(value, n, d);
    est.warnings = warnings;
    est
}

/// Binned entropy H(x) of the rows of `x` (N×d), joint over the columns, in nats.
pub fn binned_entropy(
    x: ArrayView2<f64>,
    binning: &Binning,
    correction: Correction,
) -> Result<Estimate, EstimatorError> {
    let a = bin_symbols(x, binning)?;
    let mut est = estimate_from_symbols(a, None, Quantity::Entropy, correction, x.ncols());
    est.bins = Some(binning.bins());
    Ok(est)
}

/// Binned mutual information I(x; y) = H(x) + H(y) − H(x, y), in nats (x and y binned column
/// by column with the same rule; paired by row).
pub fn binned_mutual_information(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    binning: &Binning,
    correction: Correction,
) -> Result<Estimate, EstimatorError> {
    check_pair(x, y)?;
    let (a, b) = (bin_symbols(x, binning)?, bin_symbols(y, binning)?);
    let d = x.ncols() + y.ncols();
    let mut est = estimate_from_symbols(a, Some(b), Quantity::MutualInformation, correction, d);
    est.bins = Some(binning.bins());
    Ok(est)
}

/// Binned conditional entropy H(v | given) = H(v, given) − H(given), in nats.
pub fn binned_conditional_entropy(
    v: ArrayView2<f64>,
    given: ArrayView2<f64>,
    binning: &Binning,
    correction: Correction,
) -> Result<Estimate, EstimatorError> {
    check_pair(v, given)?;
    let (a, b) = (bin_symbols(v, binning)?, bin_symbols(given, binning)?);
    let d = v.ncols() + given.ncols();
    let mut est = estimate_from_symbols(a, Some(b), Quantity::Conditional, correction, d);
    est.bins = Some(binning.bins());
    Ok(est)
}

/// Histogram estimate of the *differential* entropy: the plug-in entropy of the bins plus the
/// log bin volume,
///
/// ```text
/// h ≈ H_plugin + Σ_c ln((hi_c − lo_c) / B)
/// ```
///
/// A constant column (zero width) gives −∞ with a [`Warning::ConstantColumns`], flagged
/// degenerate.
pub fn binned_differential_entropy(
    x: ArrayView2<f64>,
    binning: &Binning,
) -> Result<Estimate, EstimatorError> {
    let mut est = binned_entropy(x, binning, Correction::PlugIn)?;
    let ranges = binning.column_ranges(x);
    let b = binning.bins() as f64;
    let widths: Vec<f64> = ranges.iter().map(|(lo, hi)| (hi - lo) / b).collect();
    let constant: Vec<usize> = (0..widths.len()).filter(|&c| widths[c] <= 0.0).collect();
    if constant.is_empty() {
        // ln of the bin width; a range beyond the f64 range is halved first.
        let ln_w: Vec<f64> = widths
            .iter()
            .zip(&ranges)
            .map(|(w, (lo, hi))| {
                if w.is_finite() {
                    w.ln()
                } else {
                    ((hi * 0.5 - lo * 0.5) / b).ln() + std::f64::consts::LN_2
                }
            })
            .collect();
        est.value += pairwise_sum(&ln_w);
    } else {
        est.value = f64::NEG_INFINITY;
        est.degenerate = true;
        est.warnings.push(Warning::ConstantColumns {
            space: "x",
            columns: constant,
        });
    }
    Ok(est)
}

/// Entropy (nats) of exact discrete symbols: each distinct row of `x` is one symbol
/// (values compared exactly; −0.0 equals 0.0).
pub fn discrete_entropy(
    x: ArrayView2<f64>,
    correction: Correction,
) -> Result<Estimate, EstimatorError> {
    let a = exact_symbols(x)?;
    Ok(estimate_from_symbols(
        a,
        None,
        Quantity::Entropy,
        correction,
        x.ncols(),
    ))
}

/// Mutual information (nats) between exact discrete symbols x and y (rows are symbols).
pub fn discrete_mutual_information(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    correction: Correction,
) -> Result<Estimate, EstimatorError> {
    check_pair(x, y)?;
    let (a, b) = (exact_symbols(x)?, exact_symbols(y)?);
    let d = x.ncols() + y.ncols();
    Ok(estimate_from_symbols(
        a,
        Some(b),
        Quantity::MutualInformation,
        correction,
        d,
    ))
}

/// Conditional entropy H(v | given) (nats) of exact discrete symbols.
pub fn discrete_conditional_entropy(
    v: ArrayView2<f64>,
    given: ArrayView2<f64>,
    correction: Correction,
) -> Result<Estimate, EstimatorError> {
    check_pair(v, given)?;
    let (a, b) = (exact_symbols(v)?, exact_symbols(given)?);
    let d = v.ncols() + given.ncols();
    Ok(estimate_from_symbols(
        a,
        Some(b),
        Quantity::Conditional,
        correction,
        d,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn uniform_symbols_give_ln_k() {
        let x = Array2::from_shape_fn((120, 1), |(i, _)| (i % 6) as f64);
        let h = discrete_entropy(x.view(), Correction::PlugIn).unwrap();
        assert!((h.value - 6f64.ln()).abs() < 1e-15);
        let mm = discrete_entropy(x.view(), Correction::MillerMadow).unwrap();
        assert!((mm.value - 6f64.ln() - 5.0 / 240.0).abs() < 1e-15);
    }

    #[test]
    fn mi_of_a_variable_with_itself_is_its_entropy() {
        let x = Array2::from_shape_fn((100, 2), |(i, j)| ((i * (j + 3)) % 7) as f64);
        let h = discrete_entropy(x.view(), Correction::PlugIn)
            .unwrap()
            .value;
        let i = discrete_mutual_information(x.view(), x.view(), Correction::PlugIn)
            .unwrap()
            .value;
        assert!((h - i).abs() < 1e-14);
        let c = discrete_conditional_entropy(x.view(), x.view(), Correction::PlugIn)
            .unwrap()
            .value;
        assert!(c.abs() < 1e-14);
    }

    #[test]
    fn constant_data_has_zero_entropy() {
        let x = Array2::from_elem((50, 3), 2.0);
        let b = Binning::new(8).unwrap();
        assert_eq!(
            binned_entropy(x.view(), &b, Correction::PlugIn)
                .unwrap()
                .value,
            0.0
        );
        assert_eq!(
            binned_entropy(x.view(), &b, Correction::MillerMadow)
                .unwrap()
                .value,
            0.0
        );
        let h = binned_differential_entropy(x.view(), &b).unwrap();
        assert_eq!(h.value, f64::NEG_INFINITY);
        assert!(h.degenerate);
    }

    #[test]
    fn singleton_bins_are_reported() {
        let x = array![[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]];
        let h = binned_entropy(x.view(), &Binning::new(16).unwrap(), Correction::PlugIn).unwrap();
        assert!((h.value - 3f64.ln()).abs() < 1e-15);
        assert!(matches!(h.warnings[0], Warning::SingletonBins { n: 3, .. }));
    }

    #[test]
    fn mismatched_rows_are_refused() {
        let x = Array2::<f64>::zeros((5, 1));
        let y = Array2::<f64>::zeros((4, 1));
        let b = Binning::new(4).unwrap();
        assert!(binned_mutual_information(x.view(), y.view(), &b, Correction::PlugIn).is_err());
    }

    #[test]
    fn exact_keys_sort_like_values() {
        let v = [-3.5, -0.0, 0.0, 1e-300, 2.0, f64::MAX];
        for w in v.windows(2) {
            assert!(exact_key(w[0]) <= exact_key(w[1]));
        }
        assert_eq!(exact_key(-0.0), exact_key(0.0));
    }
}
