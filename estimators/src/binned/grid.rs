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
    // v − 0 = v exactly (−0 stays −0 and is keyed as 0 below): the origin-anchored grid.
    grid_labels_from(x, eps, &vec![0.0; x.ncols()])
}

/// Dense labels of the ε-grid anchored at `origin` (one entry per column): the cells
/// `(floor((v_1 − o_1)/ε), …, floor((v_d − o_d)/ε))`. Anchored at the column minima
/// ([`column_minima`]), a width above every column's range puts all rows in one cell, so the
/// number of occupied cells runs from N (fine widths) down to 1, which the origin-anchored grid
/// does not do in many dimensions (its coarsest cells are the 2^d orthants).
///
/// `eps` must be finite and > 0 and `origin` as long as a row.
///
/// ```
/// use ndarray::array;
/// let x = array![[1.01], [1.05], [1.11], [0.99]];
/// let o = ib_estimators::binned::column_minima(x.view());
/// assert_eq!(ib_estimators::binned::grid_labels_from(x.view(), 0.1, &o), vec![0, 0, 1, 0]);
/// ```
pub fn grid_labels_from(x: ArrayView2<f64>, eps: f64, origin: &[f64]) -> Vec<usize> {
    let mut ids: HashMap<Vec<u64>, usize> = HashMap::with_capacity(x.nrows());
    x.rows()
        .into_iter()
        .map(|r| {
            let key: Vec<u64> = r
                .iter()
                .zip(origin)
                .map(|(&v, &o)| (((v - o) / eps).floor() + 0.0).to_bits())
                .collect();
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

/// The smallest entry of each column (0 for a matrix without rows).
pub fn column_minima(x: ArrayView2<f64>) -> Vec<f64> {
    x.columns()
        .into_iter()
        .map(|c| c.iter().copied().fold(f64::INFINITY, f64::min))
        .map(|m| if m.is_finite() { m } else { 0.0 })
        .collect()
}

/// Number of distinct labels of dense labels (0, 1, 2, …).
pub fn occupied(labels: &[usize]) -> usize {
    labels.iter().max().map_or(0, |m| m + 1)
}

/// A grid width at which the rows of `x` occupy about `target` cells of the grid anchored at
/// `origin`: bisection on ln ε between a width above every column's range (one cell) and 10⁻¹²
/// of it, 40 steps. The occupied count is not monotone in ε (cell boundaries move), so the
/// width returned is the one whose count came closest to `target` (ties: the finer width).
/// Returns (ε, occupied cells); None when every row is the same (no width separates them) or
/// `target` is not in 2..=N.
pub fn grid_width_for_cells(
    x: ArrayView2<f64>,
    origin: &[f64],
    target: usize,
) -> Option<(f64, usize)> {
    let n = x.nrows();
    if target < 2 || target > n {
        return None;
    }
    let range = x
        .columns()
        .into_iter()
        .zip(origin)
        .map(|(c, &o)| c.iter().map(|&v| v - o).fold(0.0f64, f64::max))
        .fold(0.0f64, f64::max);
    if !(range > 0.0 && range.is_finite()) {
        return None;
    }
    let cells = |eps: f64| occupied(&grid_labels_from(x, eps, origin));
    let (mut lo, mut hi) = ((range * 1e-12).ln(), (range * 1.000_001).ln());
    let mut best: Option<(f64, usize)> = None;
    let mut consider = |eps: f64, c: usize| {
        let better = match best {
            None => true,
            Some((e, b)) => {
                let (dc, db) = (c.abs_diff(target), b.abs_diff(target));
                dc < db || (dc == db && eps < e)
            }
        };
        if better {
            best = Some((eps, c));
        }
    };
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        let eps = mid.exp();
        let c = cells(eps);
        consider(eps, c);
        if c.abs_diff(target) * 50 <= target {
            break;
        }
        if c > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    best
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

    #[test]
    fn anchored_grid_reaches_one_cell_and_the_targets() {
        // 200 points spread over a square: every width above the range gives one cell.
        let x = ndarray::Array2::from_shape_fn((200, 2), |(i, j)| {
            ((i * 37 + j * 11) % 200) as f64 * 0.013 + (j as f64) * 5.0
        });
        let o = column_minima(x.view());
        assert_eq!(occupied(&grid_labels_from(x.view(), 10.0, &o)), 1);
        for target in [100, 40, 10] {
            let (eps, cells) = grid_width_for_cells(x.view(), &o, target).unwrap();
            assert_eq!(cells, occupied(&grid_labels_from(x.view(), eps, &o)));
            // Within a factor 1.5 of the target (the count jumps as boundaries move).
            assert!(
                cells * 2 >= target && cells <= target * 3 / 2 + 1,
                "{target}: {cells}"
            );
        }
        // All rows equal: no width separates them.
        let same = ndarray::Array2::from_elem((10, 3), 0.5);
        assert!(grid_width_for_cells(same.view(), &column_minima(same.view()), 5).is_none());
    }
}
