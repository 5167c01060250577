//! Confidence intervals by the delete-a-group jackknife (Quenouille 1956, Tukey 1958; grouped:
//! Shao & Tu, *The Jackknife and Bootstrap*, 1995, §2.1 and §5.2).
//!
//! The n sample points are dealt into g groups of (nearly) equal size. θ̂ is the estimate on
//! all points and θ̂₍ⱼ₎ the estimate with group j left out. The jackknife standard error is
//!
//! ```text
//! se² = (g − 1)/g · Σⱼ (θ̂₍ⱼ₎ − θ̄)²,    θ̄ = (1/g) Σⱼ θ̂₍ⱼ₎
//! ```
//!
//! and the interval at level 1 − α is `θ̂ ± t_{g−1, 1−α/2} · se` (Student t with g − 1 degrees
//! of freedom: se rests on g replicates). It is centred on θ̂, so it always contains the
//! estimate. Unlike the bootstrap with replacement, no replicate holds a point twice: a
//! plug-in entropy is not lowered by duplicates merged into shared cells, and a
//! nearest-neighbour estimate never sees a zero distance that the sample does not have.
//!
//! What it covers: the sampling spread of θ̂ at √n rate (plug-in entropies, the Gaussian
//! proxy, Kozachenko–Leonenko and KSG in low dimension). It says nothing of an estimator's
//! bias: a kNN estimate in high dimension, or a plug-in entropy of a sample that fills every
//! cell, can be far from the truth with a narrow interval.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::EstimatorError;

/// Default number of jackknife groups.
pub const DEFAULT_GROUPS: usize = 20;

/// An assignment of n points to g groups for the delete-a-group jackknife.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JackknifeGroups {
    group: Vec<usize>,
    groups: usize,
}

impl JackknifeGroups {
    /// Point i goes to group `i mod g`: for points already in a seeded random order (the
    /// information layer ranks inputs by a seeded content hash).
    pub fn round_robin(n: usize, groups: usize) -> Result<Self, EstimatorError> {
        check(n, groups)?;
        Ok(JackknifeGroups {
            group: (0..n).map(|i| i % groups).collect(),
            groups,
        })
    }

    /// Points dealt into groups along a seeded random permutation.
    pub fn seeded(n: usize, groups: usize, seed: u64) -> Result<Self, EstimatorError> {
        check(n, groups)?;
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut StdRng::seed_from_u64(seed));
        let mut group = vec![0; n];
        for (pos, &i) in perm.iter().enumerate() {
            group[i] = pos % groups;
        }
        Ok(JackknifeGroups { group, groups })
    }

    /// Number of groups g.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Number of points n.
    pub fn len(&self) -> usize {
        self.group.len()
    }

    /// True when there are no points (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// The points kept when group `j` is left out, in increasing order.
    pub fn kept(&self, j: usize) -> Vec<usize> {
        (0..self.group.len())
            .filter(|&i| self.group[i] != j)
            .collect()
    }

    /// Weights 1 for kept points and 0 for group `j` (for estimators that take multiplicities).
    pub fn weights(&self, j: usize) -> Vec<f64> {
        self.group
            .iter()
            .map(|&g| if g == j { 0.0 } else { 1.0 })
            .collect()
    }
}

fn check(n: usize, groups: usize) -> Result<(), EstimatorError> {
    if groups < 2 {
        return Err(EstimatorError::InvalidParameter {
            name: "groups",
            reason: format!("a jackknife needs at least 2 groups, got {groups}"),
        });
    }
    if n < groups {
        return Err(EstimatorError::InvalidParameter {
            name: "groups",
            reason: format!(
                "{n} points cannot fill {groups} jackknife groups; use at most {n} groups"
            ),
        });
    }
    Ok(())
}

/// A confidence interval around an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// The jackknife standard error.
    pub se: f64,
}

/// The two-sided Student t quantile t_{df, p}.
pub fn t_quantile(df: usize, p: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// The delete-a-group jackknife interval at `level` (e.g. 0.95) around `estimate` from the
/// leave-one-group-out replicates (one per group). None when the estimate or any replicate
/// is not finite, when there are fewer than 2 replicates, or when `level` is not in (0, 1).
pub fn jackknife_interval(estimate: f64, replicates: &[f64], level: f64) -> Option<Interval> {
    let g = replicates.len();
    if g < 2 || !(level > 0.0 && level < 1.0) || !estimate.is_finite() {
        return None;
    }
    if !replicates.iter().all(|v| v.is_finite()) {
        return None;
    }
    let mean = replicates.iter().sum::<f64>() / g as f64;
    let ss: f64 = replicates.iter().map(|v| (v - mean) * (v - mean)).sum();
    let se = ((g - 1) as f64 / g as f64 * ss).sqrt();
    let half = t_quantile(g - 1, 0.5 + level / 2.0) * se;
    if !half.is_finite() {
        return None;
    }
    Some(Interval {
        lo: estimate - half,
        hi: estimate + half,
        se,
    })
}

/// The leave-one-group-out replicates θ̂₍ⱼ₎, j = 0 … g − 1 in order: `estimate_on` is called
/// with j and the rows kept when group j is left out ([`JackknifeGroups::kept`], increasing) and
/// returns the estimate on those rows. The first error stops the loop and is returned (a
/// replicate the caller cannot use, e.g. a degenerate one, ends the jackknife: Shao & Tu 1995,
/// §2.1, need every replicate). Pass the result to [`jackknife_interval`].
pub fn jackknife<E, F>(groups: &JackknifeGroups, mut estimate_on: F) -> Result<Vec<f64>, E>
where
    F: FnMut(usize, &[usize]) -> Result<f64, E>,
{
    (0..groups.groups())
        .map(|j| estimate_on(j, &groups.kept(j)))
        .collect()
}

/// `jackknife-G t LEVEL%`: the `ci_method` of an interval from G groups at `level`.
pub fn method_name(groups: usize, level: f64) -> String {
    format!("jackknife-{groups} t {}%", format_level(level))
}

fn format_level(level: f64) -> String {
    let pct = level * 100.0;
    let s = format!("{pct:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_balanced_and_disjoint() {
        let g = JackknifeGroups::seeded(103, 20, 7).unwrap();
        let mut sizes = [0usize; 20];
        for (j, size) in sizes.iter_mut().enumerate() {
            *size = 103 - g.kept(j).len();
            let w = g.weights(j);
            assert_eq!(w.iter().filter(|&&v| v == 0.0).count(), *size);
        }
        assert_eq!(sizes.iter().sum::<usize>(), 103);
        assert!(sizes.iter().all(|&s| s == 5 || s == 6));
        assert_eq!(g, JackknifeGroups::seeded(103, 20, 7).unwrap());
        assert_ne!(g, JackknifeGroups::seeded(103, 20, 8).unwrap());
    }

    #[test]
    fn too_few_points_or_groups_are_errors() {
        assert!(JackknifeGroups::round_robin(5, 1).is_err());
        assert!(JackknifeGroups::round_robin(5, 6).is_err());
        assert!(JackknifeGroups::seeded(0, 2, 1).is_err());
    }

    /// The jackknife of a mean is the textbook standard error s/√n (delete-one, Tukey 1958).
    #[test]
    fn delete_one_jackknife_of_a_mean_is_the_standard_error() {
        let x = [1.0, 4.0, 2.0, 8.0, 5.0, 7.0];
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let reps: Vec<f64> = (0..n)
            .map(|j| (x.iter().sum::<f64>() - x[j]) / (n - 1) as f64)
            .collect();
        let iv = jackknife_interval(mean, &reps, 0.95).unwrap();
        let s2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((iv.se - (s2 / n as f64).sqrt()).abs() < 1e-12);
        // t_{5, 0.975} = 2.570582 (tables).
        assert!((iv.hi - mean - 2.570582 * iv.se).abs() < 1e-5);
        assert!(iv.lo <= mean && mean <= iv.hi);
    }

    #[test]
    fn non_finite_replicates_give_no_interval() {
        assert!(jackknife_interval(1.0, &[1.0, f64::NEG_INFINITY], 0.95).is_none());
        assert!(jackknife_interval(f64::NAN, &[1.0, 2.0], 0.95).is_none());
        assert!(jackknife_interval(1.0, &[1.0], 0.95).is_none());
        assert!(jackknife_interval(1.0, &[1.0, 2.0], 1.0).is_none());
    }

    /// The generic loop reproduces the delete-one jackknife of a mean by hand (g = n).
    #[test]
    fn replicates_are_the_estimate_on_the_kept_rows() {
        let x = [1.0, 4.0, 2.0, 8.0, 5.0, 7.0];
        let groups = JackknifeGroups::round_robin(x.len(), x.len()).unwrap();
        let reps = jackknife(&groups, |_, rows| {
            Ok::<f64, ()>(rows.iter().map(|&i| x[i]).sum::<f64>() / rows.len() as f64)
        })
        .unwrap();
        let total: f64 = x.iter().sum();
        for (j, r) in reps.iter().enumerate() {
            assert_eq!(*r, (total - x[j]) / 5.0);
        }
        let mut calls = 0;
        let err = jackknife(&groups, |j, rows| {
            calls += 1;
            assert_eq!(j + 1, calls);
            if rows.contains(&3) {
                Ok(0.0)
            } else {
                Err("group 3 left out")
            }
        });
        assert_eq!(err, Err("group 3 left out"));
        assert_eq!(calls, 4, "the first error stops the loop");
    }

    #[test]
    fn method_names() {
        assert_eq!(method_name(20, 0.95), "jackknife-20 t 95%");
        assert_eq!(method_name(10, 0.9), "jackknife-10 t 90%");
        assert_eq!(method_name(20, 0.995), "jackknife-20 t 99.5%");
    }
}
