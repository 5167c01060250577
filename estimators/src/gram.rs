//! The d×d Gram matrix `G += Cᵀ C` of streamed row blocks `C` (b×d), lower triangle only, as a
//! blocked, multi-threaded symmetric rank-b update whose result does not depend on the number of
//! threads (ARCHITECTURE.md §4).
//!
//! The output columns are cut into panels of [`PANEL`] columns, a partition fixed by d alone.
//! Panel `[j0, j1)` receives `G[j0.., j0..j1] += C[:, j0..]ᵀ · C[:, j0..j1]`, one sequential
//! faer matrix product (`Par::Seq`, packed and vectorised). Panels write disjoint columns and
//! are handed to rayon's threads in any order, but every entry of `G` is always summed by the
//! same sequential product in the same order, so 1 thread or 8 give the same bits. Work is about
//! `b·d²` multiply-adds per block: half of the full product `Cᵀ C`.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Output columns per parallel task.
pub const PANEL: usize = 128;

/// `gram[i, j] += Σ_r c[r, i]·c[r, j]` for i ≥ j (columns of the panels touching the diagonal
/// may also receive entries just above it; only the lower triangle is meaningful).
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
    // faer's packed product is several times faster with a column-major right-hand side; the
    // left-hand side Cᵀ is column-major when `c` is row-major. One b×d copy per block.
    let c_cols: Mat<f64> = c.to_owned();
    let mut panels: Vec<(usize, MatMut<'_, f64>)> = Vec::with_capacity(d.div_ceil(PANEL));
    let mut rest = gram;
    let mut j0 = 0;
    while j0 < d {
        let w = PANEL.min(d - j0);
        let (left, right) = rest.split_at_col_mut(w);
        panels.push((j0, left));
        rest = right;
        j0 += w;
    }
    // The widest tasks (the first panels) first, so that the last ones to finish are short.
    panels
        .into_par_iter()
        .with_max_len(1)
        .for_each(|(j0, panel)| {
            let w = panel.ncols();
            let dst = panel.subrows_mut(j0, d - j0);
            let lhs = c.subcols(j0, d - j0).transpose();
            let rhs = c_cols.as_ref().subcols(j0, w);
            matmul(dst, Accum::Add, lhs, rhs, 1.0, Par::Seq);
        });
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
