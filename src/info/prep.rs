//! Preparation of the inputs: deterministic, permutation-invariant input selection, the l2 and
//! raw spaces, and PCA by seeded randomised subspace iteration.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use crate::analysis::{Rows, Views};

/// splitmix64 finaliser: a cheap, well-mixed 64-bit hash step.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash_start(seed: u64) -> u64 {
    mix(seed ^ 0x1B87_3593_u64)
}

/// One value into the hash; `+ 0.0` makes −0.0 and 0.0 hash alike.
fn hash_step(h: u64, v: f64) -> u64 {
    mix(h ^ (v + 0.0).to_bits())
}

/// The order in which inputs are used: ranked by a seeded hash of each input's whole content
/// (clean row, its views and target rows), ties (identical inputs) by index. Selecting the first
/// `m` of this order is a seeded subsample that does not depend on the row order of the snapshot.
pub(crate) fn input_order<'a>(
    online: Rows,
    views: Option<Views<'a>>,
    target: Option<Views<'a>>,
    seed: u64,
) -> Vec<usize> {
    let n = online.nrows();
    let mut keyed: Vec<(u64, usize)> = (0..n)
        .map(|i| {
            let mut h = online.fold_row(i, hash_start(seed), hash_step);
            for v in views.iter().chain(target.iter()) {
                h = v.fold_input(i, hash_start(h), hash_step);
            }
            (h, i)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A seeded per-input random number, independent of the row order (derived from the input's
/// content hash rank key): used for view pairing.
pub(crate) fn input_rng(seed: u64, position: usize, salt: u64) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed ^ salt).wrapping_add(position as u64)))
}

/// Rows scaled to unit l2 norm (rows of norm < 1e-12 are divided by 1e-12, as lightly does);
/// returns the number of such (near-)zero rows.
pub(crate) fn l2_normalise(x: &mut Array2<f64>) -> usize {
    let mut zero = 0;
    for mut r in x.rows_mut() {
        let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-12 {
            zero += 1;
        }
        let denom = norm.max(1e-12);
        r.mapv_inplace(|v| v / denom);
    }
    zero
}

/// A fitted linear reduction: `y = (x − mean) · axes`, or the identity.
#[derive(Debug, Clone)]
pub(crate) struct Reduction {
    /// None = identity (no reduction).
    pub mean: Option<Array1<f64>>,
    pub axes: Option<Array2<f64>>,
    /// Output dimension.
    pub dim: usize,
    /// Variance captured by each kept axis (descending), when reduced.
    pub variances: Vec<f64>,
    /// Kept axes with (numerically) zero variance: the data span fewer dimensions.
    pub zero_variance_axes: usize,
}

impl Reduction {
    pub fn identity(d: usize) -> Self {
        Reduction {
            mean: None,
            axes: None,
            dim: d,
            variances: Vec::new(),
            zero_variance_axes: 0,
        }
    }

    pub fn apply(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match (&self.mean, &self.axes) {
            (Some(m), Some(a)) => (&x - m).dot(a),
            _ => x.to_owned(),
        }
    }
}

/// Modified Gram–Schmidt on the columns of `q` (twice, for stability). Columns that become
/// numerically zero are set to zero (rank deficiency).
fn orthonormalise(q: &mut Array2<f64>) {
    // Work on rows of the transpose (contiguous).
    let mut t = q.t().as_standard_layout().into_owned();
    let l = t.nrows();
    for _pass in 0..2 {
        for j in 0..l {
            let (done, mut rest) = t.view_mut().split_at(Axis(0), j);
            let mut row = rest.row_mut(0);
            let orig = row.dot(&row).sqrt();
            for i in 0..j {
                let prev = done.row(i);
                let dot = prev.dot(&row);
                row.scaled_add(-dot, &prev);
            }
            let norm = row.dot(&row).sqrt();
            if norm <= 1e-10 * orig || norm == 0.0 || !norm.is_finite() {
                row.fill(0.0);
            } else {
                row.mapv_inplace(|v| v / norm);
            }
        }
    }
    q.assign(&t.t());
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi: (eigenvalues descending,
/// eigenvectors as columns in the same order).
pub(crate) fn symmetric_eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..100 {
        let mut off = 0.0;
        let mut diag = 0.0;
        for i in 0..n {
            diag += a[[i, i]] * a[[i, i]];
            for j in i + 1..n {
                off += a[[i, j]] * a[[i, j]];
            }
        }
        if off <= 1e-30 * diag.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[[p, q]];
                if apq.abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let akp = a[[k, p]];
                    let akq = a[[k, q]];
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let apk = a[[p, k]];
                    let aqk = a[[q, k]];
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let vkp = v[[k, p]];
                    let vkq = v[[k, q]];
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| a[[j, j]].total_cmp(&a[[i, i]]).then(i.cmp(&j)));
    let vals = idx.iter().map(|&i| a[[i, i]]).collect();
    let mut vecs = Array2::zeros((n, n));
    for (c, &i) in idx.iter().enumerate() {
        vecs.column_mut(c).assign(&v.column(i));
    }
    (vals, vecs)
}

/// PCA of the rows of `x` to `dim` axes (no reduction when `dim >= d`): centred, top axes found by
/// seeded randomised subspace iteration (oversampling 8, 4 power iterations) followed by an exact
/// eigen-decomposition of the covariance in the found subspace.
pub(crate) fn fit_pca(x: ArrayView2<f64>, dim: Option<usize>, seed: u64) -> Reduction {
    let (n, d) = x.dim();
    let p = match dim {
        Some(p) if p < d => p.max(1),
        _ => return Reduction::identity(d),
    };
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
    let xc = &x - &mean;
    let l = (p + 8).min(d).min(n.max(1));
    let mut rng = StdRng::seed_from_u64(mix(seed ^ 0x0CA0_0CA0));
    let omega = Array2::from_shape_fn((d, l), |_| StandardNormal.sample(&mut rng));
    let mut basis = omega; // d×l
    for _ in 0..4 {
        let mut y = xc.dot(&basis); // n×l
        orthonormalise(&mut y);
        basis = xc.t().dot(&y); // d×l
        orthonormalise(&mut basis);
    }
    let proj = xc.dot(&basis); // n×l
    let cov = proj.t().dot(&proj) / (n.max(2) - 1) as f64;
    let (vals, vecs) = symmetric_eigen(cov);
    let keep = p.min(l);
    let axes = basis.dot(&vecs.slice(s![.., ..keep]));
    let variances: Vec<f64> = vals[..keep].iter().map(|v| v.max(0.0)).collect();
    let top = variances.first().copied().unwrap_or(0.0);
    let zero_variance_axes = variances
        .iter()
        .filter(|&&v| v <= 1e-24 * top.max(f64::MIN_POSITIVE) || v == 0.0)
        .count();
    Reduction {
        mean: Some(mean),
        axes: Some(axes),
        dim: keep,
        variances,
        zero_variance_axes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn jacobi_recovers_eigenpairs() {
        let a = ndarray::array![[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]];
        let (vals, vecs) = symmetric_eigen(a.clone());
        for c in 0..3 {
            let v = vecs.column(c);
            let av = a.dot(&v);
            for i in 0..3 {
                assert!((av[i] - vals[c] * v[i]).abs() < 1e-12);
            }
        }
        assert!(vals[0] >= vals[1] && vals[1] >= vals[2]);
    }

    #[test]
    fn pca_keeps_a_low_rank_subspace_exactly() {
        // Rank-2 data in 10-d: the 2-axis PCA preserves all pairwise distances.
        let x = Array2::from_shape_fn((50, 10), |(i, j)| {
            let a = (i as f64 * 0.37).sin();
            let b = (i as f64 * 0.11).cos() * 2.0;
            a * (j as f64 + 1.0) / 10.0 + b * ((j % 3) as f64 - 1.0)
        });
        let r = fit_pca(x.view(), Some(2), 7);
        let y = r.apply(x.view());
        for i in 0..50 {
            for j in 0..50 {
                let dx = (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum();
                let dy = (&y.row(i) - &y.row(j)).mapv(|v| v * v).sum();
                assert!((dx - dy).abs() < 1e-9 * (1.0 + dx));
            }
        }
    }
}
