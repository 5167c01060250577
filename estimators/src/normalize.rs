//! Row normalisation: rows scaled to unit l2 norm, the unit sphere on which self-supervised
//! embeddings are compared (cosine similarity).

use ndarray::Array2;

use crate::std_metrics::L2_NORMALIZE_EPS;

/// Scales every row of `x` to unit l2 norm in place, `x_i ← x_i / max(‖x_i‖₂, 1e-12)`
/// (PyTorch's `F.normalize`, lightly's convention), and returns the number of rows whose norm
/// was below 1e-12 (those are not on the unit sphere afterwards; a zero row stays zero).
///
/// The norm is summed over the columns in order, so the result is reproducible bit for bit.
///
/// ```
/// use ndarray::array;
/// let mut x = array![[3.0, 4.0], [0.0, 0.0]];
/// let zero = ib_estimators::normalize::l2_normalize_rows(&mut x);
/// assert_eq!(x, array![[0.6, 0.8], [0.0, 0.0]]);
/// assert_eq!(zero, 1);
/// ```
pub fn l2_normalize_rows(x: &mut Array2<f64>) -> usize {
    let mut zero = 0;
    for mut r in x.rows_mut() {
        let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < L2_NORMALIZE_EPS {
            zero += 1;
        }
        let denom = norm.max(L2_NORMALIZE_EPS);
        r.mapv_inplace(|v| v / denom);
    }
    zero
}
