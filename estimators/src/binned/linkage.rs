//! Single-linkage clustering at a distance threshold: points closer than ε are merged,
//! transitively (the connected components of the graph joining rows at Euclidean distance < ε).

use std::collections::HashMap;

use ndarray::ArrayView2;

use crate::knn::neighbors::sq_euclid;

struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }
    fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let p = self.parent[i as usize];
            self.parent[i as usize] = self.parent[p as usize];
            i = p;
        }
        i
    }
    /// Joins the sets of i and j; false if they were already joined.
    fn union(&mut self, i: u32, j: u32) -> bool {
        let (a, b) = (self.find(i), self.find(j));
        if a == b {
            return false;
        }
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        self.parent[hi as usize] = lo;
        true
    }
    fn labels(&mut self) -> Vec<usize> {
        let n = self.parent.len();
        let mut ids: HashMap<u32, usize> = HashMap::new();
        (0..n as u32)
            .map(|i| {
                let r = self.find(i);
                let next = ids.len();
                *ids.entry(r).or_insert(next)
            })
            .collect()
    }
}

/// Single-linkage components of the rows of `x` at each threshold of `eps`: one dense label
/// vector (0, 1, 2, … in order of first appearance) per threshold, rows with equal labels being
/// connected by a chain of rows at Euclidean distance `< ε`.
///
/// Exact: every pair is examined, O(N²·d) (blocked Gram products; pairs near a threshold or
/// near zero are recomputed directly, so duplicates are at distance 0 and the comparison with ε
/// is decided on the exact squared distance). Fewer than 2³² rows.
///
/// ```
/// use ndarray::array;
/// let x = array![[0.0], [0.9], [1.8], [5.0]];
/// let l = ib_estimators::binned::linkage_labels(x.view(), &[0.5, 1.0]);
/// assert_eq!(l, vec![vec![0, 1, 2, 3], vec![0, 0, 0, 1]]);
/// ```
pub fn linkage_labels(x: ArrayView2<f64>, eps: &[f64]) -> Vec<Vec<usize>> {
    let n = x.nrows();
    let mut order: Vec<usize> = (0..eps.len()).collect();
    order.sort_by(|&a, &b| eps[a].total_cmp(&eps[b]));
    let sq: Vec<f64> = order.iter().map(|&i| eps[i] * eps[i]).collect();
    let max_sq = sq.last().copied().unwrap_or(0.0);
    let mut ufs: Vec<UnionFind> = order.iter().map(|_| UnionFind::new(n)).collect();
    let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
    let rows: Vec<Vec<f64>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
    const BLOCK: usize = 256;
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let block = x.slice(ndarray::s![start..end, ..]);
        let rest = x.slice(ndarray::s![start.., ..]);
        let g = block.dot(&rest.t());
        for i in start..end {
            for j in i + 1..n {
                let gij = g[[i - start, j - start]];
                let mut d2 = norms[i] + norms[j] - 2.0 * gij;
                let tol = 1e-9 * (norms[i] + norms[j]);
                if d2 >= max_sq + tol {
                    continue;
                }
                // Close to a threshold or to zero: use the exact difference.
                if d2 < tol || sq.iter().any(|&t| (d2 - t).abs() <= tol) {
                    d2 = sq_euclid(&rows[i], &rows[j]);
                }
                for (s, &t) in sq.iter().enumerate() {
                    if d2 < t && !ufs[s].union(i as u32, j as u32) {
                        // Already joined here, hence at every larger threshold too.
                        break;
                    }
                }
            }
        }
        start = end;
    }
    let mut by_sorted: Vec<Vec<usize>> = ufs.iter_mut().map(|u| u.labels()).collect();
    let mut out = vec![Vec::new(); eps.len()];
    for (pos, &orig) in order.iter().enumerate().rev() {
        out[orig] = std::mem::take(&mut by_sorted[pos]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn linkage_chains_and_respects_thresholds() {
        let x = array![[0.0], [0.9], [1.8], [5.0]];
        let l = linkage_labels(x.view(), &[0.5, 1.0, 10.0]);
        assert_eq!(l[0], vec![0, 1, 2, 3]);
        assert_eq!(l[1], vec![0, 0, 0, 1]);
        assert_eq!(l[2], vec![0, 0, 0, 0]);
    }
}
