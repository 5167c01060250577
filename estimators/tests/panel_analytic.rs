//! The metric panel (ARCHITECTURE.md §4) against cases with known answers, and its refusals of
//! input it cannot judge. Exact constructions are compared to rounding (tolerance stated per
//! test); sampled ones to a few standard deviations of the estimator at the sample size used,
//! measured over seeds with the reference implementation
//! (`tests/reference/metrics/make_metric_refs.py`), plus the estimator's measured bias.

use ib_estimators::panel::alpha_req::{alpha_req, covariance_eigenvalues, FitRange};
use ib_estimators::panel::isotropic::uniformity_isotropic;
use ib_estimators::panel::lidar::lidar;
use ib_estimators::panel::nc1::nc1;
use ib_estimators::panel::sphere::{alignment, uniformity};
use ib_estimators::panel::twonn::two_nn;
use ib_estimators::spectral::{effective_rank, singular_values_centred};
use ib_estimators::EstimatorError;
use ndarray::{Array2, Array3};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

fn normal(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((n, d), |_| StandardNormal.sample(&mut rng))
}

/// A value on the grid 2⁻¹⁰ in [−4, 4): sums and halves of a few of them are exact in f64.
fn dyadic(rng: &mut StdRng) -> f64 {
    f64::from(rng.random_range(-4096i32..4096)) / 1024.0
}

// ---------------------------------------------------------------------------------------------
// TwoNN
// ---------------------------------------------------------------------------------------------

#[test]
fn two_nn_of_a_gaussian_is_its_dimension() {
    // Mean over 4 samples of N = 5000 rows of N(0, I_d). Over 200 seeds of the reference
    // implementation one sample at N = 5000 gives: d = 2: mean 2.002, sd 0.035; d = 5: mean
    // 5.057, sd 0.101; d = 10: mean 9.815, sd 0.156 (TwoNN reads a Gaussian's density gradient
    // as curvature and underestimates in higher d). Tolerance: |bias| + 4 sd of a mean of 4
    // (sd/2): 0.072, 0.26, 0.50.
    for (d, tol) in [(2usize, 0.08), (5, 0.27), (10, 0.5)] {
        let mean = (0..4u64)
            .map(|s| {
                let t = two_nn(normal(5000, d, 100 * d as u64 + s).view()).unwrap();
                assert_eq!((t.used, t.duplicates), (4500, 0));
                t.dimension
            })
            .sum::<f64>()
            / 4.0;
        assert!(
            (mean - d as f64).abs() < tol,
            "d = {d}: TwoNN {mean}, tolerance {tol}"
        );
    }
}

#[test]
fn two_nn_of_a_line_in_many_dimensions_is_one() {
    // N = 3000 points at uniform positions on a straight line in R^40: r₂/r₁ follows the d = 1
    // law whatever the ambient dimension. Over 200 seeds of the reference implementation: mean
    // 1.002, sd 0.025, largest deviation 0.072. Tolerance: 4 sd + bias.
    let mut rng = StdRng::seed_from_u64(7);
    let dir: Vec<f64> = (0..40).map(|_| StandardNormal.sample(&mut rng)).collect();
    let t: Vec<f64> = (0..3000).map(|_| rng.random_range(0.0..10.0)).collect();
    let z = Array2::from_shape_fn((3000, 40), |(i, j)| t[i] * dir[j]);
    let est = two_nn(z.view()).unwrap();
    assert!((est.dimension - 1.0).abs() < 0.11, "{}", est.dimension);
}

#[test]
fn two_nn_drops_duplicates_and_counts_them() {
    // 300 distinct rows and one copy of each of the first 30: 60 rows have r₁ = 0.
    let base = normal(300, 4, 11);
    let z = ndarray::concatenate(
        ndarray::Axis(0),
        &[base.view(), base.slice(ndarray::s![..30, ..])],
    )
    .unwrap();
    let t = two_nn(z.view()).unwrap();
    assert_eq!(t.duplicates, 60);
    // int(270 · 0.9) = 243 kept
    assert_eq!(t.used, 243);
    assert!(t.dimension.is_finite() && t.dimension > 0.0);
}

// ---------------------------------------------------------------------------------------------
// α-ReQ
// ---------------------------------------------------------------------------------------------

fn power_law(n: usize, alpha: f64) -> Vec<f64> {
    (1..=n).map(|i| (i as f64).powf(-alpha)).collect()
}

#[test]
fn a_power_law_spectrum_gives_its_exponent_with_r2_one() {
    // ln λ_i = −α ln i exactly (up to the rounding of powf and ln, ~1e-16): the fit is exact to
    // ~1e-14, so 1e-12 holds with a wide margin.
    for alpha in [0.5, 1.0, 2.0] {
        let fit = alpha_req(&power_law(50, alpha), FitRange::default()).unwrap();
        assert!((fit.alpha - alpha).abs() < 1e-12, "α = {alpha}: {fit:?}");
        assert!(
            (fit.r2.unwrap() - 1.0).abs() < 1e-12,
            "α = {alpha}: {fit:?}"
        );
        assert!(fit.intercept.abs() < 1e-12, "α = {alpha}: {fit:?}");
        assert_eq!((fit.first_rank, fit.last_rank, fit.points), (1, 50, 50));
    }
}

#[test]
fn a_fit_range_selects_ranks_and_keeps_their_index() {
    let lambda = power_law(40, 1.5);
    let fit = alpha_req(
        &lambda,
        FitRange {
            first: 5,
            last: Some(20),
        },
    )
    .unwrap();
    assert_eq!((fit.first_rank, fit.last_rank, fit.points), (5, 20, 16));
    assert!((fit.alpha - 1.5).abs() < 1e-12, "{fit:?}");
    assert!(fit.intercept.abs() < 1e-12, "{fit:?}");
}

#[test]
fn eigenvalues_at_or_below_the_drop_threshold_are_left_out() {
    // λ_1 = 1: 1e-12 is dropped (≤ 1e-12·λ_1), as are the zeros; 12 ranks are fitted.
    let mut lambda = power_law(12, 1.0);
    lambda.extend([1e-12, 0.0, 0.0]);
    let fit = alpha_req(&lambda, FitRange::default()).unwrap();
    assert_eq!((fit.first_rank, fit.last_rank, fit.points), (1, 12, 12));
    assert!((fit.alpha - 1.0).abs() < 1e-12, "{fit:?}");
}

/// N×d data whose centred covariance (divisor N − 1) has the eigenvalues `lambda` exactly (up to
/// rounding): DCT-II columns k = 1..d are orthonormal and orthogonal to the constant vector.
fn data_with_spectrum(n: usize, lambda: &[f64]) -> Array2<f64> {
    let scale = (2.0 / n as f64).sqrt();
    Array2::from_shape_fn((n, lambda.len()), |(i, k)| {
        let c = (std::f64::consts::PI * (k + 1) as f64 * (i as f64 + 0.5) / n as f64).cos();
        scale * c * ((n - 1) as f64 * lambda[k]).sqrt()
    })
}

#[test]
fn data_with_a_power_law_covariance_give_its_exponent() {
    // Through the data path of the panel (centred singular values → covariance eigenvalues →
    // fit). The smallest eigenvalue is 40^−2 = 6e-4 of the largest, so the Gram route loses
    // at most ~1e-16/6e-4 ≈ 2e-13 relative on it: 1e-10 on α and on R² is ample.
    for alpha in [0.5, 1.0, 2.0] {
        let z = data_with_spectrum(500, &power_law(40, alpha));
        let s = singular_values_centred(z.view()).unwrap();
        let lambda = covariance_eigenvalues(&s, z.nrows());
        assert_eq!(lambda.len(), 40);
        let fit = alpha_req(&lambda, FitRange::default()).unwrap();
        assert!((fit.alpha - alpha).abs() < 1e-10, "α = {alpha}: {fit:?}");
        assert!(
            (fit.r2.unwrap() - 1.0).abs() < 1e-10,
            "α = {alpha}: {fit:?}"
        );
    }
}

#[test]
fn covariance_eigenvalues_divide_by_n_minus_one_and_stop_at_n_minus_one() {
    // 4 rows: at most 3 centred directions.
    let lambda = covariance_eigenvalues(&[3.0, 2.0, 1.0, 0.0], 4);
    assert_eq!(lambda.len(), 3);
    for (got, want) in lambda.iter().zip([3.0, 4.0 / 3.0, 1.0 / 3.0]) {
        assert!(((got - want) / want).abs() < 1e-15, "{lambda:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Alignment and uniformity
// ---------------------------------------------------------------------------------------------

#[test]
fn identical_views_have_alignment_zero() {
    let x = normal(50, 6, 21);
    let v = Array3::from_shape_fn((50, 3, 6), |(i, _, j)| x[[i, j]]);
    // 0 exactly by differences; 2 − 2u·u leaves at most a few ulps of 2, never below 0.
    let a = alignment(v.view()).unwrap();
    assert!((0.0..=1e-15).contains(&a.value), "{}", a.value);
    assert_eq!((a.inputs, a.skipped), (50, 0));
}

#[test]
fn scaled_views_align_and_opposite_views_are_four_apart() {
    // Normalisation removes the scale: a view and 3× it are aligned; a view and its negative
    // are antipodal, ‖u − (−u)‖² = 4. Exact up to the rounding of the normalisation (a few
    // ulps of 2 or 4).
    let x = normal(40, 5, 22);
    let scaled = Array3::from_shape_fn((40, 2, 5), |(i, a, j)| x[[i, j]] * [1.0, 3.0][a]);
    let a = alignment(scaled.view()).unwrap().value;
    assert!((0.0..=1e-15).contains(&a), "{a}");
    let opposite = Array3::from_shape_fn((40, 2, 5), |(i, a, j)| x[[i, j]] * [1.0, -1.0][a]);
    let a = alignment(opposite.view()).unwrap().value;
    assert!((a - 4.0).abs() < 1e-14, "{a}");
}

#[test]
fn uniformity_of_a_large_isotropic_sample_is_the_sphere_value() {
    // N = 2000 rows of N(0, I_d). Over 100 seeds of the reference implementation: d = 8: bias
    // +1.3e-4, sd 1.3e-3, largest deviation 4.8e-3; d = 32: bias +4.9e-5, sd 5.7e-4, largest
    // deviation 1.5e-3. Tolerance |bias| + 5 sd.
    for (d, tol) in [(8usize, 7e-3), (32, 3e-3)] {
        let u = uniformity(normal(2000, d, 300 + d as u64).view()).unwrap();
        let truth = uniformity_isotropic(d);
        assert_eq!((u.rows, u.zero_rows), (2000, 0));
        assert!(
            (u.value - truth).abs() < tol,
            "d = {d}: {} vs {truth}, tolerance {tol}",
            u.value
        );
    }
}

#[test]
fn uniformity_of_the_sphere_has_its_closed_forms() {
    // d = 1: the sphere is {−1, +1}; a pair is equal or opposite with probability ½ each:
    // ln((1 + e^{−8})/2). Large d: pairs become orthogonal, ‖u − v‖² → 2, value → −4.
    let d1 = ((1.0 + (-8.0f64).exp()) / 2.0).ln();
    assert!((uniformity_isotropic(1) - d1).abs() < 1e-14);
    let big = uniformity_isotropic(100_000);
    assert!(big < -4.0 + 1e-3 && big > -4.0, "{big}");
    // Decreasing in d (more room on the sphere).
    let mut last = 0.0;
    for d in 1..300 {
        let v = uniformity_isotropic(d);
        assert!(v < last && v.is_finite(), "d = {d}: {v}");
        last = v;
    }
}

#[test]
fn collapsed_rows_have_uniformity_zero_and_skipped_zero_rows_are_counted() {
    // All rows in one direction: every pair at distance 0, ln 1 = 0.
    let z = Array2::from_shape_fn((30, 4), |(i, j)| (i + 1) as f64 * [1.0, -2.0, 0.5, 3.0][j]);
    let u = uniformity(z.view()).unwrap();
    assert!(u.value.abs() < 1e-14, "{}", u.value);
    let mut z = normal(20, 3, 23);
    z.row_mut(4).fill(0.0);
    z.row_mut(9).fill(0.0);
    let u = uniformity(z.view()).unwrap();
    assert_eq!((u.rows, u.zero_rows), (18, 2));
}

// ---------------------------------------------------------------------------------------------
// LiDAR
// ---------------------------------------------------------------------------------------------

/// Eigenvalues of the means' covariance Σ_b, as RankMe's input.
fn means_spectrum(means: &Array2<f64>) -> Vec<f64> {
    let s = singular_values_centred(means.view()).unwrap();
    covariance_eigenvalues(&s, means.nrows())
}

#[test]
fn lidar_with_isotropic_within_scatter_is_the_rankme_of_the_means() {
    // Σ_w = c·I exactly ⇒ Σ_lidar = Σ_b/(c + δ), and LiDAR (scale-free) = RankMe of Σ_b's
    // eigenvalues. Means on a dyadic grid and offsets ±½ make the views' means exact.
    // (a) K = 2 views μ_i ± ½e_{i mod d}, N′ = 48 = 6d: Σ_w = (6·2·¼/48) I.
    // (b) K = 2d views μ_i ± ½e_j for every axis j: Σ_w = (2·¼/(2d − 1)) I.
    // N′ − 1 ≥ d, so Σ_b has all d eigenvalues. Both routes are eigen-decompositions of
    // well-conditioned d×d matrices (rounding ~1e-15): 1e-9 relative.
    let d = 8;
    let mut rng = StdRng::seed_from_u64(31);
    let n = 48;
    let means = Array2::from_shape_fn((n, d), |(_, j)| dyadic(&mut rng) / (1 << (j / 2)) as f64);
    let want = effective_rank(&means_spectrum(&means));
    let pair = Array3::from_shape_fn((n, 2, d), |(i, a, j)| {
        let offset = if j == i % d { 0.5 } else { 0.0 };
        means[[i, j]] + if a == 0 { offset } else { -offset }
    });
    let cross = Array3::from_shape_fn((n, 2 * d, d), |(i, a, j)| {
        let offset = if j == a / 2 { 0.5 } else { 0.0 };
        means[[i, j]] + if a % 2 == 0 { offset } else { -offset }
    });
    for (name, views) in [("pairs", pair), ("cross", cross)] {
        let got = lidar(views.view()).unwrap();
        assert!(
            ((got - want) / want).abs() < 1e-9,
            "{name}: LiDAR {got}, RankMe of the means {want}"
        );
    }
    // The means have unequal column scales, so the value is not trivially d.
    assert!(want < d as f64 - 0.5, "{want}");
}

#[test]
fn lidar_is_invariant_to_an_invertible_linear_map_of_the_views() {
    // Σ_b → AΣ_bAᵀ and Σ_w → AΣ_wAᵀ leave the generalised eigenvalues of (Σ_b, Σ_w) unchanged
    // up to the ridge δ = 1e-6, which is not transformed. A = diag(1, 2, …, 6), view noise
    // 0.5 N(0, I): over 50 seeds of the reference implementation the largest relative change
    // is 6.5e-7; tolerance 1e-5.
    let x = normal(80, 6, 41);
    let noise = normal(80 * 3, 6, 42);
    let v = Array3::from_shape_fn((80, 3, 6), |(i, a, j)| {
        x[[i, j]] + 0.5 * noise[[i * 3 + a, j]]
    });
    let w = Array3::from_shape_fn((80, 3, 6), |(i, a, j)| v[[i, a, j]] * (j + 1) as f64);
    let (l1, l2) = (lidar(v.view()).unwrap(), lidar(w.view()).unwrap());
    assert!(((l1 - l2) / l1).abs() < 1e-5, "{l1} vs {l2}");
}

// ---------------------------------------------------------------------------------------------
// NC1
// ---------------------------------------------------------------------------------------------

#[test]
fn equal_point_masses_have_nc1_zero() {
    // C = 4 classes of 8 identical rows on a dyadic grid (class means exact), and C = 3 classes
    // of 5 rows with arbitrary centres (means rounded, ~1e-16 relative). Σ_W is 0 or of the
    // order of the rounding, Σ_B ~ 1: NC1 ≤ 1e-15 whether the scatter is summed from the
    // differences or from the moments.
    let mut rng = StdRng::seed_from_u64(51);
    let centres = Array2::from_shape_fn((4, 6), |_| dyadic(&mut rng));
    let labels: Vec<i64> = (0..32).map(|i| (i % 4) as i64).collect();
    let z = Array2::from_shape_fn((32, 6), |(i, j)| centres[[i % 4, j]]);
    let v = nc1(z.view(), &labels).unwrap();
    assert!((0.0..=1e-15).contains(&v), "{v}");
    let centres = normal(3, 5, 52);
    let labels: Vec<i64> = (0..15).map(|i| [7, -1, 3][i % 3]).collect();
    let z = Array2::from_shape_fn((15, 5), |(i, j)| centres[[i % 3, j]]);
    let v = nc1(z.view(), &labels).unwrap();
    assert!((0.0..=1e-15).contains(&v), "{v}");
}

#[test]
fn nc1_of_two_classes_in_one_dimension_is_the_variance_ratio() {
    // d = 1, two classes of n rows: μ_c = ±m, within variance s² (divisor n per class, so Σ_W
    // = s²), Σ_B = m², NC1 = s²/m²/2. Rows ±m ± s alternate, so each class is exact.
    let (m, s, n) = (1.5, 0.25, 10);
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for c in 0..2 {
        for i in 0..n {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            rows.push([m, -m][c] + sign * s);
            labels.push(c as i64);
        }
    }
    let z = Array2::from_shape_vec((2 * n, 1), rows).unwrap();
    let v = nc1(z.view(), &labels).unwrap();
    let want = s * s / (m * m) / 2.0;
    assert!(((v - want) / want).abs() < 1e-14, "{v} vs {want}");
}

// ---------------------------------------------------------------------------------------------
// Input the panel cannot judge: an error with a reason, never a panic or a NaN
// ---------------------------------------------------------------------------------------------

/// The reason a record shows beside a null metric: a non-empty sentence, no NaN in it.
fn reason(what: &str, r: Result<impl std::fmt::Debug, EstimatorError>) -> String {
    match r {
        Ok(v) => panic!("{what}: expected an error, got {v:?}"),
        Err(e) => {
            let text = e.to_string();
            assert!(text.len() > 10, "{what}: reason {text:?}");
            assert!(!text.contains("NaN"), "{what}: reason {text:?}");
            text
        }
    }
}

fn mentions(text: &str, words: &[&str]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|w| lower.contains(w))
}

#[test]
fn one_view_per_input_is_refused_with_a_reason() {
    let v = Array3::from_shape_fn((20, 1, 4), |(i, _, j)| (i * 4 + j) as f64);
    for text in [
        reason("lidar K = 1", lidar(v.view())),
        reason("alignment K = 1", alignment(v.view())),
    ] {
        assert!(mentions(&text, &["view", "k = 1", "k=1"]), "{text}");
    }
}

#[test]
fn one_input_is_refused_by_lidar() {
    let v = Array3::from_shape_fn((1, 3, 4), |(_, a, j)| (a * 4 + j) as f64);
    reason("lidar N′ = 1", lidar(v.view()));
}

#[test]
fn one_class_is_refused_with_a_reason() {
    let z = normal(30, 4, 61);
    let text = reason("nc1 one class", nc1(z.view(), &[3; 30]));
    assert!(mentions(&text, &["class"]), "{text}");
}

#[test]
fn labels_of_the_wrong_length_are_refused() {
    let z = normal(30, 4, 62);
    let labels: Vec<i64> = (0..29).map(|i| i % 3).collect();
    reason("nc1 29 labels for 30 rows", nc1(z.view(), &labels));
}

#[test]
fn too_few_rows_are_refused() {
    let two = normal(2, 5, 63);
    reason("two_nn N = 2", two_nn(two.view()));
    let one = normal(1, 5, 64);
    reason("uniformity N = 1", uniformity(one.view()));
    // Two rows have one centred direction: one eigenvalue, no line to fit.
    let s = singular_values_centred(two.view()).unwrap();
    reason(
        "alpha_req N = 2",
        alpha_req(&covariance_eigenvalues(&s, 2), FitRange::default()),
    );
    reason(
        "alpha_req of no eigenvalues",
        alpha_req(&[], FitRange::default()),
    );
}

#[test]
fn constant_rows_are_refused_where_the_metric_is_undefined() {
    let z = Array2::from_shape_fn((40, 6), |(_, j)| j as f64 - 2.5);
    // No spread: every covariance eigenvalue is 0.
    let s = singular_values_centred(z.view()).unwrap();
    reason(
        "alpha_req constant rows",
        alpha_req(&covariance_eigenvalues(&s, 40), FitRange::default()),
    );
    // Every point duplicates every other: no μ = r₂/r₁ is defined.
    reason("two_nn constant rows", two_nn(z.view()));
    // Class means coincide: Σ_B = 0.
    let labels: Vec<i64> = (0..40).map(|i| i % 4).collect();
    reason("nc1 constant rows", nc1(z.view(), &labels));
    // Views all equal: the input means coincide, Σ_b = 0.
    let v = Array3::from_shape_fn((10, 4, 6), |(_, _, j)| j as f64 - 2.5);
    reason("lidar constant views", lidar(v.view()));
    // Uniformity of constant (non-zero) rows is defined: all pairs coincide, ln 1 = 0.
    assert!(uniformity(z.view()).unwrap().value.abs() < 1e-14);
    // Alignment of equal views is 0.
    assert_eq!(alignment(v.view()).unwrap().value, 0.0);
}

#[test]
fn all_zero_rows_and_views_are_refused() {
    let z = Array2::<f64>::zeros((10, 3));
    reason("uniformity zero rows", uniformity(z.view()));
    let mut one = Array2::<f64>::zeros((10, 3));
    one[[2, 1]] = 1.0;
    reason("uniformity one non-zero row", uniformity(one.view()));
    let v = Array3::<f64>::zeros((5, 2, 3));
    reason("alignment zero views", alignment(v.view()));
}

#[test]
fn non_finite_and_empty_input_is_refused() {
    let mut z = normal(20, 3, 65);
    z[[7, 2]] = f64::NAN;
    let labels: Vec<i64> = (0..20).map(|i| i % 2).collect();
    reason("two_nn NaN", two_nn(z.view()));
    reason("uniformity NaN", uniformity(z.view()));
    reason("nc1 NaN", nc1(z.view(), &labels));
    let mut v = Array3::from_shape_fn((10, 2, 3), |(i, a, j)| (i + a + j) as f64);
    v[[3, 1, 0]] = f64::INFINITY;
    reason("lidar inf", lidar(v.view()));
    reason("alignment inf", alignment(v.view()));
    reason(
        "alpha_req NaN eigenvalue",
        alpha_req(&[1.0, f64::NAN, 0.5], FitRange::default()),
    );
    let empty = Array2::<f64>::zeros((0, 3));
    reason("two_nn empty", two_nn(empty.view()));
    reason("uniformity empty", uniformity(empty.view()));
}

#[test]
fn an_invalid_fit_range_is_refused() {
    let lambda = power_law(10, 1.0);
    for range in [
        FitRange {
            first: 0,
            last: None,
        },
        FitRange {
            first: 5,
            last: Some(3),
        },
        FitRange {
            first: 10,
            last: None,
        },
    ] {
        reason(&format!("{range:?}"), alpha_req(&lambda, range));
    }
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn the_same_bits_for_one_and_two_threads() {
    let z = normal(700, 48, 71);
    let labels: Vec<i64> = (0..700).map(|i| (i % 5) as i64).collect();
    let noise = normal(200 * 3, 48, 72);
    let v = Array3::from_shape_fn((200, 3, 48), |(i, a, j)| {
        z[[i, j]] + 0.3 * noise[[i * 3 + a, j]]
    });
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let s = singular_values_centred(z.view()).unwrap();
            let a = alpha_req(&covariance_eigenvalues(&s, 700), FitRange::default()).unwrap();
            [
                a.alpha,
                a.r2.unwrap(),
                uniformity(z.view()).unwrap().value,
                two_nn(z.view()).unwrap().dimension,
                nc1(z.view(), &labels).unwrap(),
                lidar(v.view()).unwrap(),
                alignment(v.view()).unwrap().value,
            ]
            .map(f64::to_bits)
        })
    };
    assert_eq!(run(1), run(2));
}
