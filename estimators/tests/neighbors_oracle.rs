//! Every neighbour-search path against a naive oracle written here from the definitions (all
//! pairs, sort): k-th-neighbour distances and strict/inclusive counts under the max-norm, on
//! random, tied, duplicated and lattice data, d = 1 … 32, small and larger N; the paired counts
//! of KSG (x and y in one pass); plus independence of the thread count.

use ib_estimators::knn::neighbors::{
    count_within, count_within_pair, kth_neighbor_distances, Bound, Points,
};
use ib_estimators::knn::{kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm};
use ib_estimators::knn::{Norm, Search};
use ib_estimators::EstimatorError;
use ndarray::{s, Array2};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn oracle_kth(x: &Array2<f64>, k: usize) -> Vec<f64> {
    let n = x.nrows();
    (0..n)
        .map(|i| {
            let mut d: Vec<f64> = (0..n)
                .filter(|&j| j != i)
                .map(|j| dist(x.row(i).as_slice().unwrap(), x.row(j).as_slice().unwrap()))
                .collect();
            d.sort_by(f64::total_cmp);
            d[k - 1]
        })
        .collect()
}

fn oracle_count(x: &Array2<f64>, r: &[f64], inclusive: bool) -> Vec<usize> {
    let n = x.nrows();
    (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| j != i)
                .filter(|&j| {
                    let v = dist(x.row(i).as_slice().unwrap(), x.row(j).as_slice().unwrap());
                    if inclusive {
                        v <= r[i]
                    } else {
                        v < r[i]
                    }
                })
                .count()
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Gaussian,
    Rounded,
    Duplicated,
    Lattice,
}

fn data(n: usize, d: usize, kind: Kind, seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut a = Array2::from_shape_fn((n, d), |_| StandardNormal.sample(&mut rng));
    match kind {
        Kind::Gaussian => {}
        Kind::Rounded => a.mapv_inplace(|v: f64| (v * 2.0).round() / 2.0),
        Kind::Duplicated => {
            for i in 0..n {
                let src = a.row(i / 4).to_owned();
                a.row_mut(i).assign(&src);
            }
        }
        // Integer lattice points, many equal distances (and exact ties at every radius).
        Kind::Lattice => a.mapv_inplace(|_| f64::from(rng.random_range(0..4)) * 0.5),
    }
    a
}

const PATHS: [Search; 3] = [Search::Auto, Search::BruteForce, Search::KdTree];

#[test]
fn kth_and_counts_match_the_oracle() {
    let mut rng = StdRng::seed_from_u64(5);
    for &d in &[1usize, 2, 3, 5, 8, 9, 16, 17, 32] {
        for &n in &[9usize, 61, 700] {
            if d >= 16 && n == 700 && cfg!(debug_assertions) {
                continue;
            }
            for (s, kind) in [
                Kind::Gaussian,
                Kind::Rounded,
                Kind::Duplicated,
                Kind::Lattice,
            ]
            .into_iter()
            .enumerate()
            {
                let x = data(n, d, kind, (d * 1000 + n * 10 + s) as u64);
                let p = Points::new(x.view()).unwrap();
                for k in [1usize, 3, 8] {
                    if k >= n {
                        continue;
                    }
                    let want = oracle_kth(&x, k);
                    for path in PATHS {
                        let got = kth_neighbor_distances(&p, k, Norm::Max, path).unwrap();
                        assert_eq!(got, want, "kth d={d} n={n} {kind:?} k={k} {path:?}");
                    }
                }
                let kth = oracle_kth(&x, 3.min(n - 1));
                let random: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..2.0)).collect();
                for radii in [&kth, &random, &vec![0.0; n]] {
                    for (bound, incl) in [(Bound::Strict, false), (Bound::Inclusive, true)] {
                        let want = oracle_count(&x, radii, incl);
                        for path in PATHS {
                            let got = count_within(&p, radii, bound, path).unwrap();
                            assert_eq!(got, want, "count d={d} n={n} {kind:?} {bound:?} {path:?}");
                        }
                    }
                }
            }
        }
    }
}

/// x and y counted together (one pass when both take the brute-force path) against the oracle
/// of each space, every path, strict and inclusive.
#[test]
fn paired_counts_match_the_oracle() {
    let mut rng = StdRng::seed_from_u64(6);
    for &(dx, dy) in &[
        (1usize, 1usize),
        (3, 12),
        (9, 9),
        (16, 16),
        (10, 15),
        (17, 9),
        (16, 20),
    ] {
        for &n in &[9usize, 61, 300] {
            for (s, kind) in [
                Kind::Gaussian,
                Kind::Rounded,
                Kind::Duplicated,
                Kind::Lattice,
            ]
            .into_iter()
            .enumerate()
            {
                let z = data(n, dx + dy, kind, (dx * 1000 + dy * 100 + n * 10 + s) as u64);
                let (x, y) = (
                    z.slice(s![.., ..dx]).to_owned(),
                    z.slice(s![.., dx..]).to_owned(),
                );
                let (px, py) = (
                    Points::new(x.view()).unwrap(),
                    Points::new(y.view()).unwrap(),
                );
                let kth = oracle_kth(&z, 3);
                let random: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..3.0)).collect();
                for radii in [&kth, &random, &vec![0.0; n]] {
                    for (bound, incl) in [(Bound::Strict, false), (Bound::Inclusive, true)] {
                        let want = (oracle_count(&x, radii, incl), oracle_count(&y, radii, incl));
                        for path in PATHS {
                            let got = count_within_pair(&px, &py, radii, bound, path).unwrap();
                            assert_eq!(
                                got, want,
                                "pair dx={dx} dy={dy} n={n} {kind:?} {bound:?} {path:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn k_at_least_n_is_an_error_on_every_path() {
    for d in [1usize, 4, 20] {
        let x = data(5, d, Kind::Gaussian, 1);
        let p = Points::new(x.view()).unwrap();
        for path in PATHS {
            for k in [5usize, 6] {
                assert_eq!(
                    kth_neighbor_distances(&p, k, Norm::Max, path),
                    Err(EstimatorError::TooFewSamples {
                        n: 5,
                        needed: k + 1
                    }),
                    "d={d} k={k} {path:?}"
                );
            }
        }
    }
}

/// Same results with 1 and 2 worker threads (and across repeated runs).
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut out = Vec::new();
            for (n, d) in [(3000usize, 2usize), (2000, 8), (1500, 16), (800, 32)] {
                let z = data(n, 2 * d, Kind::Gaussian, d as u64);
                let (x, y) = (z.slice(s![.., ..d]), z.slice(s![.., d..]));
                let params = KnnParams::new(3).unwrap();
                out.push(kl_entropy(x, &params).unwrap().value.to_bits());
                out.push(
                    ksg_mutual_information(x, y, &params, KsgAlgorithm::One)
                        .unwrap()
                        .value
                        .to_bits(),
                );
            }
            out
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(2));
}
