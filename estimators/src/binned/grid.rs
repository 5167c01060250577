//! The ε-grid: every point in the cell `floor(v / ε)` of a grid of cubes of side ε anchored at
//! the origin (absolute bin width, unlike [`super::Binning`]'s B bins over each column's range).

use std::collections::HashMap;

use ndarray::ArrayView2;

/// Dense labels (0, 1, 2, … in order of first appearance) of the ε-grid cells
/// `(floor(v_1/ε), …, floor(v_d/ε))` of the rows of `x`: rows with equal labels share a cell.
///
/// `eps` must be finite and > 0. Cells are keyed by the f64 value of `floor(v/ε)` (−0 taken as
/// 0), so indices beyond ±2⁶³ (coordinates far larger than ε) stay distinct rather than
/// saturating into one cell; `v/ε` beyond the f64 range is ±∞, one cell per sign.
///
/// ```
/// use ndarray::array;
/// let x = array![[0.01, 0.0], [0.09, 0.05], [0.11, 0.0], [-0.01, 0.0]];
/// assert_eq!(ib_estimators::binned::grid_labels(x.view(), 0.1), vec![0, 0, 1, 2]);
/// ```
pub fn grid_labels(x: ArrayView2<f64>, eps: f64) -> Vec<usize> {
    let mut ids: HashMap<Vec<u64>, usize> = HashMap::with_capacity(x.nrows());
    x.rows()
        .into_iter()
        .map(|r| {
            let key: Vec<u64> = r
                .iter()
                .map(|&v| ((v / eps).floor() + 0.0).to_bits())
                .collect();
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn grid_cells() {
        let x = array![[0.01, 0.0], [0.09, 0.05], [0.11, 0.0], [-0.01, 0.0]];
        assert_eq!(grid_labels(x.view(), 0.1), vec![0, 0, 1, 2]);
        // −0 and 0 share a cell; far coordinates keep distinct cells.
        let y = array![[-0.0], [0.0], [1e200], [2e200], [-1e200]];
        assert_eq!(grid_labels(y.view(), 0.05), vec![0, 0, 1, 2, 3]);
    }
}
