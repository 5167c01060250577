//! Speed benchmark of the two Gram spectra (not a test): the eigenvalues of a symmetric A and of
//! A + c·u uᵀ from one two-stage tridiagonalisation
//! ([`ib_estimators::linalg::eigenvalues_with_rank_one_update`], the path of `Moments` from
//! d = 1024 on) against faer's one-stage eigensolver run twice on the same matrices
//! ([`ib_estimators::linalg::symmetric_eigenvalues_lower`], the path below d = 1024), in one
//! process. Median of repetitions, one JSON line per order on stdout, with the ratio
//! one-stage / two-stage and the largest eigenvalue difference relative to the largest
//! eigenvalue.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo bench -p ib-estimators --bench bench_eigen_pair -- \
//!     [--dims 1024,2048,4096] [--reps 3] [--seed 7]
//! ```
//!
//! A is the Gram matrix XᵀX/n of a seeded n×d Gaussian matrix with columns scaled by
//! 1/(1 + j/16) (a decaying spectrum, n = d + 64); u is a seeded mean vector and c = n.

use std::time::Instant;

use faer::Mat;
use ib_estimators::linalg::{eigenvalues_with_rank_one_update, symmetric_eigenvalues_lower};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The Gram matrix of the header, both triangles.
fn gram(d: usize, seed: u64) -> Mat<f64> {
    let n = d + 64;
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Mat::<f64>::from_fn(n, d, |_, j| {
        let v: f64 = StandardNormal.sample(&mut rng);
        v / (1.0 + j as f64 / 16.0)
    });
    let mut g = Mat::<f64>::zeros(d, d);
    faer::linalg::matmul::matmul(
        g.as_mut(),
        faer::Accum::Replace,
        x.transpose(),
        x.as_ref(),
        1.0 / n as f64,
        faer::Par::rayon(2),
    );
    g
}

/// The former path: decompose A, add c·u uᵀ to its lower triangle, decompose again.
fn one_stage_twice(a: &Mat<f64>, u: &[f64], c: f64) -> (Vec<f64>, Vec<f64>) {
    let first = symmetric_eigenvalues_lower(a.as_ref());
    let mut b = a.clone();
    let d = u.len();
    for j in 0..d {
        for i in j..d {
            b[(i, j)] += c * u[i] * u[j];
        }
    }
    (first, symmetric_eigenvalues_lower(b.as_ref()))
}

fn main() {
    let mut dims = vec![1024usize, 2048, 4096];
    let (mut reps, mut seed) = (3usize, 7u64);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--dims" => {
                dims = v
                    .split(',')
                    .map(|s| s.parse().expect("--dims D,D"))
                    .collect()
            }
            "--reps" => reps = v.parse().expect("--reps N"),
            "--seed" => seed = v.parse().expect("--seed N"),
            // `cargo bench` passes --bench.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    for d in dims {
        let a = gram(d, seed);
        let mut rng = StdRng::seed_from_u64(seed + 1);
        let u: Vec<f64> = (0..d)
            .map(|_| {
                let v: f64 = StandardNormal.sample(&mut rng);
                0.5 * v
            })
            .collect();
        let c = (d + 64) as f64 / 64.0;
        let (mut t_old, mut t_new) = (Vec::new(), Vec::new());
        let mut diff = 0.0f64;
        for _ in 0..reps {
            let t = Instant::now();
            let old = one_stage_twice(&a, &u, c);
            t_old.push(t.elapsed().as_secs_f64());
            let mut work = a.clone();
            let t = Instant::now();
            let new = eigenvalues_with_rank_one_update(work.as_mut(), &u, c);
            t_new.push(t.elapsed().as_secs_f64());
            for (x, y) in [(&old.0, &new.0), (&old.1, &new.1)] {
                for (p, q) in x.iter().zip(y.iter()) {
                    diff = diff.max((p - q).abs() / x[0]);
                }
            }
        }
        let (o, n) = (median(t_old), median(t_new));
        println!(
            "{{\"d\": {d}, \"threads\": {}, \"one_stage_twice_s\": {o:.3}, \"two_stage_once_s\": \
             {n:.3}, \"ratio\": {:.2}, \"max_rel_diff\": {diff:.2e}}}",
            rayon::current_num_threads(),
            o / n
        );
    }
}
