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

/// The N − 1 edge lengths (Euclidean) of a minimum spanning tree of the rows of `x`, ascending
/// (Prim's algorithm on the complete graph: O(N²·d) time, O(N) memory; each step's update of
/// the distances to the tree runs on rayon, one independent minimum per row, so the result
/// does not depend on the thread count). Single linkage at threshold ε (`< ε` merges, as in
/// [`linkage_labels`]) has exactly N − #{edges < ε} components (Kruskal), so these lengths
/// give the threshold of any number of components.
pub fn mst_edge_lengths(x: ArrayView2<f64>) -> Vec<f64> {
    /// Rows from which each step's update runs on rayon.
    const PARALLEL_ROWS: usize = 8192;
    use rayon::prelude::*;
    let n = x.nrows();
    if n < 2 {
        return Vec::new();
    }
    let rows: Vec<Vec<f64>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
    let mut in_tree = vec![false; n];
    let mut best = vec![f64::INFINITY; n];
    let mut edges = Vec::with_capacity(n - 1);
    let mut last = 0usize;
    in_tree[0] = true;
    for _ in 1..n {
        let from = &rows[last];
        let update = |((b, &t), r): ((&mut f64, &bool), &Vec<f64>)| {
            if !t {
                let d = sq_euclid(from, r);
                if d < *b {
                    *b = d;
                }
            }
        };
        // One step is O(N·d): worth the threads' hand-off only for large N.
        if n >= PARALLEL_ROWS {
            best.par_iter_mut()
                .zip(in_tree.par_iter())
                .zip(rows.par_iter())
                .with_min_len(1024)
                .for_each(update);
        } else {
            best.iter_mut()
                .zip(in_tree.iter())
                .zip(rows.iter())
                .for_each(update);
        }
        let mut next = usize::MAX;
        let mut next_d = f64::INFINITY;
        for i in 0..n {
            if !in_tree[i] && (next == usize::MAX || best[i] < next_d) {
                next = i;
                next_d = best[i];
            }
        }
        in_tree[next] = true;
        edges.push(next_d.sqrt());
        last = next;
    }
    edges.sort_by(f64::total_cmp);
    edges
}

/// A single-linkage threshold ε at which N points with the ascending MST edge lengths
/// `edges` ([`mst_edge_lengths`]) form `target` components: the geometric mean of the two
/// edges around the cut (so that no edge length equals ε; half the upper one when the lower is
/// 0, duplicate points). None when `target` is not in 2..=N − 1 or the cut falls between equal
/// lengths (ties: no threshold separates them).
pub fn linkage_width_for_components(edges: &[f64], target: usize) -> Option<f64> {
    let n = edges.len() + 1;
    if target < 2 || target >= n {
        return None;
    }
    // `n − target` edges must be below ε, the rest at or above it.
    let below = edges[n - target - 1];
    let above = edges[n - target];
    if above <= below || above.is_nan() {
        return None;
    }
    Some(if below > 0.0 {
        (below * above).sqrt()
    } else {
        above * 0.5
    })
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

    #[test]
    fn mst_thresholds_give_the_component_counts() {
        let x = ndarray::Array2::from_shape_fn((150, 3), |(i, j)| {
            (((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0).powi(2) + j as f64
        });
        let edges = mst_edge_lengths(x.view());
        assert_eq!(edges.len(), 149);
        assert!(edges.windows(2).all(|w| w[0] <= w[1]));
        for target in [100, 50, 10, 2] {
            let eps = linkage_width_for_components(&edges, target).unwrap();
            let l = linkage_labels(x.view(), &[eps]);
            assert_eq!(l[0].iter().max().unwrap() + 1, target, "ε = {eps}");
        }
        assert!(linkage_width_for_components(&edges, 1).is_none());
        assert!(linkage_width_for_components(&edges, 150).is_none());
    }

    /// The parallel update (from 8192 rows) cuts where the sequential one does.
    #[test]
    fn mst_of_many_rows_runs_in_parallel_and_agrees() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(3);
        let x = ndarray::Array2::from_shape_simple_fn((8300, 2), || rng.random::<f64>());
        let edges = mst_edge_lengths(x.view());
        assert_eq!(edges.len(), 8299);
        let eps = linkage_width_for_components(&edges, 4000).unwrap();
        let l = linkage_labels(x.view(), &[eps]);
        assert_eq!(l[0].iter().max().unwrap() + 1, 4000);
    }
}
