//! Gaussian-channel pairwise estimators (Kolchinsky & Tracey, "Estimating mixture entropy with
//! pairwise distances", Entropy 19, 2017).
//!
//! V_σ = V + σ·N(0, I). With V uniform on M points μ_i, V_σ is an equal-weight mixture of
//! N(μ_i, σ²I), and
//!
//! ```text
//! h(V_σ) − h(σN) ≈ −(1/M) Σ_i ln (1/M) Σ_j exp(−D(μ_i, μ_j))
//! ```
//!
//! is an upper bound with D = KL = ‖μ_i − μ_j‖²/(2σ²) and a lower bound with D = Bhattacharyya =
//! ‖μ_i − μ_j‖²/(8σ²) (so the Bhattacharyya functional at σ is the KL functional at 2σ). We
//! report this "information part" (the mixture entropy minus the noise entropy d/2·ln(2πeσ²)),
//! which lies in [0, ln M]. Every quantity of one family uses the same functional:
//! H(V) over the N·K online views, H(V|X) = mean over inputs of the functional over the input's
//! K views (in [0, ln K]), I(X;V) = H(V) − H(V|X); for the pair (V, V') over the K×K view pairs
//! of each input, the joint mixture in 2d factorises, H(V,V') is the same functional, and
//! I(V;V') = H(V) + H(V') − H(V,V'), H(V|V') = H(V,V') − H(V') (the noise terms cancel).
//! Single entropies are bounds; differences of bounds are estimates, not bounds.

use ndarray::{s, Array2, ArrayView2};

use super::discrete::sq_dist;

/// Squared distances of the rows of `q` to the rows of `x`, from Gram products; entries that
/// are small relative to the norms are recomputed exactly (so duplicates are exactly 0).
fn sq_distances(q: ArrayView2<f64>, x: ArrayView2<f64>) -> Array2<f64> {
    let q = q.as_standard_layout();
    let x = x.as_standard_layout();
    let qn: Vec<f64> = q.rows().into_iter().map(|r| r.dot(&r)).collect();
    let xn: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
    let mut d = q.dot(&x.t());
    for i in 0..q.nrows() {
        let qi = q.row(i);
        let qs = qi.as_slice().expect("standard layout");
        for j in 0..x.nrows() {
            let v = qn[i] + xn[j] - 2.0 * d[[i, j]];
            let tol = 1e-8 * (qn[i] + xn[j]);
            d[[i, j]] = if v < tol {
                let xj = x.row(j);
                sq_dist(qs, xj.as_slice().expect("standard layout"))
            } else {
                v
            };
        }
    }
    d
}

/// Precomputed squared distances of one network's views: query views (first `nq` inputs) to all
/// views, and within each input.
pub(crate) struct Distances {
    n: usize,
    k: usize,
    nq: usize,
    /// (nq·K) × (N·K).
    query: Array2<f64>,
    /// N × K × K within-input squared distances.
    within: Vec<f64>,
}

impl Distances {
    /// `u`: N·K rows (row x·K + a).
    pub fn new(u: ArrayView2<f64>, n: usize, k: usize, nq: usize) -> Self {
        let u = u.as_standard_layout();
        let query = sq_distances(u.slice(s![..nq * k, ..]), u.view());
        let mut within = vec![0.0; n * k * k];
        for x in 0..n {
            for a in 0..k {
                for b in a + 1..k {
                    let ra = u.row(x * k + a);
                    let rb = u.row(x * k + b);
                    let d = sq_dist(
                        ra.as_slice().expect("standard layout"),
                        rb.as_slice().expect("standard layout"),
                    );
                    within[(x * k + a) * k + b] = d;
                    within[(x * k + b) * k + a] = d;
                }
            }
        }
        Distances {
            n,
            k,
            nq,
            query,
            within,
        }
    }
}

/// The functional at one width s (KL at σ = s; Bhattacharyya at σ = s/2).
pub(crate) struct Kernel {
    /// Per input: −(1/K) Σ_a ln (1/K) Σ_c e(v_xa, v_xc): H(V|X=x).
    pub hx: Vec<f64>,
    /// (nq·K) × N: A[q, y] = (1/K) Σ_c e(v_q, v_yc).
    pub a: Array2<f64>,
}

impl Kernel {
    /// The functional at width `s`. `e` holds exp(−D/(2s'²)) for the query distances at the
    /// previous (larger) width s' when one was computed; if s' = 2s exactly, the new values are
    /// its fourth powers (two squarings instead of an exp per entry). On return `e` holds the
    /// values at `s`.
    pub fn new(dist: &Distances, s: f64, e: &mut Option<(Vec<f64>, f64)>) -> Self {
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
        let query = dist
            .query
            .as_slice()
            .expect("distances are in standard layout");
        let vals = match e.take() {
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
        *e = Some((vals, s));
        Kernel { hx, a }
    }

    /// H(V) info part over the query views, with input multiplicities `m` (all ones = sample).
    pub fn h_v(&self, k: usize, m: &[f64]) -> Option<f64> {
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

    /// H(V|X) = weighted mean of the per-input values.
    pub fn h_vx(&self, m: &[f64]) -> f64 {
        let total: f64 = m.iter().sum();
        self.hx.iter().zip(m).map(|(h, w)| h * w).sum::<f64>() / total
    }
}

/// H(V, V') info part over the K×K pairs of the query inputs (sample weights).
pub(crate) fn h_joint(v: &Kernel, w: &Kernel, k: usize) -> f64 {
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
