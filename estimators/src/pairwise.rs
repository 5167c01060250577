//! Pairwise-distance bounds on the entropy of a Gaussian mixture (Kolchinsky & Tracey,
//! "Estimating mixture entropy with pairwise distances", Entropy 19(7):361, 2017), in nats.
//!
//! The Gaussian channel V_σ = V + σ·N(0, I_d), with V uniform on M points μ_i, is an
//! equal-weight mixture of N(μ_i, σ²I), and
//!
//! ```text
//! Ĥ_D = −(1/M) Σ_i ln (1/M) Σ_j exp(−D(μ_i, μ_j))
//! ```
//!
//! bounds its "information part" h(V_σ) − h(σN) (the mixture entropy minus the noise entropy
//! d/2·ln(2πeσ²)) from above with D = KL = ‖μ_i − μ_j‖²/(2σ²) and from below with D =
//! Bhattacharyya = ‖μ_i − μ_j‖²/(8σ²). The Bhattacharyya functional at σ is the KL functional at
//! 2σ, so one kernel at widths σ and 2σ gives both. Both lie in [0, ln M].
//!
//! - [`entropy_bounds`]: both bounds for the rows of one matrix (M = N points).
//! - [`ViewDistances`], [`Kernel`], [`joint_entropy`]: the building blocks for N inputs with K
//!   views each (N·K mixture components): H(V) over query views, H(V|X) as the mean over inputs
//!   of the functional over the input's K views (in [0, ln K]), and the joint H(V, V') of two
//!   networks over the K×K view pairs of each input (the joint mixture in 2d factorises, so it is
//!   the same functional). Differences of bounds (I(X;V) = H(V) − H(V|X), I(V;V') = H(V) +
//!   H(V') − H(V,V')) are estimates, not bounds. Input multiplicities (bootstrap weights) enter
//!   H(V) and H(V|X) as weights.

use ndarray::{s, Array2, ArrayView2};

use crate::error::{check_matrix, EstimatorError};
use crate::knn::neighbors::sq_euclid;

/// The rows of `a` in row-major order, whatever the layout of `a` (one column, a transposed
/// or sliced view, ...).
fn row_major(a: ArrayView2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

/// Squared distances of the rows of `q` to the rows of `x`, row-major (q.nrows() × x.nrows()),
/// from Gram products; entries that are small relative to the norms are recomputed exactly (so
/// duplicates are exactly 0), and so are entries the Gram form cannot give (a norm beyond the
/// f64 range gives ∞ − ∞; the exact sum is then +∞: far apart at any width).
fn sq_distances(q: ArrayView2<f64>, x: ArrayView2<f64>) -> Vec<f64> {
    let q = q.as_standard_layout();
    let x = x.as_standard_layout();
    let d = q.ncols();
    let (qf, xf) = (row_major(q.view()), row_major(x.view()));
    let qn: Vec<f64> = q.rows().into_iter().map(|r| r.dot(&r)).collect();
    let xn: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
    let g = q.dot(&x.t());
    let (nq, nx) = (q.nrows(), x.nrows());
    let mut out = Vec::with_capacity(nq * nx);
    for i in 0..nq {
        let qs = &qf[i * d..(i + 1) * d];
        for j in 0..nx {
            let v = qn[i] + xn[j] - 2.0 * g[[i, j]];
            let tol = 1e-8 * (qn[i] + xn[j]);
            out.push(if v < tol || v.is_nan() {
                sq_euclid(qs, &xf[j * d..(j + 1) * d])
            } else {
                v
            });
        }
    }
    out
}

/// Squared Euclidean distances of the views of N inputs (K views each), computed once for
/// every width: the views of the first `nq` inputs (the query points) to all N·K views, and the
/// K×K distances within each input.
#[derive(Debug, Clone)]
pub struct ViewDistances {
    n: usize,
    k: usize,
    nq: usize,
    /// (nq·K) × (N·K), row-major.
    query: Vec<f64>,
    /// N × K × K within-input squared distances.
    within: Vec<f64>,
}

impl ViewDistances {
    /// `u`: the N·K views, row `x·K + a` holding view a of input x, in any memory layout; the
    /// first `nq` inputs are the query points (cost ∝ nq·K·N·K·d).
    ///
    /// Panics if `u` does not have N·K rows, or `nq` is 0 or more than N.
    pub fn new(u: ArrayView2<f64>, n: usize, k: usize, nq: usize) -> Self {
        assert_eq!(u.nrows(), n * k, "u must have n·k rows");
        assert!(nq >= 1 && nq <= n, "need 1 ≤ nq ≤ n");
        let query = sq_distances(u.slice(s![..nq * k, ..]), u);
        let d = u.ncols();
        let flat = row_major(u);
        let row = |i: usize| &flat[i * d..(i + 1) * d];
        let mut within = vec![0.0; n * k * k];
        for x in 0..n {
            for a in 0..k {
                for b in a + 1..k {
                    let dist = sq_euclid(row(x * k + a), row(x * k + b));
                    within[(x * k + a) * k + b] = dist;
                    within[(x * k + b) * k + a] = dist;
                }
            }
        }
        ViewDistances {
            n,
            k,
            nq,
            query,
            within,
        }
    }
}

/// The kernel values `exp(−‖·‖²/(2s²))` of the query distances at the last width computed,
/// reused by the next [`Kernel::new`] when that width is exactly half of it.
#[derive(Debug, Clone, Default)]
pub struct KernelCache(Option<(Vec<f64>, f64)>);

/// The pairwise functional at one width s: the KL functional at σ = s, or the Bhattacharyya
/// functional at σ = s/2.
#[derive(Debug, Clone)]
pub struct Kernel {
    k: usize,
    /// Per input: −(1/K) Σ_a ln (1/K) Σ_c e(v_xa, v_xc), H(V|X=x).
    hx: Vec<f64>,
    /// (nq·K) × N: A[q, y] = (1/K) Σ_c e(v_q, v_yc).
    a: Array2<f64>,
}

impl Kernel {
    /// The functional at width `s` > 0, `e(u, v) = exp(−‖u − v‖²/(2s²))`. `cache` carries the
    /// query kernel values from one width to the next: when the previous width was exactly 2s
    /// the new values are their fourth powers (two squarings instead of an exp per entry), so
    /// compute the widths in decreasing order with one cache per [`ViewDistances`].
    pub fn new(dist: &ViewDistances, s: f64, cache: &mut KernelCache) -> Self {
        let (n, k) = (dist.n, dist.k);
        let c = 1.0 / (2.0 * s * s);
        let kf = k as f64;
        let hx = (0..n)
            .map(|x| {
                let mut h = 0.0;
                for a in 0..k {
                    let base = (x * k + a) * k;
                    let sum: f64 = dist.within[base..base + k]
                        .iter()
                        .map(|&d| (-d * c).exp())
                        .sum();
                    h -= (sum / kf).ln();
                }
                h / kf
            })
            .collect();
        let query = &dist.query;
        let vals = match cache.0.take() {
            Some((mut v, prev)) if prev == 2.0 * s => {
                v.iter_mut().for_each(|x| {
                    let sq = *x * *x;
                    *x = sq * sq;
                });
                v
            }
            _ => query
                .iter()
                .map(|&d| {
                    let t = d * c;
                    if t > 745.0 {
                        0.0
                    } else {
                        (-t).exp()
                    }
                })
                .collect(),
        };
        let nk = n * k;
        let mut a = Array2::zeros((dist.nq * k, n));
        for q in 0..dist.nq * k {
            let row = &vals[q * nk..(q + 1) * nk];
            for y in 0..n {
                a[[q, y]] = row[y * k..(y + 1) * k].iter().sum::<f64>() / kf;
            }
        }
        cache.0 = Some((vals, s));
        Kernel { k, hx, a }
    }

    /// H(V), information part (nats), over the query views with input multiplicities `m`
    /// (length N; all ones for the sample itself):
    ///
    /// ```text
    /// H(V) = −Σ_{x<nq} m_x Σ_a ln( Σ_y m_y A[xK+a, y] / Σ_y m_y ) / (K Σ_{x<nq} m_x)
    /// ```
    ///
    /// `None` when every query input has multiplicity 0.
    pub fn h_v(&self, m: &[f64]) -> Option<f64> {
        let k = self.k;
        let nq = self.a.nrows() / k;
        let total: f64 = m.iter().sum();
        let mut acc = 0.0;
        let mut wq = 0.0;
        for x in 0..nq {
            if m[x] == 0.0 {
                continue;
            }
            for a in 0..k {
                let row = self.a.row(x * k + a);
                let inner: f64 = row.iter().zip(m).map(|(v, w)| v * w).sum::<f64>() / total;
                acc -= m[x] * inner.ln();
            }
            wq += m[x] * k as f64;
        }
        (wq > 0.0).then(|| acc / wq)
    }

    /// H(V|X) (nats): the mean over inputs, weighted by the multiplicities `m`, of the
    /// functional over each input's K views.
    pub fn h_vx(&self, m: &[f64]) -> f64 {
        let total: f64 = m.iter().sum();
        self.hx.iter().zip(m).map(|(h, w)| h * w).sum::<f64>() / total
    }
}

/// H(V, V'), information part (nats), over the K×K pairs (view a of V, view b of V') of each
/// query input, from the kernels of V and V' at the same width (sample weights).
///
/// Panics if the kernels come from view sets of different shapes.
pub fn joint_entropy(v: &Kernel, w: &Kernel) -> f64 {
    assert_eq!(v.a.dim(), w.a.dim(), "kernels of different view sets");
    let k = v.k;
    let nq = v.a.nrows() / k;
    let n = v.a.ncols() as f64;
    let mut acc = 0.0;
    for x in 0..nq {
        for a in 0..k {
            let ra = v.a.row(x * k + a);
            for b in 0..k {
                let rb = w.a.row(x * k + b);
                let inner = ra.dot(&rb) / n;
                acc -= inner.ln();
            }
        }
    }
    acc / (nq * k * k) as f64
}

/// Lower and upper pairwise bounds on the information part of a Gaussian-mixture entropy
/// (nats), see [`entropy_bounds`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntropyBounds {
    /// Bhattacharyya bound, ≤ h(V_σ) − h(σN).
    pub lower: f64,
    /// KL bound, ≥ h(V_σ) − h(σN).
    pub upper: f64,
}

/// Both pairwise bounds for the equal-weight mixture of N(μ_i, σ²I) over the rows μ_i of `x`
/// (N×d), information part h(V_σ) − d/2·ln(2πeσ²), in nats, each in [0, ln N]:
///
/// ```text
/// upper = −(1/N) Σ_i ln (1/N) Σ_j exp(−‖μ_i − μ_j‖²/(2σ²))     (KL)
/// lower = −(1/N) Σ_i ln (1/N) Σ_j exp(−‖μ_i − μ_j‖²/(8σ²))     (Bhattacharyya)
/// ```
///
/// Points much farther apart than σ give ln N (the mixture components do not overlap);
/// coincident points give 0. Cost O(N²·d).
///
/// Errors: empty or non-finite `x`, σ not finite and > 0.
///
/// ```
/// use ndarray::array;
/// use ib_estimators::pairwise::entropy_bounds;
/// // Four points 1 apart: at σ = 0.01 the components are disjoint, H = ln 4.
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let b = entropy_bounds(x.view(), 0.01).unwrap();
/// assert!((b.lower - 4f64.ln()).abs() < 1e-12 && (b.upper - 4f64.ln()).abs() < 1e-12);
/// // At σ = 1 they overlap: 0 ≤ lower ≤ upper < ln 4.
/// let b = entropy_bounds(x.view(), 1.0).unwrap();
/// assert!(0.0 <= b.lower && b.lower <= b.upper && b.upper < 4f64.ln());
/// ```
pub fn entropy_bounds(x: ArrayView2<f64>, sigma: f64) -> Result<EntropyBounds, EstimatorError> {
    check_matrix(x)?;
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(EstimatorError::InvalidParameter {
            name: "sigma",
            reason: format!("the noise width must be finite and > 0, got {sigma}"),
        });
    }
    let n = x.nrows();
    let dist = ViewDistances::new(x, n, 1, n);
    let ones = vec![1.0; n];
    let mut cache = KernelCache::default();
    let at = |s: f64, cache: &mut KernelCache| {
        Kernel::new(&dist, s, cache)
            .h_v(&ones)
            .expect("every input is a query with weight 1")
    };
    let lower = at(2.0 * sigma, &mut cache);
    let upper = at(sigma, &mut cache);
    Ok(EntropyBounds { lower, upper })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bounds_are_ordered_and_match_the_formula() {
        let x = array![[0.0, 0.0], [0.5, 0.1], [1.5, -0.2], [0.2, 0.9], [2.0, 2.0]];
        let n = x.nrows() as f64;
        let direct = |div: f64| {
            let mut acc = 0.0;
            for i in 0..x.nrows() {
                let s: f64 = (0..x.nrows())
                    .map(|j| (-(&x.row(i) - &x.row(j)).mapv(|v| v * v).sum() / div).exp())
                    .sum();
                acc -= (s / n).ln();
            }
            acc / n
        };
        for sigma in [0.1, 0.4, 1.0, 3.0] {
            let b = entropy_bounds(x.view(), sigma).unwrap();
            assert!((b.upper - direct(2.0 * sigma * sigma)).abs() < 1e-13);
            assert!((b.lower - direct(8.0 * sigma * sigma)).abs() < 1e-13);
            assert!(0.0 <= b.lower && b.lower <= b.upper && b.upper <= n.ln() + 1e-15);
        }
        assert!(entropy_bounds(x.view(), 0.0).is_err());
    }

    #[test]
    fn views_within_and_across_inputs() {
        // 3 inputs × 2 views: the views of one input coincide, inputs are far apart.
        let u = array![[0.0], [0.0], [10.0], [10.0], [20.0], [20.0]];
        let dist = ViewDistances::new(u.view(), 3, 2, 3);
        let mut cache = KernelCache::default();
        let kern = Kernel::new(&dist, 0.1, &mut cache);
        let ones = [1.0; 3];
        // Two equal views per input: H(V) = ln 3, H(V|X) = 0, H(V,V') = ln 3.
        assert!((kern.h_v(&ones).unwrap() - 3f64.ln()).abs() < 1e-12);
        assert!(kern.h_vx(&ones).abs() < 1e-12);
        assert!((joint_entropy(&kern, &kern) - 3f64.ln()).abs() < 1e-12);
        // The halved width from the cache equals a fresh computation.
        let half = Kernel::new(&dist, 0.05, &mut cache);
        let fresh = Kernel::new(&dist, 0.05, &mut KernelCache::default());
        let (h, f) = (half.h_v(&ones).unwrap(), fresh.h_v(&ones).unwrap());
        assert!((h - f).abs() < 1e-14);
        // Weights: an input with multiplicity 0 is left out.
        assert_eq!(kern.h_v(&[0.0, 0.0, 0.0]), None);
    }

    #[test]
    fn any_layout_gives_the_same_kernel() {
        // One column, a column-major copy, a transposed view and a strided slice: the same
        // values in other layouts (N×1 inputs once panicked on a layout assumption).
        let u = ndarray::Array2::from_shape_fn((12, 3), |(i, j)| ((i * 7 + j * 5) % 11) as f64);
        let reference = |m: ArrayView2<f64>, n: usize, k: usize| {
            let std = m.as_standard_layout().into_owned();
            let d = ViewDistances::new(std.view(), n, k, 2);
            let kern = Kernel::new(&d, 0.7, &mut KernelCache::default());
            (kern.h_v(&vec![1.0; n]).unwrap(), kern.h_vx(&vec![1.0; n]))
        };
        let check = |m: ArrayView2<f64>, n: usize, k: usize| {
            let d = ViewDistances::new(m, n, k, 2);
            let kern = Kernel::new(&d, 0.7, &mut KernelCache::default());
            let got = (kern.h_v(&vec![1.0; n]).unwrap(), kern.h_vx(&vec![1.0; n]));
            assert_eq!(got, reference(m, n, k));
        };
        let col = u.column(0).insert_axis(ndarray::Axis(1)).to_owned();
        check(col.view(), 6, 2);
        check(col.view(), 12, 1);
        let fortran = u.t().as_standard_layout().into_owned().reversed_axes();
        check(fortran.view(), 4, 3);
        let t = u.t().to_owned();
        check(t.t(), 6, 2);
        check(u.slice(s![..;2, ..]), 3, 2);
        check(u.slice(s![.., 1..2]), 12, 1);
        for sigma in [0.01, 1.0] {
            let b = entropy_bounds(col.view(), sigma).unwrap();
            assert!(b.lower.is_finite() && b.upper.is_finite());
        }
    }

    #[test]
    fn distances_beyond_the_f64_range_are_far_apart() {
        // Squared norms of 1e200 overflow: the Gram form would give ∞ − ∞ = NaN.
        let x = array![[1e200, 0.0], [-1e200, 1e200], [0.0, 3e200], [1e200, 0.0]];
        let b = entropy_bounds(x.view(), 0.2).unwrap();
        // Three distinct points (one duplicate): −(2·ln(2/4) + 2·ln(1/4))/4.
        let want = -(2.0 * 0.5f64.ln() + 2.0 * 0.25f64.ln()) / 4.0;
        assert!((b.upper - want).abs() < 1e-12 && (b.lower - want).abs() < 1e-12);
    }
}
