//! Timing of the two streamed passes of [`Moments`] (not a test): `MomentsPass1::add` and
//! `MomentsPass2::add` over an N×d standard Gaussian sample fed in blocks of `--block` rows
//! (the block sizes of `analyze`: 2048 rows at d = 2048, 512 at d = 8192), with the centred
//! Gram update ([`gram::add_lower`], part of pass 2) timed alone on the same blocks so that
//! the row loops of pass 2 can be read off as `pass2 − gram`. One JSON line on stdout.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release -p ib-estimators --example moments_passes -- \
//!     [--n 50000] [--d 2048] [--block 2048] [--distinct 4] [--seed 15]
//! ```
//!
//! `--distinct` blocks are generated and fed in turn (generating N×d normals would take longer
//! than the passes); the timings do not depend on the values.
//!
//! `--baseline` also times, in the same process, the row loops as they were written before
//! they were split over rows and column ranges (one row after another, on one thread: Σ z,
//! Σ u, the centred copy, Σ(z − z̄)², Σ(u − ū)² and the angles; no Gram update), the figure
//! to compare with `pass1_s + pass2_rows_s`. `--reps R` repeats everything and keeps each
//! figure's minimum (other processes on the machine only ever add time).
//!
//! On the 2-core machine (load average 1.2 at the start), `RAYON_NUM_THREADS=2 --baseline`,
//! `--reps 3` at 50,000 × 2048 (`--block 2048`) and `--reps 2` at 16,384 × 8192
//! (`--block 512`):
//!
//! ```text
//! {"n": 50000, "d": 2048, "block": 2048, "threads": 2, "pass1_s": 0.216, "pass2_s": 2.726, "gram_s": 2.063, "pass2_rows_s": 0.663, "baseline_rows_s": 0.733}
//! {"n": 16384, "d": 8192, "block": 512, "threads": 2, "pass1_s": 0.283, "pass2_s": 13.280, "gram_s": 12.353, "pass2_rows_s": 0.927, "baseline_rows_s": 0.984}
//! ```
//!
//! The Gram update is most of pass 2. The row loops of both passes (`pass1_s + pass2_rows_s`,
//! the second a difference of two timings) take 0.88 s and 1.21 s, against 0.73 s and 0.98 s for
//! the sequential loops, which leave out the finiteness and largest-|entry| scans that the new
//! pass 1 does in the same sweep: splitting the loops over both cores about pays for those scans
//! and does not yet make the passes faster.

use std::time::Instant;

use ib_estimators::gram;
use ib_estimators::moments::MomentsPass1;
use ib_estimators::normalize::UnitScale;
use ndarray::{Array2, ArrayView2};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--n", 50_000);
    let d = arg(&args, "--d", 2048);
    let block = arg(&args, "--block", 2048);
    let distinct = arg(&args, "--distinct", 4).max(1);
    let seed = arg(&args, "--seed", 15) as u64;
    let mut rng = StdRng::seed_from_u64(seed);
    let blocks: Vec<Array2<f64>> = (0..distinct)
        .map(|_| Array2::from_shape_fn((block, d), |_| StandardNormal.sample(&mut rng)))
        .collect();
    let sizes: Vec<usize> = (0..n.div_ceil(block))
        .map(|i| block.min(n - i * block))
        .collect();
    let feed = |i: usize| {
        let b = &blocks[i % distinct];
        b.slice(ndarray::s![..sizes[i], ..])
    };

    let reps = arg(&args, "--reps", 1).max(1);
    let baseline = args.iter().any(|a| a == "--baseline");
    let (mut pass1, mut pass2, mut gram_s, mut base) = (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..reps {
        let t = Instant::now();
        let mut p1 = MomentsPass1::new(d);
        for i in 0..sizes.len() {
            p1.add(feed(i)).unwrap();
        }
        pass1 = pass1.min(t.elapsed().as_secs_f64());
        let mut p2 = p1.finish().unwrap();
        let t = Instant::now();
        for i in 0..sizes.len() {
            p2.add(feed(i)).unwrap();
        }
        pass2 = pass2.min(t.elapsed().as_secs_f64());

        // The Gram update alone, on row-major blocks of the same shapes.
        let mut g = faer::Mat::<f64>::zeros(d, d);
        let t = Instant::now();
        for (i, &rows) in sizes.iter().enumerate() {
            let b = feed(i);
            let slice = b.as_slice().expect("row-major");
            gram::add_lower(
                g.as_mut(),
                faer::MatRef::from_row_major_slice(slice, rows, d),
            );
        }
        gram_s = gram_s.min(t.elapsed().as_secs_f64());
        if baseline {
            let t = Instant::now();
            let blocks: Vec<ArrayView2<f64>> = (0..sizes.len()).map(feed).collect();
            std::hint::black_box(sequential_row_loops(&blocks, d));
            base = base.min(t.elapsed().as_secs_f64());
        }
    }
    println!(
        "{{\"n\": {n}, \"d\": {d}, \"block\": {block}, \"threads\": {}, \"pass1_s\": {pass1:.3}, \
         \"pass2_s\": {pass2:.3}, \"gram_s\": {gram_s:.3}, \"pass2_rows_s\": {:.3}, \
         \"baseline_rows_s\": {}}}",
        rayon::current_num_threads(),
        pass2 - gram_s,
        if baseline {
            format!("{base:.3}")
        } else {
            "null".into()
        }
    );
}

/// The angle between unit vectors a and b, `2·atan2(‖a − b‖, ‖a + b‖)` (Kahan).
fn angle_to(a: &[f64], b: &[f64]) -> f64 {
    let (mut diff, mut sum) = (0.0, 0.0);
    for (&a, &b) in a.iter().zip(b) {
        diff += (a - b) * (a - b);
        sum += (a + b) * (a + b);
    }
    2.0 * diff.sqrt().atan2(sum.sqrt())
}

fn normalise_into(r: ndarray::ArrayView1<f64>, out: &mut [f64]) -> bool {
    let scale = UnitScale::of(r.iter(), r.dot(&r));
    for (o, &v) in out.iter_mut().zip(r.iter()) {
        *o = scale.apply(v);
    }
    scale.is_zero()
}

/// The row loops of both passes, one row after another (ordinary data: no power-of-two
/// scaling); returns the sums so that nothing is optimised away.
fn sequential_row_loops(blocks: &[ArrayView2<f64>], d: usize) -> (Vec<f64>, f64) {
    let (mut sum_z, mut sum_u, mut u) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut n = 0usize;
    for block in blocks {
        for row in block.outer_iter() {
            for (s, &v) in sum_z.iter_mut().zip(row.iter()) {
                *s += v;
            }
            normalise_into(row, &mut u);
            for (s, &v) in sum_u.iter_mut().zip(&u) {
                *s += v;
            }
        }
        n += block.nrows();
    }
    let mean_z: Vec<f64> = sum_z.iter().map(|s| s / n as f64).collect();
    let mean_u: Vec<f64> = sum_u.iter().map(|s| s / n as f64).collect();
    let norm = mean_u.iter().map(|v| v * v).sum::<f64>().sqrt();
    let m_hat: Vec<f64> = mean_u.iter().map(|v| v / norm).collect();
    let (mut ss_z, mut ss_u, mut angle_sum) = (vec![0.0; d], vec![0.0; d], 0.0);
    let mut centred = Vec::new();
    for block in blocks {
        centred.clear();
        centred.resize(block.nrows() * d, 0.0);
        for (row, c) in block.outer_iter().zip(centred.chunks_exact_mut(d)) {
            for (((c, s), &v), &m) in c
                .iter_mut()
                .zip(ss_z.iter_mut())
                .zip(row.iter())
                .zip(&mean_z)
            {
                *c = v - m;
                *s += *c * *c;
            }
            let zero = normalise_into(row, &mut u);
            for ((s, &v), &m) in ss_u.iter_mut().zip(&u).zip(&mean_u) {
                *s += (v - m) * (v - m);
            }
            if !zero {
                angle_sum += angle_to(&u, &m_hat);
            }
        }
        std::hint::black_box(&centred);
    }
    (ss_z.into_iter().chain(ss_u).collect(), angle_sum)
}
