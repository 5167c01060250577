//! Differential tests of the neighbour-search paths: brute force (the oracle), the kiddo k-d
//! tree and the sorted 1-D path must return identical k-th-neighbour distances, identical
//! strict and inclusive counts and identical KSG-2 rectangles, bit for bit, on random data and
//! on heavily tied data (rounded values, duplicated rows, constant columns).

use ib_estimators::knn::ksg::ksg_with_details;
use ib_estimators::knn::neighbors::{
    count_within, knn_rectangles, kth_neighbor_distances, Bound, Points, KD_TREE_MAX_DIM,
};
use ib_estimators::knn::{kl_entropy, KnnParams, KsgAlgorithm, Norm, Search};
use ndarray::{s, Array2};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Gaussian,
    /// Rounded to a 0.25 grid: many exact ties in every coordinate.
    Rounded,
    /// Each row present 3 times.
    Duplicated,
    /// Column 0 constant.
    ConstantColumn,
}

fn data(n: usize, d: usize, kind: Kind, seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut a = Array2::from_shape_fn((n, d), |_| StandardNormal.sample(&mut rng));
    match kind {
        Kind::Gaussian => {}
        Kind::Rounded => a.mapv_inplace(|v: f64| (v * 4.0).round() / 4.0),
        Kind::Duplicated => {
            for i in 0..n {
                let src = a.row(i / 3).to_owned();
                a.row_mut(i).assign(&src);
            }
        }
        Kind::ConstantColumn => a.column_mut(0).fill(0.7),
    }
    a
}

const KINDS: [Kind; 4] = [
    Kind::Gaussian,
    Kind::Rounded,
    Kind::Duplicated,
    Kind::ConstantColumn,
];

fn paths(d: usize) -> Vec<Search> {
    let mut p = vec![Search::Auto];
    if d <= KD_TREE_MAX_DIM {
        p.push(Search::KdTree);
    }
    if d == 1 {
        p.push(Search::Sorted);
    }
    p
}

#[test]
fn kth_distances_agree_across_paths() {
    for d in [1usize, 2, 3, 5, 8] {
        for (s, kind) in KINDS.iter().enumerate() {
            let x = data(400, d, *kind, 10 * d as u64 + s as u64);
            let p = Points::new(x.view()).unwrap();
            for k in [1usize, 3, 7] {
                for norm in [Norm::Max, Norm::Euclidean] {
                    let oracle = kth_neighbor_distances(&p, k, norm, Search::BruteForce).unwrap();
                    for path in paths(d) {
                        let got = kth_neighbor_distances(&p, k, norm, path).unwrap();
                        assert_eq!(got, oracle, "d={d} {kind:?} k={k} {norm:?} {path:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn counts_agree_across_paths() {
    let mut rng = StdRng::seed_from_u64(99);
    for d in [1usize, 2, 4, 8] {
        for (s, kind) in KINDS.iter().enumerate() {
            let x = data(400, d, *kind, 100 + 10 * d as u64 + s as u64);
            let p = Points::new(x.view()).unwrap();
            // Radii that are exact inter-point distances (the boundary cases), zeros, and random.
            let kth = kth_neighbor_distances(&p, 4, Norm::Max, Search::BruteForce).unwrap();
            let random: Vec<f64> = (0..p.n()).map(|_| rng.random_range(0.0..1.5)).collect();
            let zeros = vec![0.0; p.n()];
            for radii in [&kth, &random, &zeros] {
                for bound in [Bound::Strict, Bound::Inclusive] {
                    let oracle = count_within(&p, radii, bound, Search::BruteForce).unwrap();
                    for path in paths(d) {
                        let got = count_within(&p, radii, bound, path).unwrap();
                        assert_eq!(got, oracle, "d={d} {kind:?} {bound:?} {path:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn ksg2_rectangles_agree_across_paths() {
    for (dx, dy) in [(1usize, 1usize), (2, 1), (2, 3), (4, 4)] {
        for (s, kind) in KINDS.iter().enumerate() {
            let z = data(400, dx + dy, *kind, 200 + 10 * dx as u64 + s as u64);
            let x = Points::new(z.slice(s![.., ..dx])).unwrap();
            let y = Points::new(z.slice(s![.., dx..])).unwrap();
            for k in [1usize, 3, 6] {
                let oracle = knn_rectangles(&x, &y, k, Search::BruteForce).unwrap();
                for path in [Search::Auto, Search::KdTree] {
                    let got = knn_rectangles(&x, &y, k, path).unwrap();
                    assert_eq!(got, oracle, "({dx},{dy}) {kind:?} k={k} {path:?}");
                }
            }
        }
    }
}

#[test]
fn estimators_are_identical_on_every_path() {
    for kind in KINDS {
        let z = data(800, 3, kind, 300);
        let (x, y) = (z.slice(s![.., ..1]), z.slice(s![.., 1..]));
        for alg in [KsgAlgorithm::One, KsgAlgorithm::Two] {
            let base = KnnParams::new(4).unwrap();
            let (oracle, od) =
                ksg_with_details(x, y, &base.with_search(Search::BruteForce), alg).unwrap();
            for path in [Search::Auto, Search::KdTree, Search::Sorted] {
                let (got, gd) = ksg_with_details(x, y, &base.with_search(path), alg).unwrap();
                assert_eq!(gd, od, "{kind:?} {alg:?} {path:?}");
                assert_eq!(got.value.to_bits(), oracle.value.to_bits());
            }
        }
        let params = KnnParams::new(3).unwrap().with_norm(Norm::Euclidean);
        let oracle = kl_entropy(z.view(), &params.with_search(Search::BruteForce)).unwrap();
        let tree = kl_entropy(z.view(), &params.with_search(Search::KdTree)).unwrap();
        assert!(
            oracle.value.to_bits() == tree.value.to_bits()
                || (oracle.value.is_nan() && tree.value.is_nan())
        );
    }
}

/// Timing check: `cargo test --release --test differential -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run by hand in release"]
fn brute_force_timing() {
    for (n, d) in [(2000usize, 64usize), (5000, 128), (2000, 512)] {
        let x = data(n, d, Kind::Gaussian, 1);
        let t = std::time::Instant::now();
        let h = kl_entropy(x.view(), &KnnParams::new(3).unwrap()).unwrap();
        println!("KL N = {n}, d = {d}: {:?} ({:.3})", t.elapsed(), h.value);
        let t = std::time::Instant::now();
        let i = ib_estimators::ksg_mutual_information(
            x.slice(s![.., ..d / 2]),
            x.slice(s![.., d / 2..]),
            &KnnParams::new(3).unwrap(),
            KsgAlgorithm::One,
        )
        .unwrap();
        println!("KSG1 N = {n}, d = {d}: {:?} ({:.3})", t.elapsed(), i.value);
    }
    for (n, d) in [(20000usize, 1usize), (20000, 2), (20000, 4)] {
        let x = data(n, d, Kind::Gaussian, 2);
        let t = std::time::Instant::now();
        let h = kl_entropy(x.view(), &KnnParams::new(3).unwrap()).unwrap();
        println!("KL N = {n}, d = {d}: {:?} ({:.3})", t.elapsed(), h.value);
    }
}

#[test]
fn all_rows_equal_on_every_path() {
    for d in [1usize, 3, 8] {
        let x = Array2::from_elem((600, d), -0.25);
        let p = Points::new(x.view()).unwrap();
        for path in paths(d) {
            let r = kth_neighbor_distances(&p, 5, Norm::Max, path).unwrap();
            assert!(r.iter().all(|&v| v == 0.0), "d={d} {path:?}");
            let r = kth_neighbor_distances(&p, 5, Norm::Euclidean, path).unwrap();
            assert!(r.iter().all(|&v| v == 0.0), "d={d} {path:?}");
            let zeros = vec![0.0; p.n()];
            let strict = count_within(&p, &zeros, Bound::Strict, path).unwrap();
            assert!(strict.iter().all(|&c| c == 0), "d={d} {path:?}");
            let inclusive = count_within(&p, &zeros, Bound::Inclusive, path).unwrap();
            assert!(inclusive.iter().all(|&c| c == 599), "d={d} {path:?}");
        }
        let h = kl_entropy(x.view(), &KnnParams::new(3).unwrap()).unwrap();
        assert_eq!(h.value, f64::NEG_INFINITY);
    }
    let z = Array2::from_elem((600, 4), 1.0);
    let (x, y) = (
        Points::new(z.slice(s![.., ..2])).unwrap(),
        Points::new(z.slice(s![.., 2..])).unwrap(),
    );
    for path in [Search::BruteForce, Search::KdTree] {
        let (ex, ey) = knn_rectangles(&x, &y, 3, path).unwrap();
        assert!(ex.iter().chain(&ey).all(|&v| v == 0.0), "{path:?}");
    }
}
