//! Plug-in (Shannon) quantities of a discretised V: ε-grid cells ("binned") or single-linkage
//! components at Euclidean distance < ε ("merge"). Every quantity is the exact entropy of the
//! empirical distribution of the discretised variable, so the identities hold by construction:
//! `0 ≤ H(V|X) ≤ ln K`, `0 ≤ I(X;V) = H(V) − H(V|X) ≤ H(V)`, `H(V|V') = H(V) − I(V;V')`.

use std::collections::HashMap;

use ndarray::ArrayView2;

/// Dense labels of the ε-grid cells `floor(v_j / ε)` of the rows of `x`.
pub(crate) fn grid_labels(x: ArrayView2<f64>, eps: f64) -> Vec<usize> {
    let mut ids: HashMap<Vec<i64>, usize> = HashMap::with_capacity(x.nrows());
    x.rows()
        .into_iter()
        .map(|r| {
            let key: Vec<i64> = r.iter().map(|&v| (v / eps).floor() as i64).collect();
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

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

/// Squared Euclidean distance.
pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Single-linkage components of the rows of `x` at each threshold of `eps` (connected components
/// of the graph joining rows at Euclidean distance < ε): one dense label vector per threshold.
/// Exact: every pair is examined (blocked Gram products; pairs near a threshold or near zero
/// are recomputed directly).
pub(crate) fn linkage_labels(x: ArrayView2<f64>, eps: &[f64]) -> Vec<Vec<usize>> {
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
                    d2 = sq_dist(&rows[i], &rows[j]);
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

/// Per-input label counts, ready for weighted (bootstrap) evaluation.
pub(crate) struct DiscreteData {
    /// Per input: (label of V, count) over its K online views.
    u: Vec<Vec<(usize, f64)>>,
    nu: usize,
    /// Per input: entropy of its K views' labels (H(V|X=x)).
    hx: Vec<f64>,
    /// Per input: (label of V', count) over its K target views, each counted K times (pairs).
    w: Option<Vec<Vec<(usize, f64)>>>,
    nw: usize,
    /// Per input: (joint label, count) over its K×K (view a of V, view b of V') pairs.
    joint: Option<Vec<Vec<(usize, f64)>>>,
    nj: usize,
    /// c·ln c for integer c up to the largest possible count.
    c_ln_c: Vec<f64>,
}

/// The quantities of one discretisation (nats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DiscreteValues {
    pub h_v: f64,
    pub h_vx: f64,
    pub i_xv: f64,
    /// (I(V;V'), H(V|V')) when target views were given.
    pub pair: Option<(f64, f64)>,
}

fn counts_of(labels: &[usize]) -> Vec<(usize, f64)> {
    let mut m: Vec<(usize, f64)> = Vec::with_capacity(labels.len());
    for &l in labels {
        match m.iter_mut().find(|(k, _)| *k == l) {
            Some(e) => e.1 += 1.0,
            None => m.push((l, 1.0)),
        }
    }
    m
}

fn entropy_of(counts: &[(usize, f64)]) -> f64 {
    let total: f64 = counts.iter().map(|c| c.1).sum();
    -counts
        .iter()
        .map(|&(_, c)| {
            let p = c / total;
            p * p.ln()
        })
        .sum::<f64>()
}

/// Entropy of weighted per-input counts. Counts and weights are integers (bootstrap
/// multiplicities), so c·ln c comes from the table `c_ln_c` (c ln c for c = 0, 1, 2, ...).
fn weighted_entropy(
    per_input: &[Vec<(usize, f64)>],
    n_labels: usize,
    weights: &[f64],
    c_ln_c: &[f64],
) -> f64 {
    let mut acc = vec![0.0; n_labels];
    let mut total = 0.0;
    for (x, list) in per_input.iter().enumerate() {
        let m = weights[x];
        if m == 0.0 {
            continue;
        }
        for &(l, c) in list {
            acc[l] += m * c;
            total += m * c;
        }
    }
    let mut s = 0.0;
    for &c in &acc {
        if c > 0.0 {
            let i = c as usize;
            s += if (i as f64) == c && i < c_ln_c.len() {
                c_ln_c[i]
            } else {
                c * c.ln()
            };
        }
    }
    total.ln() - s / total
}

impl DiscreteData {
    /// `u_labels` (N·K, row x·K + a) of the online views; `w_labels` of the target views.
    pub fn new(n: usize, k: usize, u_labels: &[usize], w_labels: Option<&[usize]>) -> Self {
        let u: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|x| counts_of(&u_labels[x * k..(x + 1) * k]))
            .collect();
        let hx = u.iter().map(|c| entropy_of(c)).collect();
        let nu = u_labels.iter().max().map_or(0, |m| m + 1);
        let (w, nw, joint, nj) = match w_labels {
            None => (None, 0, None, 0),
            Some(wl) => {
                let nw = wl.iter().max().map_or(0, |m| m + 1);
                let w: Vec<Vec<(usize, f64)>> = (0..n)
                    .map(|x| {
                        let mut c = counts_of(&wl[x * k..(x + 1) * k]);
                        c.iter_mut().for_each(|e| e.1 *= k as f64);
                        c
                    })
                    .collect();
                let mut ids: HashMap<(usize, usize), usize> = HashMap::new();
                let joint: Vec<Vec<(usize, f64)>> = (0..n)
                    .map(|x| {
                        let mut labels = Vec::with_capacity(k * k);
                        for a in 0..k {
                            for b in 0..k {
                                let key = (u_labels[x * k + a], wl[x * k + b]);
                                let next = ids.len();
                                labels.push(*ids.entry(key).or_insert(next));
                            }
                        }
                        counts_of(&labels)
                    })
                    .collect();
                let nj = ids.len();
                (Some(w), nw, Some(joint), nj)
            }
        };
        let max_count = n * k * k + 1;
        let c_ln_c = (0..=max_count)
            .map(|c| {
                if c == 0 {
                    0.0
                } else {
                    c as f64 * (c as f64).ln()
                }
            })
            .collect();
        DiscreteData {
            c_ln_c,
            u,
            nu,
            hx,
            w,
            nw,
            joint,
            nj,
        }
    }

    /// All quantities with input multiplicities `weights` (all ones = the sample itself).
    pub fn evaluate(&self, weights: &[f64]) -> DiscreteValues {
        let total: f64 = weights.iter().sum();
        let h_v = weighted_entropy(&self.u, self.nu, weights, &self.c_ln_c);
        let h_vx = self.hx.iter().zip(weights).map(|(h, m)| h * m).sum::<f64>() / total;
        let pair = match (&self.w, &self.joint) {
            (Some(w), Some(j)) => {
                let h_w = weighted_entropy(w, self.nw, weights, &self.c_ln_c);
                let h_j = weighted_entropy(j, self.nj, weights, &self.c_ln_c);
                let i = h_v + h_w - h_j;
                Some((i, h_j - h_w))
            }
            _ => None,
        };
        DiscreteValues {
            h_v,
            h_vx,
            i_xv: h_v - h_vx,
            pair,
        }
    }
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
    fn grid_cells() {
        let x = array![[0.01, 0.0], [0.09, 0.05], [0.11, 0.0], [-0.01, 0.0]];
        assert_eq!(grid_labels(x.view(), 0.1), vec![0, 0, 1, 2]);
    }
}
