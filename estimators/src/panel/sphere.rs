//! Alignment and uniformity (Wang & Isola, "Understanding contrastive representation learning
//! through alignment and uniformity on the hypersphere", ICML 2020), on l2-normalised vectors,
//! with the paper's exponents α = 2 and t = 2; and the blocked Gram products of row pairs that
//! uniformity and the TwoNN neighbour search ([`super::twonn`]) share.
//!
//! Rows are brought to the unit sphere as [`crate::normalize`] describes (ARCHITECTURE.md §4,
//! "Scale and zero rows"): any non-zero row whatever its scale; a zero row has no direction and
//! is left out and counted.
//!
//! Uniformity sums over all N(N−1)/2 pairs: the rows are cut into blocks of [`PAIR_BLOCK`], and
//! each pair of blocks I ≤ J is one sequential faer product `U_I U_Jᵀ` (`Par::Seq`, packed and
//! vectorised) reduced to a partial log-sum-exp; rayon only chooses which thread runs which pair
//! of blocks, and the partial results are combined in the fixed order of the pairs, so the value
//! has the same bits with any number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use ndarray::{ArrayView2, ArrayView3};
use rayon::prelude::*;

use crate::error::{check_matrix, EstimatorError};
use crate::normalize::UnitScale;

/// Wang & Isola's uniformity temperature t.
pub const UNIFORMITY_T: f64 = 2.0;

/// Rows above which callers compute uniformity on a seeded subsample (the function itself always
/// computes all pairs of the rows it is given).
pub const UNIFORMITY_MAX_ROWS: usize = 10_000;

/// Rows per block of the blocked pair products (a 256×256 block of f64 is 512 KiB: it stays in
/// the L2 cache while it is scanned).
pub(crate) const PAIR_BLOCK: usize = 256;

/// Uniformity of a set of rows, and how many rows it was computed on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniformity {
    /// ln of the mean over pairs of exp(−t‖u_i − u_j‖²): in [−4t, 0] = [−8, 0].
    pub value: f64,
    /// Rows used (the non-zero rows).
    pub rows: usize,
    /// Rows of norm 0, left out (they have no direction).
    pub zero_rows: usize,
}

/// Uniformity (Wang & Isola, ICML 2020, eq. 5 with t = [`UNIFORMITY_T`] = 2), in nats:
///
/// ```text
/// uniformity = ln( (2 / (N(N−1))) Σ_{i<j} exp(−t ‖u_i − u_j‖²) ),   u_i = z_i / ‖z_i‖
/// ```
///
/// the mean over the N(N−1)/2 unordered pairs of the non-zero rows (`torch.pdist(u).pow(2)
/// .mul(-t).exp().mean().log()` of the paper's code). On the unit sphere
/// ‖u_i − u_j‖² = max(0, 2 − 2 u_i·u_j) ∈ [0, 4], so the value lies in [−4t, 0]: 0 when every
/// row points the same way (complete collapse), lower the more evenly the rows cover the sphere
/// ([`super::isotropic::uniformity_isotropic`] is the value of the uniform distribution).
///
/// Computed stably as a log-sum-exp: each block of pairs keeps its largest exponent m (0 for
/// coincident rows) and `Σ exp(e − m)`, and blocks are merged by rescaling, in a fixed order.
/// The inner products come from blocked Gram products (see the module documentation); the
/// Gram identity loses digits for nearly coincident rows, where exp(−t‖·‖²) ≈ 1 does not
/// depend on them.
///
/// Rows of norm 0 are left out and counted in `zero_rows`. Errors: empty or non-finite input;
/// fewer than 2 rows ([`EstimatorError::TooFewSamples`]); fewer than 2 non-zero rows
/// ([`EstimatorError::Degenerate`]).
pub fn uniformity(z: ArrayView2<f64>) -> Result<Uniformity, EstimatorError> {
    check_matrix(z)?;
    let (n, d) = z.dim();
    if n < 2 {
        return Err(EstimatorError::TooFewSamples { n, needed: 2 });
    }
    let (u, rows) = unit_rows(z);
    let zero_rows = n - rows;
    if rows < 2 {
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "{zero_rows} of the {n} rows are zero and have no direction: uniformity needs \
                 at least 2 non-zero rows"
            ),
        });
    }
    let parts = gram_block_pairs(&u, rows, d, |i0, j0, g| block_log_sum_exp(i0 == j0, g));
    let (mut top, mut sum) = (f64::NEG_INFINITY, 0.0f64);
    for (m, s) in parts {
        if s == 0.0 {
            continue;
        }
        if m > top {
            sum = sum * (top - m).exp() + s;
            top = m;
        } else {
            sum += s * (m - top).exp();
        }
    }
    let pairs = rows as f64 * (rows as f64 - 1.0) / 2.0;
    Ok(Uniformity {
        value: top + sum.ln() - pairs.ln(),
        rows,
        zero_rows,
    })
}

/// The exponent −t‖u_i − u_j‖² of a pair of unit rows with inner product `g`.
#[inline(always)]
fn exponent(g: f64) -> f64 {
    -UNIFORMITY_T * (2.0 - 2.0 * g).max(0.0)
}

/// (m, Σ exp(e − m)) over the pairs of one block of inner products, m the largest exponent:
/// every entry, or on a diagonal block (I = J) the pairs above the diagonal only. Summed by
/// columns, the column sums in order. An empty set of pairs gives (−∞, 0).
fn block_log_sum_exp(diagonal: bool, g: MatRef<'_, f64>) -> (f64, f64) {
    let rows_of = |j: usize| if diagonal { j } else { g.nrows() };
    let mut best = f64::NEG_INFINITY;
    for j in 0..g.ncols() {
        for i in 0..rows_of(j) {
            best = best.max(g[(i, j)]);
        }
    }
    if best == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, 0.0);
    }
    // The exponent grows with the inner product: the largest one belongs to the largest g.
    let m = exponent(best);
    let mut sum = 0.0;
    for j in 0..g.ncols() {
        let mut col = 0.0;
        for i in 0..rows_of(j) {
            col += (exponent(g[(i, j)]) - m).exp();
        }
        sum += col;
    }
    (m, sum)
}

/// The non-zero rows of `z` scaled to unit norm ([`UnitScale`], as
/// [`crate::normalize::l2_normalize_rows`] does), row-major, and their number.
pub(crate) fn unit_rows(z: ArrayView2<f64>) -> (Vec<f64>, usize) {
    let d = z.ncols();
    let scales: Vec<UnitScale> = (0..z.nrows())
        .into_par_iter()
        .map(|i| UnitScale::of_row(z.row(i)))
        .collect();
    let kept: Vec<usize> = (0..z.nrows()).filter(|&i| !scales[i].is_zero()).collect();
    let mut u = vec![0.0; kept.len() * d];
    u.par_chunks_mut(d.max(1))
        .zip(kept.par_iter())
        .for_each(|(out, &i)| {
            for (o, &v) in out.iter_mut().zip(z.row(i).iter()) {
                *o = scales[i].apply(v);
            }
        });
    (u, kept.len())
}

/// `f(i0, j0, G)` for every pair of row blocks I ≤ J of `rows` (n×d, row-major), the blocks
/// being rows `[b·PAIR_BLOCK, (b+1)·PAIR_BLOCK)`: `G = rows_I · rows_Jᵀ` (|I|×|J|,
/// column-major; `i0`, `j0` the first rows of I and J) is one sequential faer product, so its
/// bits do not depend on the threads. Pairs run in parallel; the results come back in the
/// fixed order (0,0), (0,1), …, (0,B−1), (1,1), …
pub(crate) fn gram_block_pairs<R, F>(rows: &[f64], n: usize, d: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize, usize, MatRef<'_, f64>) -> R + Sync,
{
    debug_assert_eq!(rows.len(), n * d);
    let blocks = n.div_ceil(PAIR_BLOCK);
    let span = |b: usize| (b * PAIR_BLOCK, ((b + 1) * PAIR_BLOCK).min(n));
    // faer's packed product is fastest with column-major operands: the right-hand side
    // rows_Jᵀ (d×|J|) is the row-major data read column-major; the left-hand side is copied
    // once per block.
    let lhs: Vec<Mat<f64>> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let (r0, r1) = span(b);
            MatRef::from_row_major_slice(&rows[r0 * d..r1 * d], r1 - r0, d).to_owned()
        })
        .collect();
    let pairs: Vec<(usize, usize)> = (0..blocks)
        .flat_map(|i| (i..blocks).map(move |j| (i, j)))
        .collect();
    pairs
        .into_par_iter()
        .with_max_len(1)
        .map(|(bi, bj)| {
            let (i0, i1) = span(bi);
            let (j0, j1) = span(bj);
            let rhs = MatRef::from_column_major_slice(&rows[j0 * d..j1 * d], d, j1 - j0);
            let mut g = Mat::<f64>::zeros(i1 - i0, j1 - j0);
            matmul(
                g.as_mut(),
                Accum::Replace,
                lhs[bi].as_ref(),
                rhs,
                1.0,
                Par::Seq,
            );
            f(i0, j0, g.as_ref())
        })
        .collect()
}

/// Alignment of the views of a set of inputs, and how many inputs it was computed on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// Mean of ‖u_ia − u_ib‖² over inputs and view pairs: in [0, 4].
    pub value: f64,
    /// Inputs used.
    pub inputs: usize,
    /// Inputs left out because one of their views is zero (no direction).
    pub skipped: usize,
}

/// Alignment (Wang & Isola, ICML 2020, eq. 4 with α = 2):
///
/// ```text
/// alignment = (1 / (N′·K(K−1)/2)) Σ_i Σ_{a<b} ‖u_ia − u_ib‖²,   u_ia = v_ia / ‖v_ia‖
/// ```
///
/// over the N′ inputs of `views` (N′×K×d: input i's K views in `views[i, .., ..]`) and all
/// unordered pairs of their views (the paper has K = 2: `(x − y).norm(dim=1).pow(2).mean()`).
/// Dimensionless, in [0, 4]: 0 when every input's views point the same way. Distances are
/// summed from the differences of the unit views (exact, 0 for identical views).
///
/// An input with a zero view (no direction) is left out and counted in `skipped`. Errors:
/// empty input; a non-finite entry ([`EstimatorError::NonFinite`] with `row = i·K + a`, the
/// view's row when the views are laid out as N′K rows, and its column); K < 2 or no input left
/// ([`EstimatorError::Degenerate`]).
pub fn alignment(views: ArrayView3<f64>) -> Result<Alignment, EstimatorError> {
    let (n, k, d) = views.dim();
    if n == 0 || k == 0 || d == 0 {
        return Err(EstimatorError::EmptyInput);
    }
    for ((i, a, col), v) in views.indexed_iter() {
        if !v.is_finite() {
            return Err(EstimatorError::NonFinite {
                row: i * k + a,
                col,
            });
        }
    }
    if k < 2 {
        return Err(EstimatorError::Degenerate {
            reason: "K = 1 view per input: alignment needs at least 2 views of each input".into(),
        });
    }
    // Per input: Σ_{a<b} ‖u_a − u_b‖², or None when a view is zero.
    let sums: Vec<Option<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let v = views.index_axis(ndarray::Axis(0), i);
            let mut u = vec![0.0; k * d];
            for (a, row) in v.outer_iter().enumerate() {
                let scale = UnitScale::of_row(row);
                if scale.is_zero() {
                    return None;
                }
                for (o, &x) in u[a * d..(a + 1) * d].iter_mut().zip(row.iter()) {
                    *o = scale.apply(x);
                }
            }
            let mut s = 0.0;
            for a in 0..k {
                for b in a + 1..k {
                    let ua = &u[a * d..(a + 1) * d];
                    let ub = &u[b * d..(b + 1) * d];
                    s += crate::knn::neighbors::sq_euclid(ua, ub);
                }
            }
            Some(s)
        })
        .collect();
    let inputs = sums.iter().flatten().count();
    let skipped = n - inputs;
    if inputs == 0 {
        return Err(EstimatorError::Degenerate {
            reason: format!(
                "each of the {n} inputs has a zero view (no direction): alignment needs inputs \
                 whose views are all non-zero"
            ),
        });
    }
    let total: f64 = sums.iter().flatten().sum();
    let pairs = inputs as f64 * (k * (k - 1) / 2) as f64;
    Ok(Alignment {
        value: total / pairs,
        inputs,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2, Array3};
    use rand::{Rng, SeedableRng};

    fn random(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Array2::from_shape_simple_fn((n, d), || rng.random_range(-1.0..1.0))
    }

    /// The definition pair by pair: unit rows, squared distances from differences, plain mean.
    fn naive_uniformity(z: &Array2<f64>) -> f64 {
        let u: Vec<Vec<f64>> = z
            .outer_iter()
            .filter(|r| r.iter().any(|&v| v != 0.0))
            .map(|r| {
                let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
                r.iter().map(|v| v / norm).collect()
            })
            .collect();
        let (mut s, mut p) = (0.0, 0.0);
        for i in 0..u.len() {
            for j in i + 1..u.len() {
                let d2: f64 = u[i].iter().zip(&u[j]).map(|(a, b)| (a - b) * (a - b)).sum();
                s += (-2.0 * d2).exp();
                p += 1.0;
            }
        }
        (s / p).ln()
    }

    #[test]
    fn two_antipodal_unit_vectors_give_minus_eight() {
        let u = uniformity(array![[1.0, 0.0], [-1.0, 0.0]].view()).unwrap();
        assert_eq!(u.value, -8.0);
        assert_eq!((u.rows, u.zero_rows), (2, 0));
    }

    #[test]
    fn orthonormal_rows_give_minus_four_and_zero_rows_are_skipped() {
        let u = uniformity(Array2::<f64>::eye(5).view()).unwrap();
        assert_eq!(u.value, -4.0);
        let mut z = Array2::<f64>::zeros((7, 3));
        for (r, c) in [(0, 0), (3, 1), (6, 2)] {
            z[[r, c]] = 2.5;
        }
        let u = uniformity(z.view()).unwrap();
        assert_eq!((u.value, u.rows, u.zero_rows), (-4.0, 3, 4));
    }

    #[test]
    fn plus_minus_axes_by_hand() {
        // ±e1, ±e2: two pairs at distance² 4, four at 2.
        let z = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 3.0], [0.0, -0.5]];
        let want = ((2.0 * (-8.0f64).exp() + 4.0 * (-4.0f64).exp()) / 6.0).ln();
        let got = uniformity(z.view()).unwrap().value;
        assert!((got - want).abs() <= 1e-15, "{got} {want}");
    }

    #[test]
    fn identical_rows_give_zero() {
        let z = Array2::from_shape_fn((300, 4), |(_, j)| 0.3 + j as f64);
        let u = uniformity(z.view()).unwrap();
        assert!(u.value <= 0.0 && u.value > -1e-14, "{}", u.value);
    }

    #[test]
    fn several_blocks_agree_with_the_definition() {
        // 600 rows = three blocks; half of them in a tight cluster (nearly coincident rows).
        let mut z = random(600, 7, 1);
        let centre = z.row(0).to_owned();
        for i in (0..600).step_by(2) {
            let r = &centre + &(z.row(i).to_owned() * 1e-3);
            z.row_mut(i).assign(&r);
        }
        let got = uniformity(z.view()).unwrap();
        let want = naive_uniformity(&z);
        assert!(
            (got.value - want).abs() <= 1e-12 * want.abs(),
            "{} {want}",
            got.value
        );
        assert_eq!(got.rows, 600);
    }

    #[test]
    fn scale_of_the_rows_does_not_matter() {
        let z = random(40, 6, 2);
        let a = uniformity(z.view()).unwrap().value;
        let b = uniformity((&z * 1e200).view()).unwrap().value;
        let c = uniformity((&z * 1e-300).view()).unwrap().value;
        assert!(
            (a - b).abs() <= 1e-13 && (a - c).abs() <= 1e-13,
            "{a} {b} {c}"
        );
    }

    #[test]
    fn same_bits_with_one_and_two_threads() {
        let z = random(700, 33, 3);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| uniformity(z.view()).unwrap().value)
        };
        assert_eq!(run(1).to_bits(), run(2).to_bits());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            uniformity(Array2::<f64>::zeros((0, 3)).view()),
            Err(EstimatorError::EmptyInput)
        );
        assert_eq!(
            uniformity(array![[1.0, 2.0]].view()),
            Err(EstimatorError::TooFewSamples { n: 1, needed: 2 })
        );
        assert_eq!(
            uniformity(array![[1.0, 2.0], [3.0, f64::NAN]].view()),
            Err(EstimatorError::NonFinite { row: 1, col: 1 })
        );
        let e = uniformity(array![[0.0, 0.0], [3.0, 1.0], [0.0, 0.0]].view()).unwrap_err();
        assert!(e.to_string().contains("2 of the 3 rows are zero"), "{e}");
    }

    #[test]
    fn identical_views_have_alignment_zero() {
        let v = Array3::from_shape_fn((5, 3, 4), |(i, _, j)| (i * 4 + j) as f64 - 7.5);
        let a = alignment(v.view()).unwrap();
        assert_eq!((a.value, a.inputs, a.skipped), (0.0, 5, 0));
    }

    #[test]
    fn alignment_by_hand() {
        // Input 0: e1, e2 (distance² 2); input 1: e1, −e1 (4). Mean 3.
        let v = array![[[2.0, 0.0], [0.0, 5.0]], [[1.0, 0.0], [-3.0, 0.0]]];
        assert_eq!(alignment(v.view()).unwrap().value, 3.0);
        // K = 3: e1, e2, −e1 → pairs 2, 4, 2: mean 8/3.
        let v = array![[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]];
        assert!((alignment(v.view()).unwrap().value - 8.0 / 3.0).abs() <= 1e-15);
    }

    #[test]
    fn inputs_with_a_zero_view_are_skipped() {
        let v = array![
            [[1.0, 0.0], [0.0, 1.0]],
            [[0.0, 0.0], [1.0, 1.0]],
            [[1.0, 1.0], [1.0, 1.0]]
        ];
        let a = alignment(v.view()).unwrap();
        assert_eq!((a.inputs, a.skipped), (2, 1));
        assert!((a.value - 1.0).abs() <= 1e-15, "{}", a.value);
        let e = alignment(v.slice(ndarray::s![1..2, .., ..])).unwrap_err();
        assert!(e.to_string().contains("zero view"), "{e}");
    }

    #[test]
    fn alignment_bad_input() {
        let e = alignment(Array3::<f64>::ones((4, 1, 3)).view()).unwrap_err();
        assert!(e.to_string().contains("K = 1 view"), "{e}");
        assert_eq!(
            alignment(Array3::<f64>::ones((0, 2, 3)).view()),
            Err(EstimatorError::EmptyInput)
        );
        let mut v = Array3::<f64>::ones((3, 2, 4));
        v[[2, 1, 3]] = f64::INFINITY;
        assert_eq!(
            alignment(v.view()),
            Err(EstimatorError::NonFinite { row: 5, col: 3 })
        );
    }

    #[test]
    fn alignment_same_bits_with_one_and_two_threads() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let v = Array3::from_shape_simple_fn((500, 3, 16), || rng.random_range(-1.0..1.0));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| alignment(v.view()).unwrap().value)
        };
        assert_eq!(run(1).to_bits(), run(2).to_bits());
    }
}
