//! Timing of the panel's pair metrics (not a test): uniformity and the TwoNN intrinsic dimension
//! of an N×d standard Gaussian sample, each against a baseline in the same process — uniformity
//! against the definition summed pair by pair from differences (sequential), TwoNN against the
//! exact brute-force Euclidean search of `knn::neighbors` (k = 1 and 2). One JSON line per
//! metric and dimension on stdout: seconds, value, and with `--baseline` the baseline's seconds,
//! the ratio baseline / panel and the baseline's value.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release -p ib-estimators --example panel_speed -- \
//!     [--n 10000] [--dims 64,512,2048] [--baseline] [--seed 7]
//! ```
//!
//! Measured on 2 cores of an AMD EPYC (AVX2) shared with other builds (load average ≈ 10, so
//! this process ran on about half a core on average; wall seconds are upper bounds):
//!
//! | N | d | uniformity s | TwoNN s | baseline uniformity s | baseline TwoNN s |
//! |---|---|---|---|---|---|
//! | 2,000 | 64 | 0.13 | 0.13 | 0.38 | 1.66 |
//! | 2,000 | 512 | 0.51 | 0.54 | 3.88 | 13.2 |
//! | 10,000 | 64 | 2.5 | 3.3 | – | – |
//! | 10,000 | 512 | 10.1 | 11.1 | – | – |
//! | 10,000 | 2048 | 40–44 | 34–41 | – | – |
//!
//! (`--n 2000 --dims 64,512 --baseline`, then `--n 10000`; at 10,000 × 2048 both metrics
//! together took 36 CPU-seconds, `time`'s user figure.) The TwoNN values equal the brute
//! force's bit for bit; uniformity agrees with the pairwise sum to 1e-14 relative.

use std::time::Instant;

use ib_estimators::knn::neighbors::{kth_neighbor_distances, Norm, Points, Search};
use ib_estimators::panel::{sphere, twonn};
use ndarray::Array2;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// ln of the mean over pairs of exp(−2‖u_i − u_j‖²), pair by pair from differences.
fn uniformity_pairs(z: &Array2<f64>) -> f64 {
    let u: Vec<Vec<f64>> = z
        .outer_iter()
        .map(|r| {
            let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            r.iter().map(|v| v / norm).collect()
        })
        .collect();
    let mut s = 0.0;
    for i in 0..u.len() {
        for j in i + 1..u.len() {
            let d2: f64 = u[i].iter().zip(&u[j]).map(|(a, b)| (a - b) * (a - b)).sum();
            s += (-2.0 * d2).exp();
        }
    }
    let n = u.len() as f64;
    (s / (n * (n - 1.0) / 2.0)).ln()
}

/// The TwoNN fit on brute-force neighbours (no duplicates in Gaussian samples).
fn two_nn_brute(z: &Array2<f64>) -> f64 {
    let p = Points::new(z.view()).unwrap();
    let r1 = kth_neighbor_distances(&p, 1, Norm::Euclidean, Search::BruteForce).unwrap();
    let r2 = kth_neighbor_distances(&p, 2, Norm::Euclidean, Search::BruteForce).unwrap();
    let mut mu: Vec<f64> = r1.iter().zip(&r2).map(|(a, b)| b / a).collect();
    mu.sort_unstable_by(f64::total_cmp);
    let m = mu.len();
    let k = (m as f64 * (1.0 - twonn::TWONN_DISCARD)).floor() as usize;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (j, v) in mu[..k].iter().enumerate() {
        let (x, y) = (v.ln(), -(1.0 - j as f64 / m as f64).ln());
        sxx += x * x;
        sxy += x * y;
    }
    sxy / sxx
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed().as_secs_f64(), v)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--n").map_or(10_000, |v| v.parse().expect("--n N"));
    let seed: u64 = arg(&args, "--seed").map_or(7, |v| v.parse().expect("--seed S"));
    let dims: Vec<usize> = arg(&args, "--dims")
        .unwrap_or_else(|| "64,512,2048".into())
        .split(',')
        .map(|v| v.parse().expect("--dims D1,D2,…"))
        .collect();
    let baseline = args.iter().any(|a| a == "--baseline");
    let threads = rayon::current_num_threads();
    for d in dims {
        let mut rng = StdRng::seed_from_u64(seed);
        let z = Array2::from_shape_simple_fn((n, d), || StandardNormal.sample(&mut rng));
        let (s, u) = timed(|| sphere::uniformity(z.view()).unwrap().value);
        let mut line = format!(
            "{{\"metric\":\"uniformity\",\"n\":{n},\"d\":{d},\"threads\":{threads},\
             \"seconds\":{s:.3},\"value\":{u}"
        );
        if baseline {
            let (bs, bu) = timed(|| uniformity_pairs(&z));
            line += &format!(
                ",\"baseline_seconds\":{bs:.3},\"ratio\":{:.2},\"baseline_value\":{bu}",
                bs / s
            );
        }
        println!("{line}}}");
        let (s, t) = timed(|| twonn::two_nn(z.view()).unwrap().dimension);
        let mut line = format!(
            "{{\"metric\":\"two_nn\",\"n\":{n},\"d\":{d},\"threads\":{threads},\
             \"seconds\":{s:.3},\"value\":{t}"
        );
        if baseline {
            let (bs, bt) = timed(|| two_nn_brute(&z));
            line += &format!(
                ",\"baseline_seconds\":{bs:.3},\"ratio\":{:.2},\"baseline_value\":{bt}",
                bs / s
            );
        }
        println!("{line}}}");
    }
}
