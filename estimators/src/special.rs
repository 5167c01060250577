//! Special functions at the arguments the estimators need: digamma at positive integers, the
//! log-volume of unit balls, and a summation that reproduces numpy's `np.sum`.

/// Euler–Mascheroni constant γ = −ψ(1).
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Below this argument ψ(n) is summed exactly from the harmonic series; above it the
/// asymptotic series is accurate to well below one ulp.
const DIGAMMA_SERIES_FROM: usize = 32;

/// Digamma ψ(n) at a positive integer n; ψ(0) = −∞ (the pole).
///
/// ```text
/// ψ(n) = −γ + Σ_{j=1}^{n−1} 1/j                                            (n < 32)
/// ψ(n) = ln n − 1/(2n) − 1/(12n²) + 1/(120n⁴) − 1/(252n⁶) + 1/(240n⁸) − 1/(132n¹⁰)   (n ≥ 32)
/// ```
///
/// Accurate to a few ulps (checked against the exact table in the reference set).
pub fn digamma(n: usize) -> f64 {
    if n == 0 {
        return f64::NEG_INFINITY;
    }
    if n < DIGAMMA_SERIES_FROM {
        // Sum the small terms first for accuracy.
        let harmonic: f64 = (1..n).rev().map(|j| 1.0 / j as f64).sum();
        return harmonic - EULER_GAMMA;
    }
    let x = n as f64;
    let inv2 = 1.0 / (x * x);
    let tail = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0)))));
    x.ln() - 0.5 / x - tail
}

/// ln Γ(d/2 + 1) for an integer d, by the exact recurrence Γ(x + 1) = x Γ(x) from Γ(1) = 1 or
/// Γ(1/2) = √π (error ≈ d·ε_mach).
pub fn ln_gamma_half_integer_plus_one(d: usize) -> f64 {
    // Γ(d/2 + 1) = Π_{j} (d/2 − j) · Γ(base), base = 1 (d even) or 1/2 (d odd).
    let mut acc = if d.is_multiple_of(2) {
        0.0
    } else {
        0.5 * std::f64::consts::PI.ln()
    };
    let mut x = d as f64 / 2.0;
    while x > 0.25 {
        acc += x.ln();
        x -= 1.0;
    }
    acc
}

/// Sum of a slice with numpy's pairwise algorithm (`np.sum` on a contiguous float64 array:
/// blocks of 8 partial sums below 128 elements, recursive halving above), so that sums of the
/// reference implementation are reproduced to the last bit where the terms agree.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// Mean with [`pairwise_sum`], as `np.mean`.
pub(crate) fn pairwise_mean(a: &[f64]) -> f64 {
    pairwise_sum(a) / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_small_values_are_exact() {
        assert_eq!(digamma(1), -EULER_GAMMA);
        assert!((digamma(2) - 0.42278433509846713).abs() < 1e-16);
        assert!((digamma(6) - 1.7061176684318005).abs() < 4e-16);
        assert_eq!(digamma(0), f64::NEG_INFINITY);
    }

    #[test]
    fn digamma_is_continuous_across_the_series_switch() {
        for n in DIGAMMA_SERIES_FROM - 3..DIGAMMA_SERIES_FROM + 3 {
            let step = digamma(n + 1) - digamma(n);
            assert!((step - 1.0 / n as f64).abs() < 1e-15, "n = {n}");
        }
    }

    #[test]
    fn statrs_digamma_agrees() {
        for n in [1usize, 2, 3, 7, 31, 32, 33, 100, 2000, 1_000_000] {
            let s = statrs::function::gamma::digamma(n as f64);
            assert!((s - digamma(n)).abs() < 1e-14, "n = {n}");
        }
    }

    #[test]
    fn ln_gamma_half_integers() {
        // Γ(1) = 1, Γ(1.5) = √π/2, Γ(2) = 1, Γ(3) = 2, Γ(5.5) = 52.34277778455352
        assert_eq!(ln_gamma_half_integer_plus_one(0), 0.0);
        let cases = [
            (1usize, (std::f64::consts::PI.sqrt() / 2.0).ln()),
            (2, 0.0),
            (4, 2f64.ln()),
            (9, 52.342_777_784_553_52f64.ln()),
        ];
        for (d, want) in cases {
            assert!(
                (ln_gamma_half_integer_plus_one(d) - want).abs() < 1e-14,
                "d = {d}"
            );
        }
        let big = ln_gamma_half_integer_plus_one(513);
        let s = statrs::function::gamma::ln_gamma(513.0 / 2.0 + 1.0);
        assert!((big - s).abs() < 1e-10 * s.abs());
    }

    #[test]
    fn pairwise_sum_matches_plain_sum_on_exact_values() {
        for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 1000, 2001] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert_eq!(pairwise_sum(&a), (n * n.saturating_sub(1) / 2) as f64);
        }
    }
}
