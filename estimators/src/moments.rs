//! Streaming moments of an N×d matrix fed in row blocks: every [`std_metrics`] value and both
//! [`spectral`] spectra without an f64 copy of the whole matrix (an exported 1,000,000 × 128
//! f32 embedding is 512 MB; its f64 copy would be 1 GB).
//!
//! Two passes over the same blocks, in the same order:
//!
//! ```text
//! pass 1:  n,  Σ_i z_i,  Σ_i u_i  (u_i = z_i / ‖z_i‖₂, 0 for a zero row),  max |z_ij|,  zero rows
//! pass 2:  z̄, ū, m̂ = ū/‖ū‖ known:
//!          Σ_i (z_ij − z̄_j)²,  Σ_i (u_ij − ū_j)²,
//!          G_c = Σ_i (z_i − z̄)(z_i − z̄)ᵀ,  Σ_i angle(u_i, m̂) over non-zero rows
//! finish:  G = Σ_i z_i z_iᵀ = G_c + n·z̄ z̄ᵀ
//! ```
//!
//! The deviations are summed about the pass-1 mean (not as Σz² − n·z̄², which cancels
//! catastrophically for a collapsed embedding whose spread is 1e-8 of its norm). For the same
//! reason only the centred Gram G_c is accumulated ([`crate::gram::add_lower`]: a blocked,
//! multi-threaded rank-b update of its lower triangle whose bits do not depend on the thread
//! count), and the raw Gram is G_c *plus* the positive semi-definite n·z̄ z̄ᵀ: nothing is
//! subtracted, so the raw spectrum keeps the accuracy of a direct Σ z_i z_iᵀ (absolute error
//! ≈ ε·‖G‖), whereas G_c = G − n·z̄ z̄ᵀ would cancel. One d×d matrix holds G_c. Below
//! d = [`TWO_STAGE_MIN_DIM`] it is decomposed, receives n·z̄ z̄ᵀ in place and is decomposed
//! again ([`crate::linalg::symmetric_eigenvalues_lower`]: faer's one-stage tridiagonalisation,
//! fast while the matrix fits in cache). From that order on it is tridiagonalised once, by
//! matrix products rather than memory-bound matrix-vector products, and the rank-one term
//! enters the tridiagonal matrix's first entry
//! ([`crate::linalg::eigenvalues_with_rank_one_update`]): one reduction instead of two.
//! Both ways give every eigenvalue to a few units of ε·‖G‖. The results
//! equal those of the whole-matrix functions ([`std_metrics::std_l2`],
//! [`spectral::singular_values_centred`], ...) up to summation order, which the tests check;
//! those functions remain the definitions. The spectra come from the d×d Gram matrices, so
//! memory is O(d²) whatever N; with N < d the `N` largest of the d eigenvalues are returned
//! (the others are zero in exact arithmetic).
//!
//! Scale: the rows are normalised as [`crate::normalize`] describes (zero rows counted, every
//! other row on the unit sphere whatever its scale). When the largest |z_ij| is outside
//! [2⁻²⁵⁵, 2²⁵⁵] the second-pass sums are taken on z·2^e ([`crate::normalize::exponent_for`],
//! exact) and the results scaled back, so entries of 1e200 do not overflow the Gram matrix and
//! entries of 1e-300 do not underflow it; the first-pass sum Σ z_i is kept scaled as soon as an
//! entry above 2²⁵⁵ is seen. Ordinary data take neither path and keep their bits.
//!
//! [`std_metrics`]: crate::std_metrics
//! [`std_metrics::std_l2`]: crate::std_metrics::std_l2
//! [`spectral`]: crate::spectral
//! [`spectral::singular_values_centred`]: crate::spectral::singular_values_centred

use std::ops::Range;

use faer::Mat;
use ndarray::{Array1, ArrayView2, Axis};
use rayon::prelude::*;

use crate::error::{check_matrix, EstimatorError};
use crate::gram;
use crate::linalg::{eigenvalues_with_rank_one_update, symmetric_eigenvalues_lower};
use crate::normalize::{exponent_for, max_abs, pow2, UnitScale};
use crate::std_metrics::{angle_to, L2_NORMALIZE_EPS};

/// The order from which both spectra come from one two-stage tridiagonalisation (module
/// documentation): a 1024 × 1024 f64 matrix is 8 MB, beyond the per-core caches.
pub const TWO_STAGE_MIN_DIM: usize = 1024;

/// First pass: counts, sums, the largest |entry| and the zero rows.
#[derive(Debug, Clone)]
pub struct MomentsPass1 {
    n: usize,
    /// Σ_i z_i · 2^sum_exp.
    sum_z: Array1<f64>,
    /// 0 until an entry above 2²⁵⁵ is seen (then Σ z_i could overflow).
    sum_exp: i32,
    sum_u: Array1<f64>,
    max_abs: f64,
    zero_rows: usize,
}

/// Second pass: deviations about the first pass's means, and the Gram matrices.
#[derive(Debug, Clone)]
pub struct MomentsPass2 {
    n: usize,
    seen: usize,
    /// The pass-2 sums are of z·2^exp.
    exp: i32,
    /// Mean of z·2^exp.
    mean_z: Array1<f64>,
    mean_u: Array1<f64>,
    /// Mean direction of the u_i; None when ‖ū‖ ≤ 1e-12 (no mean direction).
    m_hat: Option<Array1<f64>>,
    zero_rows: usize,
    /// G_c, lower triangle (column-major).
    gram_centred: Mat<f64>,
    /// The current block of centred rows, z·2^exp − z̄ (row-major, reused).
    centred: Vec<f64>,
    ss_z: Array1<f64>,
    ss_u: Array1<f64>,
    angle_sum: f64,
}

/// The finished moments of an N×d matrix.
#[derive(Debug, Clone)]
pub struct Moments {
    n: usize,
    /// `mean_z`, `ss_z` and the Gram matrices are of z·2^exp.
    exp: i32,
    mean_z: Array1<f64>,
    ss_z: Array1<f64>,
    ss_u: Array1<f64>,
    /// Singular values of z·2^exp from G, descending, all d of them.
    singular: Vec<f64>,
    /// Likewise of the centred matrix, from G_c.
    singular_centred: Vec<f64>,
    angle_sum: f64,
    has_direction: bool,
    zero_rows: usize,
}

/// Values per rayon task, at least, of the per-row work (finiteness, scales, centred copies,
/// angles): whole rows, 4096 values or more.
const VALUES_PER_TASK: usize = 4096;

/// Rows per rayon task of the per-row work for d columns ([`VALUES_PER_TASK`], at least one).
fn rows_per_task(d: usize) -> usize {
    (VALUES_PER_TASK / d.max(1)).max(1)
}

/// Values (rows × columns) below which a chunk's column sums run as one task.
const SEQUENTIAL_VALUES: usize = 1 << 15;

/// Values per chunk of rows of the row loops (2 MB of f64): a chunk is read by the per-row
/// step and read again by the per-column sums while it is still in the cache.
const CHUNK_VALUES: usize = 1 << 18;

/// Rows per chunk of the row loops for d columns (at least one). The chunks only group the
/// work: every sum is taken in row order whatever their size.
fn chunk_rows(d: usize) -> usize {
    (CHUNK_VALUES / d.max(1)).max(1)
}

/// [`check_matrix`] of a block (none for a block without rows), the rows scanned in parallel:
/// the same error (the first non-finite entry in row-major order) as the sequential scan.
/// Returns the largest |entry| (0 without rows), read in the same scan: max is exact, so any
/// grouping of the rows gives the value of [`max_abs`] over the whole block.
fn check_block(block: ArrayView2<f64>, d: usize) -> Result<f64, EstimatorError> {
    if block.ncols() != d {
        return Err(EstimatorError::InvalidParameter {
            name: "block",
            reason: format!("has {} columns, the first block had {d}", block.ncols()),
        });
    }
    if block.nrows() == 0 {
        return Ok(0.0);
    }
    if d == 0 {
        return check_matrix(block).map(|()| 0.0);
    }
    // (first row holding a non-finite entry, or usize::MAX; largest |entry|).
    let (bad, max) = (0..block.nrows())
        .into_par_iter()
        .with_min_len(rows_per_task(d))
        .map(|i| {
            let row = block.row(i);
            let finite = row.iter().all(|v| v.is_finite());
            (if finite { usize::MAX } else { i }, max_abs(row.iter()))
        })
        .reduce(|| (usize::MAX, 0.0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    if bad == usize::MAX {
        return Ok(max);
    }
    let row = bad;
    check_matrix(block.slice(ndarray::s![row..row + 1, ..]))
        .map_err(|e| match e {
            EstimatorError::NonFinite { col, .. } => EstimatorError::NonFinite { row, col },
            other => other,
        })
        .map(|()| max)
}

/// Row `r` scaled to unit norm into `out` ([`crate::normalize`]: `F.normalize` for norms
/// ≥ 1e-12, scale-stable otherwise; a zero row copied as it is), and its scale. Σ z² is
/// `r.dot(&r)` and each entry is [`UnitScale::apply`]'s arithmetic, the variant chosen once
/// per row.
fn unit_row(r: ndarray::ArrayView1<f64>, out: &mut [f64]) -> UnitScale {
    let scale = UnitScale::of(r.iter(), r.dot(&r));
    let pairs = out.iter_mut().zip(r.iter());
    match scale {
        UnitScale::Zero => pairs.for_each(|(o, &v)| *o = v),
        UnitScale::Plain(norm) => pairs.for_each(|(o, &v)| *o = v / norm),
        UnitScale::Scaled { max, rel_norm } => pairs.for_each(|(o, &v)| *o = v / max / rel_norm),
    }
    scale
}

/// Runs `f(columns, (a[columns], b[columns]))` over disjoint ranges of the columns, in parallel:
/// `f` sums each column of its range over the block's rows in row order, so every column's sum
/// has the same bits whatever the ranges and the thread count.
fn par_columns<F>(rows: usize, (a, b): (&mut [f64], &mut [f64]), f: F)
where
    F: Fn(Range<usize>, (&mut [f64], &mut [f64])) + Sync,
{
    let d = a.len();
    let width = if rows * d < SEQUENTIAL_VALUES {
        d.max(1)
    } else {
        // A few ranges per thread, each wide enough to stream whole cache lines of every row.
        d.div_ceil(4 * rayon::current_num_threads()).max(64)
    };
    a.par_chunks_mut(width)
        .zip(b.par_chunks_mut(width))
        .enumerate()
        .for_each(|(k, (a, b))| f(k * width..k * width + a.len(), (a, b)));
}

/// The values of a 1-D array made by `Array1::zeros` (contiguous).
fn as_slice(a: &Array1<f64>) -> &[f64] {
    a.as_slice()
        .unwrap_or_else(|| unreachable!("a new Array1 is contiguous"))
}

/// [`as_slice`], mutable.
fn as_slice_mut(a: &mut Array1<f64>) -> &mut [f64] {
    a.as_slice_mut()
        .unwrap_or_else(|| unreachable!("a new Array1 is contiguous"))
}

/// The exponent of the running sum Σ z_i: 0 unless entries above 2²⁵⁵ make it overflow-prone.
fn sum_exponent(max: f64) -> i32 {
    if max > 1.0 {
        exponent_for(max)
    } else {
        0
    }
}

/// Square roots of the eigenvalues of a Gram matrix, in their (descending) order, tiny negative
/// eigenvalues from rounding clamped to 0.
fn singular_values_of(eigenvalues: Vec<f64>) -> Vec<f64> {
    eigenvalues.into_iter().map(|l| l.max(0.0).sqrt()).collect()
}

impl MomentsPass1 {
    /// An empty accumulator for rows of `d` columns.
    pub fn new(d: usize) -> MomentsPass1 {
        MomentsPass1 {
            n: 0,
            sum_z: Array1::zeros(d),
            sum_exp: 0,
            sum_u: Array1::zeros(d),
            max_abs: 0.0,
            zero_rows: 0,
        }
    }

    /// Adds a block of rows (finite, `d` columns; errors name the first non-finite entry
    /// relative to the block).
    ///
    /// Both cores, the same bits as one row after another: in chunks of rows that stay in the
    /// cache ([`chunk_rows`]), each row's u_i is computed on its own (in parallel over rows),
    /// then Σ z_i and Σ u_i are summed per column in row order (in parallel over column
    /// ranges, [`par_columns`]).
    pub fn add(&mut self, block: ArrayView2<f64>) -> Result<(), EstimatorError> {
        let block_max = check_block(block, self.sum_z.len())?;
        if block_max > self.max_abs {
            self.max_abs = block_max;
            let e = sum_exponent(block_max);
            if e != self.sum_exp {
                let f = pow2(e - self.sum_exp);
                self.sum_z.mapv_inplace(|v| v * f);
                self.sum_exp = e;
            }
        }
        let (sum_exp, f) = (self.sum_exp, pow2(self.sum_exp));
        let d = block.ncols();
        let rows = chunk_rows(d);
        // u_i of a chunk's rows, row-major (every value is written before it is read).
        let mut unit_buf = vec![0.0; rows.min(block.nrows()) * d];
        for chunk in block.axis_chunks_iter(Axis(0), rows) {
            let unit = &mut unit_buf[..chunk.nrows() * d];
            let scales: Vec<UnitScale> = (0..chunk.nrows())
                .into_par_iter()
                .zip(unit.par_chunks_exact_mut(d.max(1)))
                .with_min_len(rows_per_task(d))
                .map(|(i, u)| unit_row(chunk.row(i), u))
                .collect();
            self.zero_rows += scales.iter().filter(|s| s.is_zero()).count();
            let (sum_z, sum_u) = (as_slice_mut(&mut self.sum_z), as_slice_mut(&mut self.sum_u));
            let unit = &*unit;
            par_columns(chunk.nrows(), (sum_z, sum_u), |cols, (sz, su)| {
                for (row, u) in chunk.outer_iter().zip(unit.chunks_exact(d.max(1))) {
                    let row = row.slice_move(ndarray::s![cols.clone()]);
                    // As `sum_z += row` and `sum_z.scaled_add(2^e, row)` (exact: a power of
                    // two), one column at a time.
                    if sum_exp == 0 {
                        for (z, &v) in sz.iter_mut().zip(row.iter()) {
                            *z += v;
                        }
                    } else {
                        for (z, &v) in sz.iter_mut().zip(row.iter()) {
                            *z += v * f;
                        }
                    }
                    for (s, &v) in su.iter_mut().zip(&u[cols.clone()]) {
                        *s += v;
                    }
                }
            });
        }
        self.n += block.nrows();
        Ok(())
    }

    /// The largest |entry| seen so far (0 before any row).
    pub fn max_abs(&self) -> f64 {
        self.max_abs
    }

    /// Ends the first pass; the same blocks must then be fed to the second.
    pub fn finish(self) -> Result<MomentsPass2, EstimatorError> {
        let d = self.sum_z.len();
        if self.n == 0 || d == 0 {
            return Err(EstimatorError::EmptyInput);
        }
        let n = self.n as f64;
        let mean_u = self.sum_u / n;
        let norm = mean_u.dot(&mean_u).sqrt();
        let m_hat = (norm > L2_NORMALIZE_EPS).then(|| &mean_u / norm);
        let exp = exponent_for(self.max_abs);
        let mut mean_z = self.sum_z / n;
        if exp != self.sum_exp {
            let f = pow2(exp - self.sum_exp);
            mean_z.mapv_inplace(|v| v * f);
        }
        Ok(MomentsPass2 {
            n: self.n,
            seen: 0,
            exp,
            mean_z,
            mean_u,
            m_hat,
            zero_rows: self.zero_rows,
            gram_centred: Mat::zeros(d, d),
            centred: Vec::new(),
            ss_z: Array1::zeros(d),
            ss_u: Array1::zeros(d),
            angle_sum: 0.0,
        })
    }
}

impl MomentsPass2 {
    /// Adds a block of rows: the same blocks as in the first pass, in the same order.
    ///
    /// Both cores, the same bits as one row after another: in chunks of rows that stay in the
    /// cache ([`chunk_rows`]), in parallel over rows, each row's centred copy z·2^exp − z̄, u_i
    /// and its angle to m̂; then the angles are added to the running sum in row
    /// order, and Σ(z − z̄)², Σ(u − ū)² are summed per column in row order (in parallel over
    /// column ranges, [`par_columns`]).
    pub fn add(&mut self, block: ArrayView2<f64>) -> Result<(), EstimatorError> {
        let d = self.mean_z.len();
        check_block(block, d)?;
        let (exp, f) = (self.exp, pow2(self.exp));
        let b = block.nrows();
        // Every value is overwritten below: the buffer is only resized, not cleared.
        self.centred.resize(b * d, 0.0);
        let mean_z = as_slice(&self.mean_z);
        let mean_u = as_slice(&self.mean_u);
        let m_hat = self.m_hat.as_ref().map(|m| m.view());
        let rows = chunk_rows(d);
        let (ss_z, ss_u) = (as_slice_mut(&mut self.ss_z), as_slice_mut(&mut self.ss_u));
        let mut unit_buf = vec![0.0; rows.min(b) * d];
        for (chunk, centred) in block
            .axis_chunks_iter(Axis(0), rows)
            .zip(self.centred.chunks_mut(rows * d.max(1)))
        {
            // Per row: the centred copy, u_i, and the angle to m̂ when the row has a direction
            // and there is a mean one.
            let unit = &mut unit_buf[..chunk.nrows() * d];
            let angles: Vec<Option<f64>> = (0..chunk.nrows())
                .into_par_iter()
                .zip(centred.par_chunks_exact_mut(d.max(1)))
                .zip(unit.par_chunks_exact_mut(d.max(1)))
                .with_min_len(rows_per_task(d))
                .map(|((i, c), u)| {
                    let row = chunk.row(i);
                    for ((c, &v), &m) in c.iter_mut().zip(row.iter()).zip(mean_z) {
                        // z·2^exp is exact (a power of two); exp = 0 for ordinary data.
                        let x = if exp == 0 { v } else { v * f };
                        *c = x - m;
                    }
                    let zero = unit_row(row, u).is_zero();
                    m_hat
                        .filter(|_| !zero)
                        .map(|m_hat| angle_to(u.iter(), m_hat))
                })
                .collect();
            for angle in angles.into_iter().flatten() {
                self.angle_sum += angle;
            }
            let (centred, unit) = (&*centred, &*unit);
            par_columns(chunk.nrows(), (&mut *ss_z, &mut *ss_u), |cols, (sz, su)| {
                let mean_u = &mean_u[cols.clone()];
                for (c, u) in centred
                    .chunks_exact(d.max(1))
                    .zip(unit.chunks_exact(d.max(1)))
                {
                    for (&c, s) in c[cols.clone()].iter().zip(sz.iter_mut()) {
                        *s += c * c;
                    }
                    for ((s, &u), &m) in su.iter_mut().zip(&u[cols.clone()]).zip(mean_u) {
                        *s += (u - m) * (u - m);
                    }
                }
            });
        }
        if b > 0 {
            let c = faer::MatRef::from_row_major_slice(&self.centred, b, d);
            gram::add_lower(self.gram_centred.as_mut(), c);
        }
        self.seen += b;
        Ok(())
    }

    /// Ends the second pass; errors if it did not see the first pass's rows.
    pub fn finish(self) -> Result<Moments, EstimatorError> {
        if self.seen != self.n {
            return Err(EstimatorError::ShapeMismatch {
                x_rows: self.n,
                y_rows: self.seen,
            });
        }
        // G = G_c + n·z̄ z̄ᵀ (see the module documentation).
        let mut g = self.gram_centred;
        let n = self.n as f64;
        let d = self.mean_z.len();
        let (centred, raw) = if d >= TWO_STAGE_MIN_DIM {
            let mean = self.mean_z.to_vec();
            eigenvalues_with_rank_one_update(g.as_mut(), &mean, n)
        } else {
            let centred = symmetric_eigenvalues_lower(g.as_ref());
            for j in 0..d {
                let nm = n * self.mean_z[j];
                for i in j..d {
                    g[(i, j)] += nm * self.mean_z[i];
                }
            }
            (centred, symmetric_eigenvalues_lower(g.as_ref()))
        };
        drop(g);
        let singular_centred = singular_values_of(centred);
        let singular = singular_values_of(raw);
        Ok(Moments {
            n: self.n,
            exp: self.exp,
            mean_z: self.mean_z,
            ss_z: self.ss_z,
            ss_u: self.ss_u,
            singular,
            singular_centred,
            angle_sum: self.angle_sum,
            has_direction: self.m_hat.is_some(),
            zero_rows: self.zero_rows,
        })
    }
}

impl Moments {
    /// Both passes over one in-memory matrix.
    pub fn of(z: ArrayView2<f64>) -> Result<Moments, EstimatorError> {
        let mut p1 = MomentsPass1::new(z.ncols());
        p1.add(z)?;
        let mut p2 = p1.finish()?;
        p2.add(z)?;
        p2.finish()
    }

    /// Number of rows N.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of columns d.
    pub fn d(&self) -> usize {
        self.mean_z.len()
    }

    /// [`crate::std_metrics::zero_norm_rows`]: rows whose entries are all 0 (no direction).
    pub fn zero_norm_rows(&self) -> usize {
        self.zero_rows
    }

    /// 2^-exp: multiplies values in the units of the scaled sums back into the data's units.
    fn unscale(&self) -> f64 {
        pow2(-self.exp)
    }

    fn need_two(&self) -> Result<f64, EstimatorError> {
        if self.n < 2 {
            return Err(EstimatorError::TooFewSamples {
                n: self.n,
                needed: 2,
            });
        }
        Ok((self.n - 1) as f64)
    }

    /// [`crate::std_metrics::channel_std`]: unbiased std of every column. N ≥ 2.
    pub fn channel_std(&self) -> Result<Vec<f64>, EstimatorError> {
        let dof = self.need_two()?;
        let back = self.unscale();
        Ok(self.ss_z.iter().map(|s| (s / dof).sqrt() * back).collect())
    }

    /// [`crate::std_metrics::std_l2`]: mean over channels of the std of the l2-normalised
    /// rows. Dimensionless. N ≥ 2.
    pub fn std_l2(&self) -> Result<f64, EstimatorError> {
        let dof = self.need_two()?;
        Ok(self.ss_u.iter().map(|s| (s / dof).sqrt()).sum::<f64>() / self.d() as f64)
    }

    /// [`crate::std_metrics::angular_spread`]: mean angle (radians) of the normalised non-zero
    /// rows to their mean direction; π/2 when there is no mean direction, 0 when every row is
    /// zero.
    pub fn angular_spread(&self) -> f64 {
        if self.zero_rows == self.n {
            0.0
        } else if self.has_direction {
            self.angle_sum / (self.n - self.zero_rows) as f64
        } else {
            std::f64::consts::FRAC_PI_2
        }
    }

    /// [`crate::std_metrics::relative_spread`]: RMS distance to the mean over the mean's norm
    /// (0 when all rows are equal, +∞ for a zero mean with spread).
    pub fn relative_spread(&self) -> f64 {
        let spread = (self.ss_z.sum() / self.n as f64).sqrt();
        if spread == 0.0 {
            return 0.0;
        }
        spread / self.mean_z.dot(&self.mean_z).sqrt()
    }

    /// [`crate::spectral::singular_values`]: descending, min(N, d) of them.
    pub fn singular_values(&self) -> Vec<f64> {
        self.spectrum(&self.singular)
    }

    /// [`crate::spectral::singular_values_centred`]: of the column-centred matrix, descending,
    /// min(N, d) of them.
    ///
    /// Centring removes one dimension, so values past the first N − 1 are exactly 0 (rather
    /// than the Gram matrix's rounding noise).
    pub fn singular_values_centred(&self) -> Vec<f64> {
        let mut s = self.spectrum(&self.singular_centred);
        for v in s.iter_mut().skip(self.n.saturating_sub(1)) {
            *v = 0.0;
        }
        s
    }

    fn spectrum(&self, singular: &[f64]) -> Vec<f64> {
        let mut s = singular.to_vec();
        s.truncate(self.n.min(self.d()));
        let back = self.unscale();
        s.iter_mut().for_each(|v| *v *= back);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{spectral, std_metrics};
    use ndarray::{s, Array2, Axis};
    use rand::{Rng, SeedableRng};

    fn random(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |(_, j)| {
            rng.random_range(-1.0..1.0) * (j + 1) as f64 + 0.5
        })
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    fn streamed(z: &Array2<f64>, block: usize) -> Moments {
        let mut p1 = MomentsPass1::new(z.ncols());
        for c in z.axis_chunks_iter(Axis(0), block) {
            p1.add(c).unwrap();
        }
        let mut p2 = p1.finish().unwrap();
        for c in z.axis_chunks_iter(Axis(0), block) {
            p2.add(c).unwrap();
        }
        p2.finish().unwrap()
    }

    fn assert_matches_definitions(z: &Array2<f64>, block: usize) {
        let m = streamed(z, block);
        let v = z.view();
        assert!(close(
            m.std_l2().unwrap(),
            std_metrics::std_l2(v).unwrap(),
            1e-12
        ));
        for (a, b) in m
            .channel_std()
            .unwrap()
            .iter()
            .zip(std_metrics::channel_std(v).unwrap())
        {
            assert!(close(*a, b, 1e-12), "{a} vs {b}");
        }
        assert!(close(
            m.angular_spread(),
            std_metrics::angular_spread(v).unwrap(),
            1e-10
        ));
        let rel = std_metrics::relative_spread(v).unwrap();
        assert!(close(m.relative_spread(), rel, 1e-12) || m.relative_spread() == rel);
        let top = |s: &[f64]| s[0];
        for (a, b) in [
            (m.singular_values(), spectral::singular_values(v).unwrap()),
            (
                m.singular_values_centred(),
                spectral::singular_values_centred(v).unwrap(),
            ),
        ] {
            assert_eq!(a.len(), b.len());
            let scale = top(&b);
            for (x, y) in a.iter().zip(&b) {
                // Gram squaring: absolute error ≈ ε·σ_max² on σ², see `spectral`.
                assert!((x - y).abs() <= 1e-6 * scale, "{x} vs {y}");
            }
            let (ea, eb) = (spectral::effective_rank(&a), spectral::effective_rank(&b));
            assert!(
                close(ea, eb, 1e-9),
                "effective rank {ea} vs {eb}: {a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn streamed_blocks_match_the_whole_matrix_functions() {
        let z = random(1000, 7, 1);
        for block in [1, 3, 64, 1000, 5000] {
            assert_matches_definitions(&z, block);
        }
    }

    /// The row loops of `add` as they were written before they were split over rows and
    /// column ranges (one row after another), kept as the reference for the bits.
    fn sequential_pass1_add(p: &mut MomentsPass1, block: ArrayView2<f64>) {
        check_matrix(block).unwrap();
        let block_max = max_abs(block.iter());
        if block_max > p.max_abs {
            p.max_abs = block_max;
            let e = sum_exponent(block_max);
            if e != p.sum_exp {
                let f = pow2(e - p.sum_exp);
                p.sum_z.mapv_inplace(|v| v * f);
                p.sum_exp = e;
            }
        }
        let mut u = vec![0.0; p.sum_z.len()];
        for row in block.outer_iter() {
            if p.sum_exp == 0 {
                p.sum_z += &row;
            } else {
                p.sum_z.scaled_add(pow2(p.sum_exp), &row);
            }
            if normalise_into(row, &mut u) {
                p.zero_rows += 1;
            }
            for (s, &v) in p.sum_u.iter_mut().zip(&u) {
                *s += v;
            }
        }
        p.n += block.nrows();
    }

    fn normalise_into(r: ndarray::ArrayView1<f64>, out: &mut [f64]) -> bool {
        let scale = UnitScale::of(r.iter(), r.dot(&r));
        for (o, &v) in out.iter_mut().zip(r.iter()) {
            *o = scale.apply(v);
        }
        scale.is_zero()
    }

    /// See [`sequential_pass1_add`].
    fn sequential_pass2_add(p: &mut MomentsPass2, block: ArrayView2<f64>) {
        let d = p.mean_z.len();
        let f = pow2(p.exp);
        let b = block.nrows();
        p.centred.clear();
        p.centred.resize(b * d, 0.0);
        let mut u = vec![0.0; d];
        for (row, c) in block.outer_iter().zip(p.centred.chunks_exact_mut(d)) {
            for (((c, s), &v), &m) in c
                .iter_mut()
                .zip(p.ss_z.iter_mut())
                .zip(row.iter())
                .zip(p.mean_z.iter())
            {
                let x = if p.exp == 0 { v } else { v * f };
                *c = x - m;
                *s += *c * *c;
            }
            let zero = normalise_into(row, &mut u);
            for ((s, &v), &m) in p.ss_u.iter_mut().zip(&u).zip(p.mean_u.iter()) {
                *s += (v - m) * (v - m);
            }
            if let (Some(m_hat), false) = (&p.m_hat, zero) {
                p.angle_sum += angle_to(u.iter(), m_hat.view());
            }
        }
        if b > 0 {
            let c = faer::MatRef::from_row_major_slice(&p.centred, b, d);
            gram::add_lower(p.gram_centred.as_mut(), c);
        }
        p.seen += b;
    }

    fn bits<'a>(v: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
        v.into_iter().map(|x| x.to_bits()).collect()
    }

    /// Both passes with the parallel `add` and with [`sequential_pass1_add`] /
    /// [`sequential_pass2_add`], block by block; every accumulator must have the same bits.
    fn assert_parallel_add_is_sequential(z: &Array2<f64>, block: usize, threads: usize) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let d = z.ncols();
        let (mut par1, mut seq1) = (MomentsPass1::new(d), MomentsPass1::new(d));
        for c in z.axis_chunks_iter(Axis(0), block) {
            pool.install(|| par1.add(c)).unwrap();
            sequential_pass1_add(&mut seq1, c);
            assert_eq!(bits(&par1.sum_z), bits(&seq1.sum_z));
            assert_eq!(bits(&par1.sum_u), bits(&seq1.sum_u));
            assert_eq!(
                (par1.n, par1.sum_exp, par1.zero_rows, par1.max_abs.to_bits()),
                (seq1.n, seq1.sum_exp, seq1.zero_rows, seq1.max_abs.to_bits())
            );
        }
        let (mut par2, mut seq2) = (par1.finish().unwrap(), seq1.finish().unwrap());
        for c in z.axis_chunks_iter(Axis(0), block) {
            pool.install(|| par2.add(c)).unwrap();
            sequential_pass2_add(&mut seq2, c);
            assert_eq!(bits(&par2.centred), bits(&seq2.centred));
            assert_eq!(bits(&par2.ss_z), bits(&seq2.ss_z));
            assert_eq!(bits(&par2.ss_u), bits(&seq2.ss_u));
            assert_eq!(par2.angle_sum.to_bits(), seq2.angle_sum.to_bits());
            assert_eq!(par2.seen, seq2.seen);
        }
        for j in 0..d {
            for i in j..d {
                let (a, b) = (par2.gram_centred[(i, j)], seq2.gram_centred[(i, j)]);
                assert_eq!(a.to_bits(), b.to_bits(), "G_c[{i}, {j}]");
            }
        }
    }

    #[test]
    fn parallel_row_loops_have_the_bits_of_the_sequential_loops() {
        // Wide enough that the column sums are split into ranges (rows·d ≥ 2^15).
        let mut z = random(700, 300, 21);
        z.row_mut(3).fill(0.0);
        z.row_mut(400).fill(-0.0);
        z.row_mut(5).mapv_inplace(|v| v * 1e-300);
        // A block of huge rows midway: the running sum changes its scale.
        z.slice_mut(s![300..340, ..]).mapv_inplace(|v| v * 1e300);
        for threads in [1, 2, 3] {
            for block in [256, 700, 37] {
                assert_parallel_add_is_sequential(&z, block, threads);
            }
        }
        // A small matrix (one task for the column sums), rows of mixed scale, no mean
        // direction (rows symmetric about 0), and all rows zero.
        let mut small = random(40, 6, 22);
        small.row_mut(0).mapv_inplace(|v| v * 1e-200);
        assert_parallel_add_is_sequential(&small, 16, 2);
        let sym = ndarray::concatenate![Axis(0), small, small.mapv(|v| -v)];
        assert_parallel_add_is_sequential(&sym, 16, 2);
        assert_parallel_add_is_sequential(&Array2::zeros((50, 400)), 20, 2);
    }

    #[test]
    fn the_two_stage_spectra_match_the_whole_matrix_functions() {
        // d ≥ TWO_STAGE_MIN_DIM: both spectra from one tridiagonalisation, N > d and N < d.
        let d = TWO_STAGE_MIN_DIM + 6;
        assert_matches_definitions(&random(d + 90, d, 4), 500);
        // N < d: the N largest raw and N − 1 largest centred values match; the rest are zeros
        // in exact arithmetic, and rounding noise below √(d·ε)·σ_max in both computations.
        let z = random(300, d, 5);
        let m = streamed(&z, 128);
        for (got, want, rank) in [
            (
                m.singular_values(),
                spectral::singular_values(z.view()).unwrap(),
                300,
            ),
            (
                m.singular_values_centred(),
                spectral::singular_values_centred(z.view()).unwrap(),
                299,
            ),
        ] {
            let noise = (d as f64 * f64::EPSILON).sqrt() * want[0];
            for (i, (x, y)) in got.iter().zip(&want).enumerate() {
                if i < rank {
                    assert!(close(*x, *y, 1e-9), "σ_{i}: {x} vs {y}");
                } else {
                    assert!(x.abs() <= noise && y.abs() <= noise, "σ_{i}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn results_have_the_same_bits_with_one_and_several_threads() {
        let z = random(700, 300, 11);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| streamed(&z, 256))
        };
        let (one, two) = (run(1), run(2));
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(bits(one.singular_values()), bits(two.singular_values()));
        assert_eq!(
            bits(one.singular_values_centred()),
            bits(two.singular_values_centred())
        );
        assert_eq!(
            one.std_l2().unwrap().to_bits(),
            two.std_l2().unwrap().to_bits()
        );
    }

    #[test]
    fn wide_and_degenerate_inputs_match_too() {
        // N < d: the N largest eigenvalues of the d×d Gram.
        assert_matches_definitions(&random(5, 12, 2), 2);
        // A zero row and a constant column.
        let mut z = random(50, 4, 3);
        z.row_mut(7).fill(0.0);
        z.column_mut(2).fill(3.0);
        assert_matches_definitions(&z, 8);
        // Complete collapse: every row equal.
        let z = Array2::from_shape_fn((40, 5), |(_, j)| j as f64 + 1.0);
        let m = streamed(&z, 6);
        assert!(m.std_l2().unwrap() < 1e-15);
        assert_eq!(m.relative_spread(), 0.0);
        assert!(m.angular_spread().abs() < 1e-7);
        assert_eq!(m.channel_std().unwrap(), vec![0.0; 5]);
        assert_matches_definitions(&z, 6);
        // Symmetric around 0: no mean direction.
        let z = ndarray::array![[1.0, 0.0], [-1.0, 0.0]];
        assert_eq!(
            Moments::of(z.view()).unwrap().angular_spread(),
            std::f64::consts::FRAC_PI_2
        );
    }

    #[test]
    fn any_scale_matches_the_definitions_and_the_unit_scale() {
        let z = random(300, 5, 8);
        let m0 = streamed(&z, 64);
        for scale in [1e-300, 1e-150, 1e150, 1e200, 1e300] {
            let zs = z.mapv(|v| v * scale);
            assert_matches_definitions(&zs, 64);
            // Scaled blocks in a varying order of magnitude: the first block small, the
            // second huge (the running sum changes its scale midway).
            let m = streamed(&zs, 64);
            assert!((m.std_l2().unwrap() - m0.std_l2().unwrap()).abs() < 1e-12);
            assert!((m.angular_spread() - m0.angular_spread()).abs() < 1e-10);
            assert!((m.relative_spread() - m0.relative_spread()).abs() < 1e-12);
            for (a, b) in m.singular_values().iter().zip(m0.singular_values()) {
                assert!((a / scale - b).abs() < 1e-9 * b, "{scale}: {a} vs {b}");
            }
            for (a, b) in m
                .channel_std()
                .unwrap()
                .iter()
                .zip(m0.channel_std().unwrap())
            {
                assert!((a / scale - b).abs() < 1e-12 * b, "{scale}: {a} vs {b}");
            }
        }
        let mut mixed = z.clone();
        mixed.slice_mut(s![150.., ..]).mapv_inplace(|v| v * 1e300);
        let m = streamed(&mixed, 64);
        assert!(m.singular_values().iter().all(|v| v.is_finite()));
        assert!(m.relative_spread().is_finite() && m.angular_spread().is_finite());
        assert_matches_definitions(&mixed, 64);
    }

    #[test]
    fn constant_and_zero_embeddings_of_any_scale_are_collapsed() {
        for scale in [1e-300, 1e-150, 1.0, 1e150, 1e200, 1e300, 0.0] {
            let z = Array2::from_elem((100, 16), scale);
            let m = streamed(&z, 32);
            assert!(m.std_l2().unwrap() < 1e-15, "{scale}");
            assert!(m.angular_spread() < 1e-7, "{scale}: {}", m.angular_spread());
            let s = m.singular_values();
            assert!(s.iter().all(|v| v.is_finite()), "{scale}: {s:?}");
            assert!(spectral::effective_rank(&s) < 1.01, "{scale}: {s:?}");
            assert_eq!(m.zero_norm_rows(), if scale == 0.0 { 100 } else { 0 });
            let v = z.view();
            assert!(std_metrics::std_l2(v).unwrap() < 1e-15, "{scale}");
            assert!(std_metrics::angular_spread(v).unwrap() < 1e-7, "{scale}");
            let s = spectral::singular_values(v).unwrap();
            assert!(spectral::effective_rank(&s) < 1.01, "{scale}: {s:?}");
        }
    }

    #[test]
    fn zero_rows_are_counted_and_have_no_direction() {
        // 99 zero rows and one direction: one vector apart from the zeros, angle 0.
        let mut z = Array2::<f64>::zeros((100, 3));
        z.row_mut(17).assign(&ndarray::array![1.0, -2.0, 0.5]);
        let m = streamed(&z, 10);
        assert_eq!(m.zero_norm_rows(), 99);
        assert!(m.angular_spread() < 1e-7);
        let v = z.view();
        assert_eq!(std_metrics::zero_norm_rows(v).unwrap(), 99);
        assert!(std_metrics::angular_spread(v).unwrap() < 1e-7);
        assert!(close(
            m.std_l2().unwrap(),
            std_metrics::std_l2(v).unwrap(),
            1e-12
        ));
    }

    #[test]
    fn collapsed_embedding_keeps_its_tiny_spread() {
        // Spread 1e-9 around a mean of norm ~1e3: Σz² − n·z̄² would cancel to noise.
        let noise = random(200, 3, 4);
        let z = noise.mapv(|v| 1e3 + 1e-9 * v);
        let m = streamed(&z, 17);
        let direct = std_metrics::channel_std(z.view()).unwrap();
        for (a, b) in m.channel_std().unwrap().iter().zip(&direct) {
            assert!(close(*a, *b, 1e-6), "{a} vs {b}");
        }
    }

    #[test]
    fn bad_blocks_are_refused() {
        let mut p1 = MomentsPass1::new(3);
        let z = random(4, 3, 5);
        p1.add(z.view()).unwrap();
        assert!(matches!(
            p1.add(random(2, 4, 6).view()),
            Err(EstimatorError::InvalidParameter { .. })
        ));
        let mut bad = z.clone();
        bad[[1, 2]] = f64::NAN;
        assert_eq!(
            p1.add(bad.view()),
            Err(EstimatorError::NonFinite { row: 1, col: 2 })
        );
        let mut p2 = p1.finish().unwrap();
        p2.add(z.slice(s![..2, ..])).unwrap();
        assert!(matches!(
            p2.finish(),
            Err(EstimatorError::ShapeMismatch { .. })
        ));
        assert_eq!(
            MomentsPass1::new(3).finish().unwrap_err(),
            EstimatorError::EmptyInput
        );
        let one = Moments::of(random(1, 3, 7).view()).unwrap();
        assert!(one.std_l2().is_err() && one.channel_std().is_err());
    }
}
