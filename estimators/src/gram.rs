//! The d×d Gram matrix `G += Cᵀ C` of streamed row blocks `C` (b×d), lower triangle only, as a
//! blocked, multi-threaded symmetric rank-b update whose result does not depend on the number of
//! threads (ARCHITECTURE.md §4).
//!
//! One faer triangular product (`dst` lower triangular, packed and vectorised) per block, run as
//! a fixed [`GRAM_PAR_DEGREE`] tasks from [`GRAM_PAR_MIN_WORK`] multiply-adds on: faer splits
//! the output between the tasks and sums every entry over the rows in the same order in one
//! task, so 1 thread or 8 give the same bits. Work is about `b·d²/2` multiply-adds per block:
//! half of the full product `Cᵀ C`.

use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};

/// Tasks of one block's product.
pub const GRAM_PAR_DEGREE: usize = 2;

/// Blocks with fewer multiply-adds (b·d²/2) are summed in one task.
pub const GRAM_PAR_MIN_WORK: usize = 1 << 22;

/// `gram[i, j] += Σ_r c[r, i]·c[r, j]` for i ≥ j (the strict upper triangle is not touched).
///
/// `gram` is d×d (any strides, typically column-major); `c` is b×d, fastest row-major.
pub fn add_lower(gram: MatMut<'_, f64>, c: MatRef<'_, f64>) {
    let d = gram.ncols();
    assert!(
        gram.nrows() == d && c.ncols() == d,
        "a d×d Gram of b×d rows"
    );
    if d == 0 || c.nrows() == 0 {
        return;
    }
    let par = if c.nrows() * d * d / 2 >= GRAM_PAR_MIN_WORK {
        Par::rayon(GRAM_PAR_DEGREE)
    } else {
        Par::Seq
    };
    let rect = BlockStructure::Rectangular;
    matmul(
        gram,
        BlockStructure::TriangularLower,
        Accum::Add,
        c.transpose(),
        rect,
        c,
        rect,
        1.0,
        par,
    );
}

/// Copies the lower triangle onto the upper one (for callers that want the full matrix).
pub fn symmetrise(mut gram: MatMut<'_, f64>) {
    let d = gram.ncols();
    for j in 0..d {
        for i in j + 1..d {
            let v = gram[(i, j)];
            gram[(j, i)] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::prelude::ReborrowMut;
    use faer::Mat;
    use rand::{Rng, SeedableRng};

    fn random(b: usize, d: usize, seed: u64) -> Mat<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Mat::from_fn(b, d, |_, _| rng.random_range(-1.0..1.0))
    }

    #[test]
    fn lower_triangle_equals_the_plain_sum() {
        for (b, d) in [(1, 1), (7, 3), (50, 129), (33, 300)] {
            let c = random(b, d, d as u64);
            let mut g = Mat::<f64>::zeros(d, d);
            add_lower(g.as_mut(), c.as_ref());
            add_lower(g.as_mut(), c.as_ref());
            for j in 0..d {
                for i in j..d {
                    let want: f64 = (0..b).map(|r| c[(r, i)] * c[(r, j)]).sum::<f64>() * 2.0;
                    assert!((g[(i, j)] - want).abs() <= 1e-12 * (b as f64), "{i},{j}");
                }
            }
        }
    }

    /// The former update: output panels of 128 columns, each one sequential product.
    fn panel_by_panel(mut gram: MatMut<'_, f64>, c: MatRef<'_, f64>) {
        let d = gram.ncols();
        let c_cols: Mat<f64> = c.to_owned();
        let mut j0 = 0;
        while j0 < d {
            let w = 128.min(d - j0);
            let dst = gram.rb_mut().submatrix_mut(j0, j0, d - j0, w);
            let lhs = c.subcols(j0, d - j0).transpose();
            let rhs = c_cols.as_ref().subcols(j0, w);
            faer::linalg::matmul::matmul(dst, Accum::Add, lhs, rhs, 1.0, Par::Seq);
            j0 += w;
        }
    }

    #[test]
    fn same_bits_as_the_former_panel_by_panel_products() {
        for (b, d) in [
            (1, 1),
            (7, 3),
            (50, 129),
            (33, 300),
            (512, 1024),
            (5, 2000),
            (777, 1500),
        ] {
            let c = random(b, d, (b * d) as u64);
            let row_major: Vec<f64> = (0..b * d).map(|k| c[(k / d, k % d)]).collect();
            let c = MatRef::from_row_major_slice(&row_major, b, d);
            let (mut new, mut old) = (Mat::<f64>::zeros(d, d), Mat::<f64>::zeros(d, d));
            for _ in 0..2 {
                add_lower(new.as_mut(), c);
                panel_by_panel(old.as_mut(), c);
            }
            for j in 0..d {
                for i in j..d {
                    assert_eq!(
                        new[(i, j)].to_bits(),
                        old[(i, j)].to_bits(),
                        "{b}×{d}: {i},{j}"
                    );
                }
            }
        }
    }

    #[test]
    fn same_bits_with_one_and_several_threads() {
        let (b, d) = (300, 517);
        let c = random(b, d, 9);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut g = Mat::<f64>::zeros(d, d);
                add_lower(g.as_mut(), c.as_ref());
                add_lower(g.as_mut(), c.as_ref().subrows(0, 77));
                g
            })
        };
        let (one, three) = (run(1), run(3));
        for j in 0..d {
            for i in j..d {
                assert_eq!(one[(i, j)].to_bits(), three[(i, j)].to_bits(), "{i},{j}");
            }
        }
    }
}
