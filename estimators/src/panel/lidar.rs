//! LiDAR: the effective rank of the linear-discriminant matrix of views (Thilak, Huang, Saremi,
//! Dinh, Goh, Susskind, Littwin & Zhai, "LiDAR: Sensing Linear Probing Performance in Joint
//! Embedding SSL Architectures", ICLR 2024).
//!
//! Each of N′ inputs is seen in K views (augmentations) v_ia ∈ ℝ^d. With μ_i the mean of input
//! i's views and μ the mean of the μ_i:
//!
//! ```text
//! Σ_b     = Σ_i (μ_i − μ)(μ_i − μ)ᵀ / (N′ − 1)                         between inputs
//! Σ_w     = Σ_i Σ_a (v_ia − μ_i)(v_ia − μ_i)ᵀ / (N′(K − 1)) + δI,  δ = 1e-6   within inputs
//! Σ_lidar = Σ_w^{−½} Σ_b Σ_w^{−½}        (symmetric inverse square root)
//! p_k     = λ_k / Σ_j λ_j + ε,  ε = 1e-7,  over the d eigenvalues λ_k of Σ_lidar clipped at 0
//! LiDAR   = exp(−Σ_k p_k ln p_k)
//! ```
//!
//! LiDAR counts the directions in which inputs are told apart relative to how much their own
//! views scatter, from ≈ 1 to ≈ min(N′ − 1, d). It is dimensionless and, δ aside, does not
//! change when the embedding is scaled; δ is an absolute ridge, so on embeddings whose
//! within-input scatter is far below 1e-6 (per direction) LiDAR measures Σ_b alone.
//!
//! reptrix 0.1.0 (`get_lidar`) differs in three ways, so its numbers are not these: it sums
//! Σ_b without the divisor N′ − 1 and averages Σ_w over inputs without the divisor K − 1 (which
//! changes δ's weight), and it takes the "eigenvalues" of Σ_lidar as the explained-variance ratios
//! of a PCA of Σ_lidar's rows — the eigenvalues of the covariance of the column-centred rows,
//! close to the *squares* of Σ_lidar's eigenvalues, a more concentrated distribution and so a
//! smaller effective rank. The paper defines LiDAR from the eigenvalues of Σ_lidar itself, as
//! here.

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView3, Axis, CowArray, Ix3};
use rayon::prelude::*;

use crate::error::EstimatorError;
use crate::gram;
use crate::linalg::{cholesky_lower, symmetric_eigen_lower, symmetric_eigenvalues_lower};
use crate::normalize::{exponent_for, max_abs, pow2};
use crate::spectral::effective_rank;

/// The ridge δ added to Σ_w (Thilak et al. 2024).
pub const LIDAR_DELTA: f64 = 1e-6;

/// The ε added to each normalised eigenvalue (= [`crate::spectral::RANKME_EPS`]).
pub const LIDAR_EPS: f64 = 1e-7;

/// Inputs whose views are added to Σ_w at a time (a fixed partition, so the sums do not depend
/// on the number of threads).
const BLOCK_INPUTS: usize = 64;

/// Inputs per parallel task of the whitening of the mean views.
const BLOCK_COLUMNS: usize = 32;

/// LiDAR of `views` (N′×K×d: input i's K views in `views[i, .., ..]`), as the module
/// documentation defines it.
///
/// Computed without forming Σ_lidar. With M the N′×d matrix of rows μ_i − μ, Σ_b = MᵀM/(N′ − 1)
/// and Σ_lidar = Σ_w^{−½} MᵀM Σ_w^{−½}/(N′ − 1) has the non-zero eigenvalues of
/// M Σ_w⁻¹ Mᵀ/(N′ − 1) = AAᵀ/(N′ − 1), A = M L⁻ᵀ with the Cholesky factor Σ_w = L Lᵀ: one
/// d×d Cholesky factorisation, a triangular solve for the N′ rows, and the eigenvalues of the
/// N′×N′ matrix AAᵀ (the d×d AᵀA when N′ > d), instead of a d×d eigen-decomposition, two d×d
/// products and a second d×d eigenvalue problem. The d − N′ eigenvalues that AAᵀ lacks are 0
/// and enter the sum as p_k = ε. When the factorisation fails (δ below the rounding of Σ_w's
/// largest entries) A = M U W' comes from the eigen-decomposition Σ_w − δI = U diag(ω) Uᵀ
/// instead, W' = diag(((ω_min + δ)/(ω_k + δ))^{½}) with rounding-negative ω_k counted as 0; the
/// effective rank does not change when every λ_k is multiplied by the same factor, so the
/// factor (ω_min + δ) and 1/(N′ − 1) are left out. Entries outside [2⁻²⁵⁵, 2²⁵⁵] are first
/// scaled by a power of two 2^e, and δ with them by 4^e, which leaves Σ_lidar unchanged; if δ·4^e
/// leaves the normal f64 range, the eigen-decomposition route takes its limit (0 or ∞).
///
/// Deterministic: Σ_w is summed in fixed blocks of inputs ([`crate::gram::add_lower`]), the
/// solves and products run in fixed blocks of inputs, the factorisation sequentially and the
/// eigen-decompositions as a fixed number of tasks, so the bits do not depend on the number of
/// threads.
///
/// Errors: an empty array ([`EstimatorError::EmptyInput`]); a non-finite entry
/// ([`EstimatorError::NonFinite`], `row` = i·K + a, the row of the views listed input by input
/// as an N′K×d matrix, `col` = the coordinate); K = 1, N′ = 1, or input means that all coincide
/// (Σ_b = 0) ([`EstimatorError::Degenerate`]).
///
/// ```
/// use ndarray::Array3;
/// // 3 inputs with means on the axes of ℝ³, views ±0.1 along each axis: Σ_w ∝ I, and LiDAR is
/// // the effective rank of Σ_b's eigenvalues (2 equal ones and a 0): ≈ 2.
/// let mut v = Array3::<f64>::zeros((3, 6, 3));
/// for i in 0..3 {
///     for a in 0..6 {
///         v[[i, a, i]] += 1.0;
///         v[[i, a, a / 2]] += if a % 2 == 0 { 0.1 } else { -0.1 };
///     }
/// }
/// let l = ib_estimators::panel::lidar::lidar(v.view()).unwrap();
/// assert!((l - 2.0).abs() < 1e-5);
/// ```
pub fn lidar(views: ArrayView3<f64>) -> Result<f64, EstimatorError> {
    let (n, k, d) = views.dim();
    if n == 0 || k == 0 || d == 0 {
        return Err(EstimatorError::EmptyInput);
    }
    for (i, input) in views.outer_iter().enumerate() {
        for (a, view) in input.outer_iter().enumerate() {
            if let Some(col) = view.iter().position(|x| !x.is_finite()) {
                return Err(EstimatorError::NonFinite {
                    row: i * k + a,
                    col,
                });
            }
        }
    }
    if k < 2 {
        return Err(EstimatorError::Degenerate {
            reason: "K = 1 view per input: LiDAR needs at least 2 (the scatter of an input's \
                     views around their mean)"
                .into(),
        });
    }
    if n < 2 {
        return Err(EstimatorError::Degenerate {
            reason: "1 input: LiDAR needs at least 2 inputs (the scatter between their mean \
                     views)"
                .into(),
        });
    }
    let parts = Parts::of(views)?;
    let a_t = match whitened_by_cholesky(&parts) {
        Some(x) => x,
        None => whitened_by_eigen(&parts)?,
    };
    lidar_of(a_t.as_ref())
}

/// What both computations of the whitened means start from.
struct Parts {
    /// M: the rows μ_i − μ (N′×d), in the units of the scaled data.
    m: Mat<f64>,
    /// N′(K − 1)·(Σ_w − δI) in its lower triangle (d×d).
    scatter: Mat<f64>,
    /// N′(K − 1).
    divisor: f64,
    /// δ' = δ·4^e: the ridge in the units of the data scaled by 2^e (may be 0 or ∞).
    delta: f64,
}

impl Parts {
    /// `views` (validated: N′ ≥ 2, K ≥ 2, finite) scaled by 2^e when their entries need it.
    fn of(views: ArrayView3<f64>) -> Result<Parts, EstimatorError> {
        let (n, k, d) = views.dim();
        let e = exponent_for(max_abs(views.iter()));
        let views: CowArray<'_, f64, Ix3> = if e == 0 {
            views.into()
        } else {
            let f = pow2(e);
            views.mapv(|x| x * f).into()
        };
        let views = views.view();

        // μ_i (rows of `means`), μ, and M = rows μ_i − μ.
        let means: Array2<f64> = views.sum_axis(Axis(1)) / k as f64;
        let first = means.row(0);
        if means.outer_iter().all(|m| m == first) {
            return Err(EstimatorError::Degenerate {
                reason: format!(
                    "the {n} inputs' mean views coincide: the scatter between inputs Σ_b is 0 \
                     and LiDAR is undefined"
                ),
            });
        }
        let grand = means.sum_axis(Axis(0)) / n as f64;
        let m = Mat::<f64>::from_fn(n, d, |i, j| means[[i, j]] - grand[j]);

        // Σ_i Σ_a (v_ia − μ_i)(v_ia − μ_i)ᵀ, lower triangle, in fixed blocks of inputs. Each
        // block is stored as a row-major (rows × d) matrix: the transpose of a column-major
        // d × rows one.
        let mut scatter = Mat::<f64>::zeros(d, d);
        let mut start = 0;
        while start < n {
            let end = (start + BLOCK_INPUTS).min(n);
            let rows = (end - start) * k;
            let block_t = Mat::<f64>::from_fn(d, rows, |j, r| {
                let (i, a) = (start + r / k, r % k);
                views[[i, a, j]] - means[[i, j]]
            });
            gram::add_lower(scatter.as_mut(), block_t.as_ref().transpose());
            start = end;
        }
        let f = pow2(e);
        Ok(Parts {
            m,
            scatter,
            divisor: (n * (k - 1)) as f64,
            delta: LIDAR_DELTA * f * f,
        })
    }
}

/// Aᵀ = L⁻¹Mᵀ (d×N′) with Σ_w = L Lᵀ (Cholesky), so that AAᵀ = M Σ_w⁻¹ Mᵀ; `None` when δ'
/// is not a normal number or Σ_w is not positive definite in floating point (δ' below the
/// rounding of Σ_w's largest entries).
fn whitened_by_cholesky(p: &Parts) -> Option<Mat<f64>> {
    if !p.delta.is_finite() || p.delta < f64::MIN_POSITIVE {
        return None;
    }
    let d = p.scatter.nrows();
    let mut sw = Mat::<f64>::zeros(d, d);
    for j in 0..d {
        for i in j..d {
            sw[(i, j)] = p.scatter[(i, j)] / p.divisor;
        }
        sw[(j, j)] += p.delta;
    }
    let l = cholesky_lower(sw)?;
    let mut x = p.m.transpose().to_owned();
    by_column_blocks(x.as_mut(), |_, block| {
        solve_lower_triangular_in_place(l.as_ref(), block, Par::Seq);
    });
    Some(x)
}

/// Aᵀ = W' Uᵀ Mᵀ (d×N′) from the eigen-decomposition Σ_w − δI = U diag(ω) Uᵀ, with
/// W'_k = ((ω_min + δ')/(ω_k + δ'))^{½} ∈ [0, 1] (ω_k clipped at 0), so that AAᵀ is
/// (ω_min + δ')·M Σ_w⁻¹ Mᵀ. δ' may overflow (data far below δ: every weight is 1) or underflow
/// to 0 (data so large that δ is negligible: with a singular Σ_w the null directions get
/// weight 1 and the others their limit 0).
fn whitened_by_eigen(p: &Parts) -> Result<Mat<f64>, EstimatorError> {
    let (omega, u) =
        symmetric_eigen_lower(p.scatter.as_ref()).ok_or_else(|| not_converged("Σ_w"))?;
    let omega: Vec<f64> = omega.iter().map(|&w| w.max(0.0) / p.divisor).collect();
    let delta = p.delta;
    let floor = omega.iter().copied().fold(f64::INFINITY, f64::min) + delta;
    let weights: Vec<f64> = omega
        .iter()
        .map(|&w| {
            if delta == f64::INFINITY {
                1.0
            } else if floor == 0.0 {
                if w == 0.0 {
                    1.0
                } else {
                    0.0
                }
            } else {
                (floor / (w + delta)).sqrt()
            }
        })
        .collect();
    let (n, d) = (p.m.nrows(), p.m.ncols());
    let mut x = Mat::<f64>::zeros(d, n);
    by_column_blocks(x.as_mut(), |c0, block| {
        let w = block.ncols();
        matmul(
            block,
            Accum::Replace,
            u.as_ref().transpose(),
            p.m.as_ref().subrows(c0, w).transpose(),
            1.0,
            Par::Seq,
        );
    });
    for i in 0..n {
        for (j, w) in weights.iter().enumerate() {
            x[(j, i)] *= w;
        }
    }
    Ok(x)
}

/// Runs `f(first column, block)` on consecutive blocks of [`BLOCK_COLUMNS`] columns of `x` as
/// parallel tasks: a partition fixed by the shape, each block computed sequentially.
fn by_column_blocks(x: MatMut<'_, f64>, f: impl Fn(usize, MatMut<'_, f64>) + Sync) {
    let n = x.ncols();
    let mut blocks: Vec<(usize, MatMut<'_, f64>)> = Vec::with_capacity(n.div_ceil(BLOCK_COLUMNS));
    let mut rest = x;
    let mut c0 = 0;
    while c0 < n {
        let w = BLOCK_COLUMNS.min(n - c0);
        let (head, tail) = rest.split_at_col_mut(w);
        blocks.push((c0, head));
        rest = tail;
        c0 += w;
    }
    blocks
        .into_par_iter()
        .with_max_len(1)
        .for_each(|(c0, block)| f(c0, block));
}

/// LiDAR from Aᵀ (d×N′): the effective rank of the d eigenvalues of AᵀA — the non-zero ones
/// from the smaller of AAᵀ (N′×N′) and AᵀA (d×d), clipped at 0, and zeros for the rest.
fn lidar_of(a_t: MatRef<'_, f64>) -> Result<f64, EstimatorError> {
    let (d, n) = (a_t.nrows(), a_t.ncols());
    let mut lambda = if n <= d {
        let mut g = Mat::<f64>::zeros(n, n);
        gram::add_lower(g.as_mut(), a_t);
        symmetric_eigenvalues_lower(g.as_ref())
    } else {
        let mut g = Mat::<f64>::zeros(d, d);
        gram::add_lower(g.as_mut(), a_t.transpose());
        symmetric_eigenvalues_lower(g.as_ref())
    };
    if lambda.iter().any(|l| l.is_nan()) {
        return Err(not_converged("the LiDAR matrix"));
    }
    lambda.iter_mut().for_each(|l| *l = l.max(0.0));
    lambda.resize(d, 0.0);
    if lambda.iter().all(|&l| l == 0.0) {
        return Err(EstimatorError::Degenerate {
            reason: "the LiDAR matrix Σ_w^{−½} Σ_b Σ_w^{−½} is 0: no direction separates the \
                     inputs"
                .into(),
        });
    }
    Ok(effective_rank(&lambda))
}

fn not_converged(what: &str) -> EstimatorError {
    EstimatorError::Degenerate {
        reason: format!("the eigen-decomposition of {what} did not converge"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::symmetric_eigenvalues;
    use ndarray::{Array1, Array3};
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian(shape: (usize, usize, usize), seed: u64) -> Array3<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Array3::from_shape_simple_fn(shape, || StandardNormal.sample(&mut rng))
    }

    /// The definition written out with d×d matrices: Σ_b, Σ_w + δI, its inverse square root
    /// from its eigen-decomposition, Σ_lidar and the effective rank of its eigenvalues.
    fn lidar_dense(views: ArrayView3<f64>) -> f64 {
        let (n, k, d) = views.dim();
        let means = views.mean_axis(Axis(1)).unwrap();
        let grand = means.mean_axis(Axis(0)).unwrap();
        let mc = &means - &grand;
        let sb = mc.t().dot(&mc) / (n - 1) as f64;
        let mut sw = Array2::<f64>::zeros((d, d));
        for i in 0..n {
            let r = &views.index_axis(Axis(0), i) - &means.row(i);
            sw = sw + r.t().dot(&r);
        }
        sw = sw / (n * (k - 1)) as f64 + Array2::<f64>::eye(d) * LIDAR_DELTA;
        let e = crate::linalg::symmetric_eigen(sw.view());
        let inv_sqrt = Array1::from_iter(e.values.iter().map(|w| 1.0 / w.sqrt()));
        let s = &e.vectors * &inv_sqrt;
        let root = s.dot(&e.vectors.t());
        let sl = root.dot(&sb).dot(&root);
        let l: Vec<f64> = symmetric_eigenvalues(sl.view())
            .into_iter()
            .map(|x| x.max(0.0))
            .collect();
        effective_rank(&l)
    }

    /// Views μ_i ± s·e_j (K = 2d): the within-input scatter is 2s²/(2d − 1)·I.
    fn isotropic_views(means: &Array2<f64>, s: f64) -> Array3<f64> {
        let (n, d) = means.dim();
        Array3::from_shape_fn((n, 2 * d, d), |(i, a, j)| {
            let sign = if a % 2 == 0 { s } else { -s };
            means[[i, j]] + if a / 2 == j { sign } else { 0.0 }
        })
    }

    #[test]
    fn within_scatter_proportional_to_identity_gives_the_effective_rank_of_sigma_b() {
        for (n, d, seed) in [(10usize, 4usize, 1u64), (6, 12, 2), (40, 30, 3)] {
            let mut rng = StdRng::seed_from_u64(seed);
            // Means with a decaying spectrum, so the effective rank is not just min(N′ − 1, d).
            let means = Array2::from_shape_fn((n, d), |(_, j)| {
                let g: f64 = StandardNormal.sample(&mut rng);
                g * 0.7f64.powi(j as i32)
            });
            let views = isotropic_views(&means, 0.3);
            let grand = means.mean_axis(Axis(0)).unwrap();
            let mc = &means - &grand;
            let sb = mc.t().dot(&mc) / (n - 1) as f64;
            let l: Vec<f64> = symmetric_eigenvalues(sb.view())
                .into_iter()
                .map(|x| x.max(0.0))
                .collect();
            let want = effective_rank(&l);
            let got = lidar(views.view()).unwrap();
            assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
            assert!(got > 1.0 && got < (n - 1).min(d) as f64);
        }
    }

    #[test]
    fn agrees_with_the_dense_definition() {
        // N′ < d, N′ > d, K = 2 (singular within-input scatter: δ matters), K = 5.
        for (shape, seed) in [
            ((8usize, 2usize, 20usize), 4u64),
            ((50, 3, 10), 5),
            ((30, 5, 30), 6),
            ((12, 2, 64), 7),
        ] {
            let mut v = gaussian(shape, seed);
            // Give the inputs different means so that Σ_b is not just noise.
            let centres = gaussian((shape.0, 1, shape.2), seed + 50) * 2.0;
            v += &centres;
            let fast = lidar(v.view()).unwrap();
            let dense = lidar_dense(v.view());
            assert!(
                (fast - dense).abs() < 1e-9 * dense,
                "{shape:?}: {fast} vs {dense}"
            );
        }
    }

    #[test]
    fn one_direction_between_inputs_gives_about_one() {
        // Means on one line, views scattered in all directions: one separating direction.
        let mut v = gaussian((20, 4, 8), 8) * 0.1;
        for i in 0..20 {
            for a in 0..4 {
                v[[i, a, 0]] += i as f64;
            }
        }
        let l = lidar(v.view()).unwrap();
        assert!((1.0..1.1).contains(&l), "{l}");
    }

    /// The effective rank of the eigenvalues of Σ_b (up to a factor) of `views`.
    fn sigma_b_rank(views: ArrayView3<f64>) -> f64 {
        let means = views.mean_axis(Axis(1)).unwrap();
        let mc = &means - &means.mean_axis(Axis(0)).unwrap();
        let sb = mc.t().dot(&mc);
        let l: Vec<f64> = symmetric_eigenvalues(sb.view())
            .into_iter()
            .map(|x| x.max(0.0))
            .collect();
        effective_rank(&l)
    }

    #[test]
    fn scaling_moves_only_the_ridge() {
        let mut v = gaussian((15, 3, 6), 9);
        v += &(gaussian((15, 1, 6), 10) * 3.0);
        let base = lidar(v.view()).unwrap();
        let between_only = sigma_b_rank(v.view());
        assert!(
            (base - between_only).abs() > 0.1,
            "{base} vs {between_only}"
        );
        // Within-input variances ≈ 1 ≫ δ: scaling up moves the weights (ω_k + δ)^{−½} by
        // ≈ δ/ω_k ≈ 1e-6 relative, also on the power-of-two paths (1e100, 1e300), which scale δ
        // with the data (at 1e300 it underflows to 0: the δ → 0 limit).
        for f in [4.0, 1e100, 1e300] {
            let l = lidar((&v * f).view()).unwrap();
            assert!((l - base).abs() < 1e-5 * base, "×{f}: {l} vs {base}");
        }
        // Scaled down, δ dominates Σ_w and LiDAR tends to the effective rank of Σ_b: at 1e-100
        // (a power-of-two path) the definition computed directly agrees, at 1e-300 the limit.
        let small = &v * 1e-100;
        let l = lidar(small.view()).unwrap();
        let dense = lidar_dense(small.view());
        assert!((l - dense).abs() < 1e-9 * dense, "{l} vs {dense}");
        assert!(
            (l - between_only).abs() < 1e-9 * between_only,
            "{l} vs {between_only}"
        );
        let l = lidar((&v * 1e-300).view()).unwrap();
        assert!(
            (l - between_only).abs() < 1e-9 * between_only,
            "{l} vs {between_only}"
        );
        // A singular Σ_w (K = 2, N′(K − 1) = 3 < d = 6) at extreme scales: a value, never NaN.
        let mut w = gaussian((3, 2, 6), 19);
        w += &(gaussian((3, 1, 6), 20) * 2.0);
        for f in [1e300, 1e-300, 1.0] {
            let l = lidar((&w * f).view()).unwrap();
            assert!((1.0..=6.0).contains(&l), "×{f}: {l}");
        }
        // Identical views of each input (Σ_w = 0, only δ): the effective rank of Σ_b.
        let same = Array3::from_shape_fn((5, 3, 4), |(i, _, j)| ((i * 7 + j * 3) % 5) as f64);
        let got = lidar(same.view()).unwrap();
        let want = sigma_b_rank(same.view());
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let one_view = gaussian((5, 1, 3), 11);
        let e = lidar(one_view.view()).unwrap_err();
        assert!(matches!(e, EstimatorError::Degenerate { .. }));
        assert!(e.to_string().contains("K = 1 view per input"), "{e}");
        let one_input = gaussian((1, 4, 3), 12);
        let e = lidar(one_input.view()).unwrap_err();
        assert!(e.to_string().contains("1 input"), "{e}");
        // Every input has the same mean view: Σ_b = 0.
        let mut same_mean = gaussian((1, 4, 3), 13);
        let mean = same_mean.mean_axis(Axis(1)).unwrap();
        same_mean -= &mean.insert_axis(Axis(1));
        let mut v = Array3::<f64>::zeros((3, 4, 3));
        for i in 0..3 {
            v.index_axis_mut(Axis(0), i)
                .assign(&same_mean.index_axis(Axis(0), 0));
        }
        let e = lidar(v.view()).unwrap_err();
        assert!(e.to_string().contains("coincide"), "{e}");
        let constant = Array3::from_elem((4, 3, 2), 1.5);
        assert!(matches!(
            lidar(constant.view()),
            Err(EstimatorError::Degenerate { .. })
        ));
        let mut bad = gaussian((3, 2, 4), 14);
        bad[[2, 1, 3]] = f64::INFINITY;
        assert_eq!(
            lidar(bad.view()),
            Err(EstimatorError::NonFinite { row: 5, col: 3 })
        );
        let empty = Array3::<f64>::zeros((0, 2, 3));
        assert_eq!(lidar(empty.view()), Err(EstimatorError::EmptyInput));
        assert_eq!(LIDAR_EPS, crate::spectral::RANKME_EPS);
    }

    #[test]
    fn same_bits_with_one_and_several_threads() {
        // d ≥ 1024: the eigen-decompositions run as parallel tasks.
        let d = crate::linalg::EIGEN_PAR_MIN_DIM + 9;
        let mut v = gaussian((70, 2, d), 15);
        v += &(gaussian((70, 1, d), 16) * 2.0);
        let run = |v: &Array3<f64>, threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| lidar(v.view()).unwrap())
        };
        let (one, two, three) = (run(&v, 1), run(&v, 2), run(&v, 3));
        assert_eq!(one.to_bits(), two.to_bits());
        assert_eq!(one.to_bits(), three.to_bits());
        // Scaled by 1e300, δ·4^e underflows and the eigen-decomposition route runs.
        let huge = &v * 1e300;
        assert!(whitened_by_cholesky(&Parts::of(huge.view()).unwrap()).is_none());
        let (one, two, three) = (run(&huge, 1), run(&huge, 2), run(&huge, 3));
        assert_eq!(one.to_bits(), two.to_bits());
        assert_eq!(one.to_bits(), three.to_bits());
    }

    #[test]
    fn the_cholesky_and_eigen_routes_agree() {
        // Regular and singular (K = 2, N′ < d) within-input scatter, N′ below and above d.
        for (shape, seed) in [
            ((8usize, 2usize, 20usize), 21u64),
            ((50, 3, 10), 22),
            ((12, 2, 64), 23),
        ] {
            let mut v = gaussian(shape, seed);
            v += &(gaussian((shape.0, 1, shape.2), seed + 50) * 2.0);
            let parts = Parts::of(v.view()).unwrap();
            let by_cholesky = lidar_of(whitened_by_cholesky(&parts).unwrap().as_ref()).unwrap();
            let by_eigen = lidar_of(whitened_by_eigen(&parts).unwrap().as_ref()).unwrap();
            assert!(
                (by_cholesky - by_eigen).abs() < 1e-9 * by_eigen,
                "{shape:?}: {by_cholesky} vs {by_eigen}"
            );
        }
    }

    /// Timing: `cargo test --release -p ib-estimators --lib lidar_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn lidar_timing() {
        let (n, k, d) = (500usize, 4usize, 2048usize);
        let mut v = gaussian((n, k, d), 17);
        v += &(gaussian((n, 1, d), 18) * 2.0);
        let t = std::time::Instant::now();
        let l = lidar(v.view()).unwrap();
        println!(
            "LiDAR N′ = {n}, K = {k}, d = {d}: {l:.4} in {:?}",
            t.elapsed()
        );
        // Its parts: the Gram of the N′K views, and one d×d eigen-decomposition.
        let c = Mat::<f64>::from_fn(n * k, d, |r, j| v[[r / k, r % k, j]]);
        let t = std::time::Instant::now();
        let mut g = Mat::<f64>::zeros(d, d);
        gram::add_lower(g.as_mut(), c.as_ref());
        println!("  Gram of {} × {d}: {:?}", n * k, t.elapsed());
        let t = std::time::Instant::now();
        let (values, _) = symmetric_eigen_lower(g.as_ref()).unwrap();
        println!(
            "  eigenvectors, d = {d}: {:?} ({})",
            t.elapsed(),
            values[d - 1]
        );
        let t = std::time::Instant::now();
        let mut sw = g.clone();
        for j in 0..d {
            sw[(j, j)] += 1.0;
        }
        let l = cholesky_lower(sw).unwrap();
        println!("  Cholesky, d = {d}: {:?} ({})", t.elapsed(), l[(0, 0)]);
        let t = std::time::Instant::now();
        let values = symmetric_eigenvalues_lower(g.as_ref());
        println!(
            "  eigenvalues only, d = {d}: {:?} ({})",
            t.elapsed(),
            values[0]
        );
    }
}
