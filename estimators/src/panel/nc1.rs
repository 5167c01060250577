//! NC1, the within-class variability collapse of neural collapse (Papyan, Han & Donoho,
//! "Prevalence of neural collapse during the terminal phase of deep learning training",
//! PNAS 2020).
//!
//! With labels y_i ∈ C classes, μ_c the mean of class c's rows and μ_G the global mean:
//!
//! ```text
//! Σ_W = (1/N) Σ_c Σ_{i ∈ c} (z_i − μ_c)(z_i − μ_c)ᵀ       within-class covariance
//! Σ_B = (1/C) Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ                   between-class covariance
//! NC1 = tr(Σ_W Σ_B⁺) / C
//! ```
//!
//! NC1 → 0 as every class collapses to its mean; it is dimensionless and does not change when
//! the embedding is scaled. μ_G is the mean of all N rows, as Papyan et al. define it; for
//! balanced classes it equals the mean of the class means, and for unbalanced ones it does not
//! (the two conventions then give different values).

use std::collections::BTreeMap;

use ndarray::{s, Array1, Array2, ArrayView2, Axis, CowArray, Ix2};

use crate::error::{check_matrix, EstimatorError};
use crate::linalg::symmetric_eigen;
use crate::normalize::{exponent_for, max_abs, pow2};

/// The pseudo-inverse Σ_B⁺ leaves out eigenvalues ≤ `NC1_PINV_TOL`·(largest eigenvalue).
pub const NC1_PINV_TOL: f64 = 1e-10;

/// Rows of residuals projected at a time (a fixed partition: the sums do not depend on the
/// number of threads).
const BLOCK_ROWS: usize = 1024;

/// NC1 of the rows of `z` (N×d) with class labels `labels` (one per row), as the module
/// documentation defines it, with the pseudo-inverse dropping the eigenvalues of Σ_B at or below
/// 10⁻¹⁰ times the largest.
///
/// Computed without a d×d matrix when C ≤ d: with M the C×d matrix of rows μ_c − μ_G, the
/// non-zero eigenvalues λ_k of Σ_B = MᵀM/C are those of the C×C matrix MMᵀ/C (eigenvectors
/// v_k), its eigenvectors are u_k = Mᵀv_k/√(Cλ_k), and
/// `tr(Σ_W Σ_B⁺) = Σ_k u_kᵀ Σ_W u_k / λ_k = Σ_k Σ_i ((z_i − μ_c(i))·u_k)² / (N λ_k)` over the
/// kept k. When C > d the eigen-decomposition of the d×d Σ_B gives the u_k directly. Entries
/// outside [2⁻²⁵⁵, 2²⁵⁵] are first scaled by a power of two (NC1 does not change).
///
/// Errors: `labels.len() ≠ N` ([`EstimatorError::ShapeMismatch`]); an empty or non-finite `z`;
/// a single class, or class means that all coincide (Σ_B = 0) ([`EstimatorError::Degenerate`]).
///
/// ```
/// use ndarray::array;
/// // Two classes on a line, residuals ±0.5: Σ_W = 0.25, Σ_B = 1, NC1 = 0.25/2.
/// let z = array![[-1.5], [-0.5], [0.5], [1.5]];
/// let v = ib_estimators::panel::nc1::nc1(z.view(), &[0, 0, 1, 1]).unwrap();
/// assert!((v - 0.125).abs() < 1e-15);
/// ```
pub fn nc1(z: ArrayView2<f64>, labels: &[i64]) -> Result<f64, EstimatorError> {
    let (n, d) = z.dim();
    let (classes, class) = labelled_rows(z, labels)?;
    let c = classes.len();
    if c < 2 {
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "one class (label {}) among the {n} rows: NC1 compares the scatter within \
                 classes to the scatter between them and needs at least 2 classes",
                labels[0]
            ),
        });
    }

    let zs = scaled(z);
    let z = zs.view();
    let mut sums = Array2::<f64>::zeros((c, d));
    let mut counts = vec![0usize; c];
    for (row, &k) in z.outer_iter().zip(&class) {
        let mut s = sums.row_mut(k);
        s += &row;
        counts[k] += 1;
    }
    let mut means = sums;
    for (mut m, &cnt) in means.outer_iter_mut().zip(&counts) {
        m /= cnt as f64;
    }
    let first = means.row(0);
    if means.outer_iter().all(|m| m == first) {
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "the {c} class means coincide: the between-class covariance Σ_B is 0 and \
                 NC1 is undefined"
            ),
        });
    }
    let global: Array1<f64> = z.sum_axis(Axis(0)) / n as f64;
    let m = &means - &global;

    // Unit eigenvectors u_k (columns of `u`) of Σ_B and their eigenvalues λ_k, kept above the
    // pseudo-inverse tolerance.
    let (u, lambda) = between_class_directions(m.view())?;

    // q_k = Σ_i ((z_i − μ_c(i))·u_k)², summed block by block in row order.
    let mut q = Array1::<f64>::zeros(lambda.len());
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK_ROWS).min(n);
        let mut r = z.slice(s![start..end, ..]).to_owned();
        for (mut row, &k) in r.outer_iter_mut().zip(&class[start..end]) {
            row -= &means.row(k);
        }
        let p = r.dot(&u);
        for row in p.outer_iter() {
            q.zip_mut_with(&row, |acc, v| *acc += v * v);
        }
        start = end;
    }
    let trace: f64 = q
        .iter()
        .zip(&lambda)
        .map(|(qk, lk)| qk / (n as f64 * lk))
        .sum();
    Ok(trace / c as f64)
}

/// Checks `z` (finite, not empty) and that `labels` has one label per row; returns the
/// distinct labels in ascending order and, per row, the index of its label among them.
pub(crate) fn labelled_rows(
    z: ArrayView2<f64>,
    labels: &[i64],
) -> Result<(Vec<i64>, Vec<usize>), EstimatorError> {
    check_matrix(z)?;
    if labels.len() != z.nrows() {
        return Err(EstimatorError::ShapeMismatch {
            x_rows: z.nrows(),
            y_rows: labels.len(),
        });
    }
    let mut index: BTreeMap<i64, usize> = BTreeMap::new();
    for &l in labels {
        index.entry(l).or_insert(0);
    }
    for (k, v) in index.values_mut().enumerate() {
        *v = k;
    }
    let class = labels.iter().map(|l| index[l]).collect();
    Ok((index.into_keys().collect(), class))
}

/// `z`, or `z·2^e` when its largest |entry| is outside [2⁻²⁵⁵, 2²⁵⁵]
/// ([`crate::normalize::exponent_for`]).
fn scaled(z: ArrayView2<'_, f64>) -> CowArray<'_, f64, Ix2> {
    let e = exponent_for(max_abs(z.iter()));
    if e == 0 {
        z.into()
    } else {
        let f = pow2(e);
        z.mapv(|v| v * f).into()
    }
}

/// The eigenvectors of Σ_B = MᵀM/C (M: C×d) as the columns of a d×r matrix, and their
/// eigenvalues, for the r eigenvalues above [`NC1_PINV_TOL`] times the largest.
fn between_class_directions(m: ArrayView2<f64>) -> Result<(Array2<f64>, Vec<f64>), EstimatorError> {
    let (c, d) = m.dim();
    let cf = c as f64;
    let (values, vectors, gram_route) = if c <= d {
        let e = symmetric_eigen((m.dot(&m.t()) / cf).view());
        (e.values, e.vectors, true)
    } else {
        let e = symmetric_eigen((m.t().dot(&m) / cf).view());
        (e.values, e.vectors, false)
    };
    let top = values.first().copied().unwrap_or(0.0);
    if !top.is_finite() || top <= 0.0 {
        return Err(EstimatorError::Degenerate {
            reason: "the between-class covariance Σ_B is 0: NC1 is undefined".into(),
        });
    }
    let kept: Vec<usize> = (0..values.len())
        .filter(|&k| values[k] > NC1_PINV_TOL * top)
        .collect();
    let lambda: Vec<f64> = kept.iter().map(|&k| values[k]).collect();
    let mut u = Array2::<f64>::zeros((d, kept.len()));
    for (col, &k) in kept.iter().enumerate() {
        if gram_route {
            // u = Mᵀv/‖Mᵀv‖, ‖Mᵀv‖² = vᵀMMᵀv = Cλ.
            let w = m.t().dot(&vectors.column(k));
            let norm = (cf * values[k]).sqrt();
            u.column_mut(col).assign(&(w / norm));
        } else {
            u.column_mut(col).assign(&vectors.column(k));
        }
    }
    Ok((u, lambda))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian_matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
    }

    /// The definition written out with d×d matrices: Σ_W, Σ_B, the pseudo-inverse of Σ_B from
    /// its eigen-decomposition, and the trace of the product.
    fn nc1_dense(z: ArrayView2<f64>, labels: &[i64]) -> f64 {
        let (n, d) = z.dim();
        let mut classes: Vec<i64> = labels.to_vec();
        classes.sort_unstable();
        classes.dedup();
        let c = classes.len();
        let global = z.mean_axis(Axis(0)).unwrap();
        let mut sw = Array2::<f64>::zeros((d, d));
        let mut sb = Array2::<f64>::zeros((d, d));
        for &l in &classes {
            let rows: Vec<usize> = (0..n).filter(|&i| labels[i] == l).collect();
            let zc = z.select(Axis(0), &rows);
            let mu = zc.mean_axis(Axis(0)).unwrap();
            let r = &zc - &mu;
            sw = sw + r.t().dot(&r);
            let g = (&mu - &global).insert_axis(Axis(1));
            sb = sb + g.dot(&g.t());
        }
        sw /= n as f64;
        sb /= c as f64;
        let e = symmetric_eigen(sb.view());
        let mut pinv = Array2::<f64>::zeros((d, d));
        for k in 0..d {
            if e.values[k] > 1e-10 * e.values[0] {
                let v = e.vectors.column(k).insert_axis(Axis(1));
                pinv = pinv + v.dot(&v.t()) / e.values[k];
            }
        }
        sw.dot(&pinv).diag().sum() / c as f64
    }

    #[test]
    fn point_masses_give_zero() {
        // Exactly representable class means: every residual is exactly 0.
        let z = array![
            [1.0, 2.0, 0.5],
            [1.0, 2.0, 0.5],
            [-3.0, 0.25, 4.0],
            [-3.0, 0.25, 4.0],
            [-3.0, 0.25, 4.0],
            [0.0, 0.0, -1.0]
        ];
        assert_eq!(nc1(z.view(), &[7, 7, -2, -2, -2, 3]).unwrap(), 0.0);
        // Means that are not exact (three copies of 0.1…): zero up to rounding.
        let p = gaussian_matrix(4, 10, 1);
        let rows: Vec<usize> = (0..40).map(|i| i % 4).collect();
        let z = p.select(Axis(0), &rows);
        let labels: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        let v = nc1(z.view(), &labels).unwrap();
        assert!((0.0..1e-28).contains(&v), "{v}");
    }

    #[test]
    fn small_cases_by_hand() {
        // Residuals (∓s, ∓t) in both classes, class means (∓1, 0): Σ_W = [[s², st], [st, t²]],
        // Σ_B = diag(1, 0), Σ_B⁺ = diag(1, 0), NC1 = s²/2 — the direction Σ_B does not span is
        // ignored however large t is.
        let (s, t) = (0.5, 10.0);
        let z = array![[-1.0 - s, -t], [-1.0 + s, t], [1.0 - s, -t], [1.0 + s, t]];
        let v = nc1(z.view(), &[1, 1, 2, 2]).unwrap();
        assert!((v - 0.125).abs() < 1e-15, "{v}");
        // Unbalanced classes {−1, 1} and {3}: μ_G = 1 (the mean of all rows), Σ_W = 2/3,
        // Σ_B = ((0 − 1)² + (3 − 1)²)/2 = 5/2, NC1 = (2/3)/(5/2)/2 = 2/15. (The mean of the class
        // means, 3/2, would give Σ_B = 9/4 and 4/27.)
        let z = array![[-1.0], [1.0], [3.0]];
        let v = nc1(z.view(), &[0, 0, 1]).unwrap();
        assert!((v - 2.0 / 15.0).abs() < 1e-15, "{v}");
    }

    #[test]
    fn agrees_with_the_dense_definition_on_both_routes() {
        // C ≤ d (the C×C route) and C > d (the d×d route), unbalanced classes.
        for (n, d, c, seed) in [
            (300usize, 20usize, 5usize, 2u64),
            (400, 4, 9, 3),
            (60, 8, 8, 4),
        ] {
            let mut z = gaussian_matrix(n, d, seed);
            let labels: Vec<i64> = (0..n).map(|i| ((i * i + 3 * i) % c) as i64 * 10).collect();
            // Shift each class so that the classes separate.
            let shifts = gaussian_matrix(c, d, seed + 100) * 3.0;
            for (i, mut row) in z.outer_iter_mut().enumerate() {
                row += &shifts.row(labels[i] as usize / 10);
            }
            let fast = nc1(z.view(), &labels).unwrap();
            let dense = nc1_dense(z.view(), &labels);
            assert!(
                (fast - dense).abs() < 1e-10 * dense,
                "n {n} d {d} c {c}: {fast} vs {dense}"
            );
            assert!(fast > 0.0);
        }
    }

    #[test]
    fn scale_invariant_at_any_scale() {
        let z = gaussian_matrix(50, 6, 5);
        let labels: Vec<i64> = (0..50).map(|i| (i % 3) as i64).collect();
        let base = nc1(z.view(), &labels).unwrap();
        for f in [1e-300, 1e-100, 3.0, 1e100, 1e300] {
            let v = nc1((&z * f).view(), &labels).unwrap();
            assert!((v - base).abs() < 1e-12 * base, "×{f}: {v} vs {base}");
        }
    }

    /// Timing: `cargo test --release -p ib-estimators --lib nc1_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn nc1_timing() {
        for (n, d, c) in [(10_000usize, 2048usize, 10usize), (10_000, 512, 1000)] {
            let z = gaussian_matrix(n, d, 7);
            let labels: Vec<i64> = (0..n).map(|i| (i % c) as i64).collect();
            let t = std::time::Instant::now();
            let v = nc1(z.view(), &labels).unwrap();
            println!("NC1 N = {n}, d = {d}, C = {c}: {v:.4} in {:?}", t.elapsed());
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let z = gaussian_matrix(6, 3, 6);
        assert_eq!(
            nc1(z.view(), &[0, 1, 0]),
            Err(EstimatorError::ShapeMismatch {
                x_rows: 6,
                y_rows: 3
            })
        );
        let e = nc1(z.view(), &[4; 6]).unwrap_err();
        assert!(matches!(e, EstimatorError::Degenerate { .. }));
        assert!(e.to_string().contains("one class (label 4)"), "{e}");
        // Class means that coincide: Σ_B = 0.
        let z2 = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]];
        let e = nc1(z2.view(), &[0, 0, 1, 1]).unwrap_err();
        assert!(e.to_string().contains("coincide"), "{e}");
        let mut bad = z.clone();
        bad[[2, 1]] = f64::NAN;
        assert_eq!(
            nc1(bad.view(), &[0, 1, 0, 1, 0, 1]),
            Err(EstimatorError::NonFinite { row: 2, col: 1 })
        );
        let empty = Array2::<f64>::zeros((0, 3));
        assert_eq!(nc1(empty.view(), &[]), Err(EstimatorError::EmptyInput));
    }
}
