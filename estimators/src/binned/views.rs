//! Plug-in entropies of a discretised V observed on N inputs with K views each (labels from
//! [`super::grid_labels`] or [`super::linkage_labels`]), with input multiplicities as weights
//! (bootstrap resamples of the inputs need no relabelling).
//!
//! Every quantity is the exact entropy of the empirical distribution of the discretised
//! variable, so the identities hold by construction:
//!
//! ```text
//! H(V)    = −Σ_v p̂(v) ln p̂(v)                   over all N·K views
//! H(V|X)  = Σ_x w_x H(V | X = x) / Σ_x w_x       each input's K views, 0 ≤ H(V|X) ≤ ln K
//! I(X;V)  = H(V) − H(V|X)                         0 ≤ I(X;V) ≤ H(V)
//! I(V;V') = H(V) + H(V') − H(V,V')                over the K×K pairs (view a of V, view b of V')
//! H(V|V') = H(V,V') − H(V') = H(V) − I(V;V')
//! ```

use std::collections::HashMap;

/// Per-input label counts of the views of V (and of V'), ready for weighted evaluation.
#[derive(Debug, Clone)]
pub struct ViewCounts {
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

/// The plug-in quantities of one discretisation (nats), see [`ViewCounts::evaluate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewEntropies {
    /// H(V).
    pub h_v: f64,
    /// H(V|X).
    pub h_vx: f64,
    /// I(X;V) = H(V) − H(V|X).
    pub i_xv: f64,
    /// (I(V;V'), H(V|V')) when labels of V' were given.
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

/// Entropy of weighted per-input counts, `ln T − Σ_l c_l ln c_l / T` with `c_l = Σ_x w_x
/// n_{x,l}` and `T = Σ_l c_l`. Counts and weights are integers (bootstrap multiplicities), so
/// c·ln c comes from the table `c_ln_c` (c ln c for c = 0, 1, 2, ...).
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

impl ViewCounts {
    /// `u_labels`: labels of the N·K views of V (entry `x·K + a` for view a of input x);
    /// `w_labels`: those of V', paired view by view, if any.
    ///
    /// Panics if a label vector does not have N·K entries.
    pub fn new(n: usize, k: usize, u_labels: &[usize], w_labels: Option<&[usize]>) -> Self {
        assert_eq!(u_labels.len(), n * k, "u_labels must have n·k entries");
        if let Some(wl) = w_labels {
            assert_eq!(wl.len(), n * k, "w_labels must have n·k entries");
        }
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
        ViewCounts {
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

    /// Every quantity with input multiplicities `weights` (length N, non-negative integers as
    /// f64; all ones for the sample itself).
    pub fn evaluate(&self, weights: &[f64]) -> ViewEntropies {
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
        ViewEntropies {
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

    #[test]
    fn identities_and_weights() {
        // 3 inputs × 2 views; V: input 0 splits its views over two labels.
        let u = [0, 1, 2, 2, 3, 3];
        let c = ViewCounts::new(3, 2, &u, Some(&u));
        let v = c.evaluate(&[1.0; 3]);
        let h = -2.0 * ((1.0f64 / 6.0) * (1.0f64 / 6.0).ln() + (2.0 / 6.0) * (2.0f64 / 6.0).ln());
        assert!((v.h_v - h).abs() < 1e-14);
        assert!((v.h_vx - 2f64.ln() / 3.0).abs() < 1e-15);
        assert!((v.i_xv - (v.h_v - v.h_vx)).abs() == 0.0);
        let (i, hc) = v.pair.unwrap();
        assert!((hc - (v.h_v - i)).abs() < 1e-14 && hc >= -1e-15);
        // Weight 2 on input 1 equals the sample with input 1 duplicated.
        let dup = [0, 1, 2, 2, 3, 3, 2, 2];
        let w = c.evaluate(&[1.0, 2.0, 1.0]);
        let d = ViewCounts::new(4, 2, &dup, None).evaluate(&[1.0; 4]);
        assert!((w.h_v - d.h_v).abs() < 1e-14 && (w.h_vx - d.h_vx).abs() < 1e-15);
        assert_eq!(
            ViewCounts::new(3, 2, &u, None).evaluate(&[1.0; 3]).pair,
            None
        );
    }
}
