//! Principal component analysis by seeded randomised subspace iteration (Halko, Martinsson &
//! Tropp, "Finding structure with randomness", SIAM Review 53, 2011, algorithm 4.4), and the
//! modified Gram–Schmidt orthonormalisation it uses.
//!
//! PCA is an isometry on the kept axes: projected coordinates are in the units of the input, so
//! scales (bin widths, noise widths) chosen for the input keep their meaning after reduction.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{check_matrix, EstimatorError};
use crate::linalg::{sign_of_largest, symmetric_eigen};
use crate::normalize::{exponent_for, max_abs, pow2};

/// Extra random directions of the subspace iteration beyond the kept axes.
pub const OVERSAMPLING: usize = 8;
/// Power iterations of the subspace iteration.
pub const POWER_ITERATIONS: usize = 4;

/// A fitted linear reduction `y = (x − mean) · axes` (d → `dim` columns), or the identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// `None` for the identity.
    fitted: Option<(Array1<f64>, Array2<f64>)>,
    dim: usize,
    variances: Vec<f64>,
    zero_variance_axes: usize,
}

impl Pca {
    /// The identity on `d` columns (no reduction).
    pub fn identity(d: usize) -> Self {
        Pca {
            fitted: None,
            dim: d,
            variances: Vec::new(),
            zero_variance_axes: 0,
        }
    }

    /// PCA of the rows of `x` (N×d) to `dim` axes; the identity when `dim` is `None` or
    /// `≥ d` (and at least one axis otherwise).
    ///
    /// The rows are centred; the top axes are found by randomised subspace iteration from a
    /// d × (dim + [`OVERSAMPLING`]) standard normal matrix drawn with `StdRng` seeded by `seed`
    /// ([`POWER_ITERATIONS`] power iterations, each followed by [`orthonormalize_columns`]),
    /// then the covariance restricted to the found subspace,
    ///
    /// ```text
    /// C = Qᵀ (X − x̄)ᵀ (X − x̄) Q / (N − 1)
    /// ```
    ///
    /// is diagonalised exactly ([`symmetric_eigen`]): the axes are `Q·V` for its top `dim`
    /// eigenvectors V, in descending order of variance, and the variances its eigenvalues
    /// (clamped at 0). An axis is defined up to its sign; the sign is fixed so that the axis's
    /// largest-magnitude component (in the input's coordinates, the first one on a tie) is
    /// positive, as scikit-learn's `svd_flip` does, so projections do not depend on the
    /// eigen-solver's arbitrary signs. (Every estimator of this crate is invariant under a sign
    /// flip of an axis: distances do not change, and the ε-grid `floor(v/ε)` is mirrored, which
    /// changes the partition only for points exactly on a cell boundary.)
    ///
    /// Data whose largest |entry| is outside [2⁻²⁵⁵, 2²⁵⁵] (≈ 1e±77) are fitted scaled by a power
    /// of two ([`crate::normalize::exponent_for`]; exact): the axes are those of the data, the
    /// mean is scaled back and the variances too (beyond ≈ 1e308 they are +∞).
    ///
    /// Errors: empty or non-finite `x`.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ib_estimators::pca::Pca;
    /// // Rank-2 data in 6 dimensions: two axes keep every pairwise distance.
    /// let x = Array2::from_shape_fn((40, 6), |(i, j)| {
    ///     let (a, b) = ((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos());
    ///     a * (j as f64 + 1.0) + b * (j % 3) as f64
    /// });
    /// let pca = Pca::fit(x.view(), Some(2), 7).unwrap();
    /// let y = pca.apply(x.view());
    /// assert_eq!(y.dim(), (40, 2));
    /// let d = |m: &Array2<f64>| (&m.row(3) - &m.row(17)).mapv(|v| v * v).sum();
    /// assert!((d(&x) - d(&y)).abs() < 1e-9 * d(&x));
    /// assert_eq!(pca.zero_variance_axes(), 0);
    /// ```
    pub fn fit(x: ArrayView2<f64>, dim: Option<usize>, seed: u64) -> Result<Self, EstimatorError> {
        check_matrix(x)?;
        let d = x.ncols();
        let p = match dim {
            Some(p) if p < d => p.max(1),
            _ => return Ok(Pca::identity(d)),
        };
        let e = exponent_for(max_abs(x.iter()));
        if e != 0 {
            let scaled = x.mapv(|v| v * pow2(e));
            let mut pca = Pca::fit_scaled(scaled.view(), p, seed)?;
            let back = pow2(-e);
            if let Some((mean, _)) = pca.fitted.as_mut() {
                mean.mapv_inplace(|v| v * back);
            }
            pca.variances.iter_mut().for_each(|v| *v = *v * back * back);
            return Ok(pca);
        }
        Pca::fit_scaled(x, p, seed)
    }

    /// [`Pca::fit`] to `p` < d axes of data that need no scaling.
    fn fit_scaled(x: ArrayView2<f64>, p: usize, seed: u64) -> Result<Pca, EstimatorError> {
        let (n, d) = x.dim();
        let mean = x.mean_axis(Axis(0)).ok_or(EstimatorError::EmptyInput)?;
        let xc = &x - &mean;
        let l = (p + OVERSAMPLING).min(d).min(n.max(1));
        let mut rng = StdRng::seed_from_u64(seed);
        let omega = Array2::from_shape_fn((d, l), |_| StandardNormal.sample(&mut rng));
        let mut basis = omega; // d×l
        for _ in 0..POWER_ITERATIONS {
            let mut y = xc.dot(&basis); // n×l
            orthonormalize_columns(&mut y);
            basis = xc.t().dot(&y); // d×l
            orthonormalize_columns(&mut basis);
        }
        let proj = xc.dot(&basis); // n×l
        let cov = proj.t().dot(&proj) / (n.max(2) - 1) as f64;
        let eig = symmetric_eigen(cov.view());
        let keep = p.min(l);
        let mut axes = basis.dot(&eig.vectors.slice(s![.., ..keep]));
        for mut axis in axes.columns_mut() {
            if sign_of_largest(axis.iter().copied()) < 0.0 {
                axis.mapv_inplace(|v| -v);
            }
        }
        let variances: Vec<f64> = eig.values[..keep].iter().map(|v| v.max(0.0)).collect();
        let top = variances.first().copied().unwrap_or(0.0);
        let zero_variance_axes = variances
            .iter()
            .filter(|&&v| v <= 1e-24 * top.max(f64::MIN_POSITIVE) || v == 0.0)
            .count();
        Ok(Pca {
            fitted: Some((mean, axes)),
            dim: keep,
            variances,
            zero_variance_axes,
        })
    }

    /// The rows of `x` reduced: `(x − mean) · axes`, or a copy for the identity. `x` must have
    /// the columns the reduction was fitted on (panics otherwise).
    pub fn apply(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match &self.fitted {
            Some((m, a)) => (&x - m).dot(a),
            None => x.to_owned(),
        }
    }

    /// True for the identity (no reduction was fitted).
    pub fn is_identity(&self) -> bool {
        self.fitted.is_none()
    }

    /// Output dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The column means subtracted before projecting (`None` for the identity).
    pub fn mean(&self) -> Option<&Array1<f64>> {
        self.fitted.as_ref().map(|(m, _)| m)
    }

    /// The axes as the orthonormal columns of a d × `dim` matrix, each with its largest-magnitude
    /// component positive (`None` for the identity).
    pub fn axes(&self) -> Option<&Array2<f64>> {
        self.fitted.as_ref().map(|(_, a)| a)
    }

    /// Variance captured by each kept axis (units of `x` squared), descending; empty for the
    /// identity.
    pub fn variances(&self) -> &[f64] {
        &self.variances
    }

    /// Kept axes of (numerically) zero variance, `≤ 1e-24 ·` the largest: the data span fewer
    /// dimensions than were kept (dimensional collapse).
    pub fn zero_variance_axes(&self) -> usize {
        self.zero_variance_axes
    }
}

/// Modified Gram–Schmidt on the columns of `q`, two passes for stability (Giraud et al.,
/// "Rounding error analysis of the classical Gram–Schmidt orthogonalization process", Numer.
/// Math. 101, 2005: "twice is enough"). A column whose norm falls below `1e-10 ·` its norm
/// before the pass (it lies in the span of the previous ones) is set to zero, so rank
/// deficiency shows as zero columns.
pub fn orthonormalize_columns(q: &mut Array2<f64>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_keeps_a_low_rank_subspace_exactly() {
        // Rank-2 data in 10-d: the 2-axis PCA preserves all pairwise distances.
        let x = Array2::from_shape_fn((50, 10), |(i, j)| {
            let a = (i as f64 * 0.37).sin();
            let b = (i as f64 * 0.11).cos() * 2.0;
            a * (j as f64 + 1.0) / 10.0 + b * ((j % 3) as f64 - 1.0)
        });
        let r = Pca::fit(x.view(), Some(2), 7).unwrap();
        let y = r.apply(x.view());
        for axis in r.axes().unwrap().columns() {
            let top = axis
                .iter()
                .fold(0.0f64, |m, v| if v.abs() > m.abs() { *v } else { m });
            assert!(top > 0.0 && (axis.dot(&axis) - 1.0).abs() < 1e-12);
        }
        for i in 0..50 {
            for j in 0..50 {
                let dx = (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum();
                let dy = (&y.row(i) - &y.row(j)).mapv(|v| v * v).sum();
                assert!((dx - dy).abs() < 1e-9 * (1.0 + dx));
            }
        }
    }

    #[test]
    fn the_axes_do_not_depend_on_the_scale() {
        let x = Array2::from_shape_fn((60, 6), |(i, j)| {
            ((i * 13 + j * 7) % 17) as f64 * (j + 1) as f64 + (i as f64 * 0.3).sin()
        });
        let r = Pca::fit(x.view(), Some(2), 3).unwrap();
        for scale in [1e-300, 1e-200, 1e200, 1e300] {
            let xs = x.mapv(|v| v * scale);
            let rs = Pca::fit(xs.view(), Some(2), 3).unwrap();
            let (a, b) = (r.axes().unwrap(), rs.axes().unwrap());
            assert!((a - b).iter().all(|v| v.abs() < 1e-12), "{scale}");
            let y = rs.apply(xs.view());
            assert!(y.iter().all(|v| v.is_finite()), "{scale}");
            assert_eq!(rs.zero_variance_axes(), r.zero_variance_axes());
            for (v, w) in rs.variances().iter().zip(r.variances()) {
                let want = w * scale * scale;
                if want.is_finite() && want > 1e-300 {
                    assert!((v - want).abs() < 1e-9 * want, "{scale}: {v} vs {want}");
                }
            }
        }
    }

    #[test]
    fn identity_and_rank_deficiency() {
        let x = Array2::from_shape_fn((20, 3), |(i, j)| (i * (j + 1)) as f64);
        let id = Pca::fit(x.view(), None, 1).unwrap();
        assert!(id.is_identity() && id.dim() == 3 && id.apply(x.view()) == x);
        assert!(Pca::fit(x.view(), Some(3), 1).unwrap().is_identity());
        // The three columns are multiples of one another: one axis of variance.
        let r = Pca::fit(x.view(), Some(2), 1).unwrap();
        assert_eq!((r.dim(), r.zero_variance_axes()), (2, 1));
        let bad = ndarray::array![[1.0, f64::NAN]];
        assert!(Pca::fit(bad.view(), Some(1), 1).is_err());
    }

    #[test]
    fn orthonormal_columns_and_zeroed_dependent_ones() {
        let mut q = ndarray::array![[1.0, 2.0, 1.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]];
        orthonormalize_columns(&mut q);
        let c = |j: usize| q.column(j).to_owned();
        assert!((c(0).dot(&c(0)) - 1.0).abs() < 1e-15);
        assert_eq!(c(1), ndarray::Array1::<f64>::zeros(3));
        assert!(c(0).dot(&c(2)).abs() < 1e-15 && (c(2).dot(&c(2)) - 1.0).abs() < 1e-15);
    }
}
