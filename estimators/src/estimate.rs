//! The result type of every information estimator: a value in nats with the parameters that
//! produced it and the degeneracies found in the data.

use std::fmt;

use crate::error::EstimatorError;

/// A degeneracy found in the data. Degenerate data is a finding, not an error: the estimator
/// still returns the reference value (possibly −∞ or NaN) and attaches these.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Warning {
    /// `points` of the `n` samples have their k-th neighbour at distance 0 (at least k exact
    /// duplicates). Kozachenko–Leonenko then gives −∞; KSG gives a finite but meaningless value.
    ZeroDistances {
        /// Which space: "joint", "x", "y", or the variable's name.
        space: &'static str,
        /// Number of samples with a zero k-th-neighbour distance.
        points: usize,
        /// Total samples.
        n: usize,
        /// The k used.
        k: usize,
    },
    /// Some rows are exact copies of other rows (biases kNN estimators even when fewer than
    /// k + 1 copies keep distances positive).
    DuplicateRows {
        /// Which space.
        space: &'static str,
        /// Rows that have at least one exact copy elsewhere.
        rows: usize,
        /// Total rows.
        n: usize,
    },
    /// Columns that never change. The true differential entropy is −∞ (the data lie in a
    /// lower-dimensional subspace) while Kozachenko–Leonenko stays finite.
    ConstantColumns {
        /// Which space.
        space: &'static str,
        /// 0-based indices within that space.
        columns: Vec<usize>,
    },
    /// Every row is the same vector (complete collapse). Differential entropies are −∞ and the
    /// information carried is 0; kNN mutual-information values are artefacts.
    AllRowsEqual {
        /// Which space.
        space: &'static str,
    },
    /// Every sample fell into its own bin: the binned entropy is ln N whatever the data
    /// (the resolution is too fine for the sample size).
    SingletonBins {
        /// Which space.
        space: &'static str,
        /// Samples (= occupied bins).
        n: usize,
    },
    /// The covariance matrix is singular (or not positive definite after the ridge), so the
    /// Gaussian log-determinant is −∞.
    SingularCovariance {
        /// Which space.
        space: &'static str,
        /// Ridge ε added to the diagonal.
        ridge: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ZeroDistances {
                space,
                points,
                n,
                k,
            } => write!(
                f,
                "{space}: {points} of {n} samples have their k-th (k = {k}) neighbour at distance 0 \
                 (ties or duplicates); kNN estimates are -inf or meaningless here"
            ),
            Warning::DuplicateRows { space, rows, n } => write!(
                f,
                "{space}: {rows} of {n} rows are exact duplicates of another row; kNN estimates are biased"
            ),
            Warning::ConstantColumns { space, columns } => write!(
                f,
                "{space}: constant column(s) {columns:?}; the differential entropy is -inf (dimensional collapse) \
                 although a kNN estimate stays finite"
            ),
            Warning::AllRowsEqual { space } => write!(
                f,
                "{space}: every row is identical (complete collapse); entropies are -inf and the information is 0"
            ),
            Warning::SingletonBins { space, n } => write!(
                f,
                "{space}: each of the {n} samples has its own bin, so the binned entropy is ln N = {:.4} \
                 whatever the data; use fewer bins",
                (*n as f64).ln()
            ),
            Warning::SingularCovariance { space, ridge } => write!(
                f,
                "{space}: covariance (+ {ridge:e}·I) is singular; the Gaussian entropy is -inf"
            ),
        }
    }
}

/// An estimate in nats.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The value in nats; may be −∞, +∞ or NaN on degenerate data (see `warnings`).
    pub value: f64,
    /// Samples used.
    pub n: usize,
    /// Total number of columns used (for a pair: columns of x plus columns of y).
    pub d: usize,
    /// Neighbour order of kNN estimators.
    pub k: Option<usize>,
    /// Bins per column of binned estimators.
    pub bins: Option<usize>,
    /// Ridge ε added to the covariance diagonal by the Gaussian estimator.
    pub ridge: Option<f64>,
    /// Degeneracies found in the data.
    pub warnings: Vec<Warning>,
    /// True if the data are degenerate *for this estimator*: the value is the reference
    /// implementation's output (−∞, NaN or an artefact such as KSG's large positive value on
    /// constant data), not an estimate of the quantity. The warnings say why.
    pub degenerate: bool,
}

impl Estimate {
    pub(crate) fn new(value: f64, n: usize, d: usize) -> Self {
        Estimate {
            value,
            n,
            d,
            k: None,
            bins: None,
            ridge: None,
            warnings: Vec::new(),
            degenerate: false,
        }
    }

    /// `None` for a finite value, else `"-inf"`, `"inf"` or `"nan"` (the CLI's `nonfinite`).
    pub fn nonfinite(&self) -> Option<&'static str> {
        if self.value.is_nan() {
            Some("nan")
        } else if self.value == f64::INFINITY {
            Some("inf")
        } else if self.value == f64::NEG_INFINITY {
            Some("-inf")
        } else {
            None
        }
    }

    /// The warnings as messages.
    pub fn warning_messages(&self) -> Vec<String> {
        self.warnings.iter().map(ToString::to_string).collect()
    }

    /// Refuses a degenerate estimate: `Err(EstimatorError::Degenerate)` with every warning,
    /// else the estimate unchanged.
    pub fn refuse_degenerate(self) -> Result<Self, EstimatorError> {
        if self.degenerate {
            Err(EstimatorError::Degenerate {
                reason: self.warning_messages().join("; "),
            })
        } else {
            Ok(self)
        }
    }

    pub(crate) fn merge_warnings(&mut self, other: &[Warning]) {
        for w in other {
            if !self.warnings.contains(w) {
                self.warnings.push(w.clone());
            }
        }
    }
}
