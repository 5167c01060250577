//! Bootstrap over inputs: seeded multiplicity vectors and 95 % percentile intervals.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::order::mix;

/// Percentile (linear interpolation between order statistics) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// 95 % percentile interval of bootstrap replicates; None unless ≥ 90 % of them are finite.
pub(super) fn interval(mut reps: Vec<f64>, wanted: usize) -> Option<(f64, f64)> {
    reps.retain(|v| v.is_finite());
    if wanted == 0 || reps.len() * 10 < wanted * 9 || reps.is_empty() {
        return None;
    }
    reps.sort_by(f64::total_cmp);
    Some((percentile(&reps, 0.025), percentile(&reps, 0.975)))
}

/// Multiplicity vectors of `b` bootstrap resamples of `n` inputs (seeded).
pub(super) fn bootstrap_weights(n: usize, b: usize, seed: u64, salt: u64) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(mix(seed ^ salt));
    (0..b)
        .map(|_| {
            let mut m = vec![0.0; n];
            for _ in 0..n {
                m[rng.random_range(0..n)] += 1.0;
            }
            m
        })
        .collect()
}
