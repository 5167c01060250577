//! Speed benchmark of the streamed spectra (not a test): the Gram matrices of an N×d matrix fed
//! in row blocks and their eigenvalues, the way [`Moments`] does it (one centred rank-b update of
//! a lower triangle, multi-threaded, the raw Gram derived from it, the eigenvalues without a
//! layout copy) against the former way in the same process (two full `general_mat_mul` per
//! block, raw and centred, then two sequential eigen-decompositions of copies). Median of
//! repetitions, one JSON line per size on stdout, with the ratio former / current.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo bench -p ib-estimators --bench bench_gram -- \
//!     [--sizes 20000x512,20000x1024] [--block 4096] [--reps 3] [--seed 7]
//! ```
//!
//! Both sides see the same f64 blocks of `--block` rows (the binary uses 4096 rows up to
//! d = 1024, then 2²²/d but at least 512). The largest relative difference of the two spectra
//! is printed too (`max_rel_diff`, relative to the largest singular value).

use std::time::Instant;

use ib_estimators::linalg::symmetric_eigenvalues;
use ib_estimators::moments::MomentsPass1;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, Axis};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Singular values (raw, centred) the former way.
fn former(z: &Array2<f64>, block: usize) -> (Vec<f64>, Vec<f64>) {
    let d = z.ncols();
    let mean = z.mean_axis(Axis(0)).unwrap();
    let mut g = Array2::<f64>::zeros((d, d));
    let mut gc = Array2::<f64>::zeros((d, d));
    for b in z.axis_chunks_iter(Axis(0), block) {
        let c = &b - &mean.view().insert_axis(Axis(0));
        general_mat_mul(1.0, &b.t(), &b, 1.0, &mut g);
        general_mat_mul(1.0, &c.t(), &c, 1.0, &mut gc);
    }
    let sv = |g: &Array2<f64>| {
        symmetric_eigenvalues(g.view())
            .into_iter()
            .map(|l| l.max(0.0).sqrt())
            .collect::<Vec<_>>()
    };
    (sv(&g), sv(&gc))
}

/// Singular values (raw, centred) through `Moments` (both passes), and the seconds spent in
/// the eigenvalues (`finish`).
fn current(z: &Array2<f64>, block: usize) -> ((Vec<f64>, Vec<f64>), f64) {
    let mut p1 = MomentsPass1::new(z.ncols());
    for b in z.axis_chunks_iter(Axis(0), block) {
        p1.add(b).unwrap();
    }
    let mut p2 = p1.finish().unwrap();
    for b in z.axis_chunks_iter(Axis(0), block) {
        p2.add(b).unwrap();
    }
    let t = Instant::now();
    let m = p2.finish().unwrap();
    let eig = t.elapsed().as_secs_f64();
    ((m.singular_values(), m.singular_values_centred()), eig)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut sizes = vec![(20000usize, 512usize), (20000, 1024)];
    let (mut block, mut reps, mut seed) = (4096usize, 3usize, 7u64);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--sizes" => {
                sizes = v
                    .split(',')
                    .map(|s| {
                        let (n, d) = s.split_once('x').expect("--sizes NxD,NxD");
                        (n.parse().unwrap(), d.parse().unwrap())
                    })
                    .collect()
            }
            "--block" => block = v.parse().unwrap(),
            "--reps" => reps = v.parse().unwrap(),
            "--seed" => seed = v.parse().unwrap(),
            // `cargo bench` passes --bench.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    for (n, d) in sizes {
        let mut rng = StdRng::seed_from_u64(seed);
        // A decaying spectrum and a mean, so that both spectra are non-trivial.
        let z = Array2::from_shape_fn((n, d), |(_, j)| {
            let x: f64 = StandardNormal.sample(&mut rng);
            x / (1.0 + j as f64 / 16.0) + 0.3
        });
        let (mut t_old, mut t_new, mut t_eig) = (Vec::new(), Vec::new(), Vec::new());
        let mut diff = 0.0f64;
        for _ in 0..reps {
            let t = Instant::now();
            let a = former(&z, block);
            t_old.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let (b, eig) = current(&z, block);
            t_new.push(t.elapsed().as_secs_f64());
            t_eig.push(eig);
            for (x, y) in [(&a.0, &b.0), (&a.1, &b.1)] {
                for (p, q) in x.iter().zip(y.iter()) {
                    diff = diff.max((p - q).abs() / x[0]);
                }
            }
        }
        let (o, c) = (median(t_old), median(t_new));
        println!(
            "{{\"n\": {n}, \"d\": {d}, \"block\": {block}, \"threads\": {}, \"former_s\": {o:.3}, \
             \"current_s\": {c:.3}, \"current_eigenvalues_s\": {:.3}, \"ratio\": {:.2}, \
             \"max_rel_diff\": {diff:.2e}}}",
            rayon::current_num_threads(),
            median(t_eig),
            o / c
        );
    }
}
