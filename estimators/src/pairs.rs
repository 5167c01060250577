//! Pairs of variables observed on the same samples (row i of x goes with row i of y).

use ndarray::{concatenate, Array2, ArrayView2, Axis};

use crate::error::EstimatorError;

/// Checks that `a` and `b` have the same number of rows.
pub(crate) fn check_pair(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<(), EstimatorError> {
    if a.nrows() != b.nrows() {
        return Err(EstimatorError::ShapeMismatch {
            x_rows: a.nrows(),
            y_rows: b.nrows(),
        });
    }
    Ok(())
}

/// The joint variable: the columns of `a` followed by those of `b`, row by row.
///
/// Errors: [`EstimatorError::ShapeMismatch`] if the row counts differ.
pub fn hstack(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<Array2<f64>, EstimatorError> {
    check_pair(a, b)?;
    concatenate(Axis(1), &[a, b]).map_err(|_| EstimatorError::ShapeMismatch {
        x_rows: a.nrows(),
        y_rows: b.nrows(),
    })
}
