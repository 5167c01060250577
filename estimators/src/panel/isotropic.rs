//! What an isotropic Gaussian embedding gives: the scale a reader compares a metric against.
//!
//! The rows of an N×d matrix of independent N(0, σ²) entries point in uniformly random
//! directions, and its spectrum is flat when N ≫ d. The values here are those limits — the
//! population values of the definitions, not the expectation of a finite sample, and a finite
//! sample departs from some of them. Its singular values spread over the Marchenko–Pastur
//! interval √N·σ·(1 ± √(d/N)) (N ≥ d), so RankMe and α-ReQ differ from their limits by an amount
//! that grows with d/N, and nearest-neighbour estimates of the intrinsic dimension such as TwoNN
//! fall short of d for a Gaussian of high dimension unless N is very large.

/// Wang & Isola's uniformity with t = 2 (ICML 2020) of the uniform distribution on the unit
/// sphere S^{d−1} of ℝ^d, where the l2-normalised rows of an isotropic Gaussian lie (the
/// population value: the expectation over independent pairs, inside the logarithm):
///
/// ```text
/// ln E exp(−2‖u − v‖²) = −4 + ln E exp(4 u·v) = −4 + ln ₀F₁(; d/2; 4)
/// ₀F₁(; b; x) = Σ_k x^k / ((b)_k k!)          ((b)_k = b(b+1)…(b+k−1))
/// ```
///
/// since ‖u − v‖² = 2 − 2u·v and E exp(κ u·v) = ₀F₁(; d/2; κ²/4) for independent uniform unit
/// vectors (the normalising constant of the von Mises–Fisher distribution). Special cases:
/// d = 1 gives ln((1 + e⁻⁸)/2), d = 2 gives −4 + ln I₀(4), d = 3 gives −4 + ln(sinh(4)/4); the
/// value decreases with d towards −4, as −4 + 8/d − 64/(d²(d + 2)) + O(d⁻⁵). Dimensionless (a
/// log-mean of kernel values in (0, 1]).
///
/// The series is summed term by term with the ratio t_{k+1}/t_k = 4/((d/2 + k)(k + 1)), so no
/// factorial or power overflows, and the logarithm is taken as ln_1p of the terms after the
/// first: accurate to a few ulps for every d (checked up to d = 10⁶). d = 0 (no sphere) gives
/// NaN.
///
/// ```
/// use ib_estimators::panel::isotropic::uniformity_isotropic;
/// let one = ((1.0 + (-8f64).exp()) / 2.0).ln();
/// assert!((uniformity_isotropic(1) - one).abs() < 1e-15);
/// assert!((uniformity_isotropic(1_000_000) - (-4.0 + 8e-6)).abs() < 1e-15);
/// ```
pub fn uniformity_isotropic(d: usize) -> f64 {
    if d == 0 {
        return f64::NAN;
    }
    const X: f64 = 4.0; // κ²/4 with κ = 2t = 4
    let b = d as f64 / 2.0;
    let mut term = 1.0f64;
    let mut tail = 0.0f64; // Σ_{k ≥ 1} t_k
    let mut k = 0.0f64;
    loop {
        term *= X / ((b + k) * (k + 1.0));
        k += 1.0;
        tail += term;
        // Once the ratio is below 1 the terms fall at least geometrically; stop when they no
        // longer change the sum 1 + tail.
        if k > X && term <= f64::EPSILON * 1e-3 * (1.0 + tail) {
            break;
        }
    }
    -X + tail.ln_1p()
}

/// Reference values of the metrics of an N×d tensor for an isotropic Gaussian of the same N and
/// d, in the N ≫ d limit where each is known in closed form (see the module documentation for
/// how finite samples differ), as (metric name, value):
///
/// | name | value | why |
/// |---|---|---|
/// | `effective_rank` | min(N, d) | flat spectrum: RankMe (Garrido et al., ICML 2023) counts every direction |
/// | `effective_rank_centred` | min(N − 1, d) | the same after centring, which removes one direction |
/// | `effective_rank_ratio` | 1 | `effective_rank` / min(N, d) |
/// | `effective_rank_centred_ratio` | 1 | `effective_rank_centred` / min(N − 1, d) |
/// | `normalised_std_l2` | 1 | √d·std_l2: each coordinate of a uniform unit vector has std 1/√d |
/// | `collapse_level` | 0 | 1 − √d·std_l2 (Chen & He, CVPR 2021) |
/// | `uniformity` | [`uniformity_isotropic`]`(d)` | Wang & Isola, ICML 2020, t = 2 |
/// | `alpha_req` | 0 | a flat covariance spectrum has no decay (Agrawal et al., NeurIPS 2022) |
/// | `intrinsic_dim` | d | the Gaussian fills ℝ^d (Facco et al., Sci. Rep. 2017) |
///
/// Empty when N = 0 or d = 0 (no tensor to compare).
pub fn reference_values(n: usize, d: usize) -> Vec<(&'static str, f64)> {
    if n == 0 || d == 0 {
        return Vec::new();
    }
    vec![
        ("effective_rank", n.min(d) as f64),
        ("effective_rank_centred", (n - 1).min(d) as f64),
        ("effective_rank_ratio", 1.0),
        ("effective_rank_centred_ratio", 1.0),
        ("normalised_std_l2", 1.0),
        ("collapse_level", 0.0),
        ("uniformity", uniformity_isotropic(d)),
        ("alpha_req", 0.0),
        ("intrinsic_dim", d as f64),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn closed_forms_in_one_two_and_three_dimensions() {
        // d = 1: u·v = ±1 with probability ½ each, ‖u − v‖² ∈ {0, 4}.
        let one = ((1.0 + (-8f64).exp()) / 2.0).ln();
        assert!((uniformity_isotropic(1) - one).abs() < 1e-15);
        // d = 2: u·v = cos θ, θ uniform, E e^{4 cos θ} = I₀(4) = (1/π) ∫_0^π e^{4 cos θ} dθ,
        // here by the trapezoid rule on the periodic integrand (exponentially convergent), and
        // against the tabulated I₀(4) = 11.301921952136330 (Abramowitz & Stegun, Table 9.8).
        let m = 400;
        let h = std::f64::consts::PI / m as f64;
        let mut integral = 0.5 * (4f64.exp() + (-4f64).exp());
        for j in 1..m {
            integral += (4.0 * (j as f64 * h).cos()).exp();
        }
        let i0 = integral * h / std::f64::consts::PI;
        assert!((i0 - 11.301_921_952_136_33).abs() < 1e-12, "I₀(4) = {i0}");
        assert!((uniformity_isotropic(2) - (-4.0 + i0.ln())).abs() < 1e-14);
        // d = 3: u·v is uniform on [−1, 1], E e^{4 u·v} = sinh(4)/4.
        let three = -4.0 + (4f64.sinh() / 4.0).ln();
        assert!((uniformity_isotropic(3) - three).abs() < 1e-14);
    }

    #[test]
    fn high_precision_values_and_the_large_d_limit() {
        // −4 + ln ₀F₁(; d/2; 4) summed with 60-digit decimals (Python's `decimal`, terms until
        // below 1e-55):
        for (d, want) in [
            (10usize, -3.246_504_206_778_697),
            (100, -3.920_062_616_754_621),
            (1000, -3.992_000_063_870_898_4),
            (1_000_000, -3.999_992), // −3.99999200000000006400…
        ] {
            let v = uniformity_isotropic(d);
            assert!((v - want).abs() < 2e-15, "d = {d}: {v} vs {want}");
        }
        // −4 + 8/d + O(1/d²), and the next term −64/(d²(d + 2)).
        for d in [100usize, 1000, 12_345, 1_000_000] {
            let x = d as f64;
            let v = uniformity_isotropic(d);
            assert!(((v - (-4.0 + 8.0 / x)) * x * x).abs() < 1.0, "d = {d}");
            let second = -4.0 + 8.0 / x - 64.0 / (x * x * (x + 2.0));
            assert!((v - second).abs() < 100.0 / x.powi(4) + 1e-15, "d = {d}");
        }
    }

    #[test]
    fn decreases_with_d_and_stays_finite() {
        let mut prev = uniformity_isotropic(1);
        for d in (2..=3000).chain([10_000, 100_000, 1_000_000, 50_000_000]) {
            let v = uniformity_isotropic(d);
            assert!(v.is_finite() && v > -4.0, "d = {d}: {v}");
            assert!(v < prev, "d = {d}: {v} ≥ {prev}");
            prev = v;
        }
        assert!(uniformity_isotropic(0).is_nan());
    }

    /// ln of the mean of exp(−2‖u − v‖²) over `pairs` independent pairs of uniform unit vectors
    /// (normalised Gaussian vectors), and the standard error of that log-mean (delta method).
    fn monte_carlo(d: usize, pairs: usize, seed: u64) -> (f64, f64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut unit = || {
            let v: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
            let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter().map(|x| x / n).collect::<Vec<f64>>()
        };
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..pairs {
            let (u, v) = (unit(), unit());
            let dist2: f64 = u.iter().zip(&v).map(|(a, b)| (a - b) * (a - b)).sum();
            let k = (-2.0 * dist2).exp();
            sum += k;
            sum_sq += k * k;
        }
        let m = pairs as f64;
        let mean = sum / m;
        let var = (sum_sq / m - mean * mean) * m / (m - 1.0);
        (mean.ln(), (var / m).sqrt() / mean)
    }

    #[test]
    fn monte_carlo_over_random_unit_vectors_agrees() {
        for (d, seed) in [(3usize, 11u64), (16, 12)] {
            let (mc, se) = monte_carlo(d, 200_000, seed);
            let exact = uniformity_isotropic(d);
            assert!(
                (mc - exact).abs() < 4.0 * se,
                "d = {d}: Monte Carlo {mc} ± {se} vs {exact}"
            );
            // The test has the power to see a wrong constant: se is well below 8/d's size.
            assert!(se < 0.01, "d = {d}: se {se}");
        }
    }

    #[test]
    fn reference_values_list_each_metric_once() {
        let r = reference_values(1000, 64);
        let get = |k: &str| r.iter().find(|(n, _)| *n == k).unwrap().1;
        assert_eq!(r.len(), 9);
        assert_eq!(get("effective_rank"), 64.0);
        assert_eq!(get("effective_rank_centred"), 64.0);
        assert_eq!(get("uniformity"), uniformity_isotropic(64));
        assert_eq!(get("intrinsic_dim"), 64.0);
        assert_eq!((get("alpha_req"), get("collapse_level")), (0.0, 0.0));
        let wide = reference_values(10, 64);
        let get = |k: &str| wide.iter().find(|(n, _)| *n == k).unwrap().1;
        assert_eq!(
            (get("effective_rank"), get("effective_rank_centred")),
            (10.0, 9.0)
        );
        assert!(reference_values(0, 5).is_empty() && reference_values(5, 0).is_empty());
        let mut names: Vec<_> = r.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 9);
        assert!(r.iter().all(|(_, v)| v.is_finite()));
    }
}
