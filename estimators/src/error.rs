//! The crate's one error type.

/// Why an estimator refused its input or parameters.
///
/// Degenerate but well-formed data (ties, constant columns, complete collapse) is *not* an
/// error: estimators return the spec's value (possibly `-inf`) together with a warning.
/// Errors are reserved for input no estimate can be computed from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EstimatorError {
    /// No rows, or no columns.
    #[error("input is empty: it needs at least one row and one column")]
    EmptyInput,
    /// Fewer samples than the estimator needs.
    #[error("{n} samples given but at least {needed} are needed")]
    TooFewSamples {
        /// Samples given.
        n: usize,
        /// Samples needed.
        needed: usize,
    },
    /// A NaN or infinite entry.
    #[error("sample (row {row}, column {col}) is not finite")]
    NonFinite {
        /// Row of the first non-finite entry.
        row: usize,
        /// Column of the first non-finite entry.
        col: usize,
    },
    /// Two inputs that must be paired row by row have different numbers of rows.
    #[error("x has {x_rows} rows but y has {y_rows}; samples must be paired")]
    ShapeMismatch {
        /// Rows of the first input.
        x_rows: usize,
        /// Rows of the second input.
        y_rows: usize,
    },
    /// The data are degenerate for this estimator (returned only on request, by
    /// [`crate::Estimate::refuse_degenerate`]).
    #[error("degenerate data: {reason}")]
    Degenerate {
        /// The degeneracy found.
        reason: String,
    },
    /// A parameter outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The violated requirement.
        reason: String,
    },
}

/// Checks that `z` has at least one row and one column and that every entry is finite.
pub(crate) fn check_matrix(z: ndarray::ArrayView2<f64>) -> Result<(), EstimatorError> {
    if z.nrows() == 0 || z.ncols() == 0 {
        return Err(EstimatorError::EmptyInput);
    }
    for (row, r) in z.outer_iter().enumerate() {
        if let Some(col) = r.iter().position(|v| !v.is_finite()) {
            return Err(EstimatorError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// [`check_matrix`] plus a minimum number of rows.
pub(crate) fn check_rows(z: ndarray::ArrayView2<f64>, needed: usize) -> Result<(), EstimatorError> {
    check_matrix(z)?;
    if z.nrows() < needed {
        return Err(EstimatorError::TooFewSamples {
            n: z.nrows(),
            needed,
        });
    }
    Ok(())
}
