//! Confidence intervals of the information rows: the delete-a-group jackknife over inputs
//! (`ib_estimators::interval`; ARCHITECTURE.md §5). The used inputs are already in a seeded
//! content-hash order, so input i goes to group `i mod g`: the groups do not depend on the
//! row order of the snapshot.

use ib_estimators::interval::{jackknife_interval, method_name, JackknifeGroups};

use super::config::InfoConfig;

/// The jackknife groups of one sample of inputs, with the interval level.
pub(super) struct Jackknife {
    groups: JackknifeGroups,
    level: f64,
}

impl Jackknife {
    /// None when intervals are off (`ci_groups` = 0) or there are fewer inputs than groups.
    pub fn new(inputs: usize, cfg: &InfoConfig) -> Option<Self> {
        if cfg.ci_groups == 0 {
            return None;
        }
        JackknifeGroups::round_robin(inputs, cfg.ci_groups)
            .ok()
            .map(|groups| Jackknife {
                groups,
                level: cfg.ci_level,
            })
    }

    /// The `ci_method` of the rows.
    pub fn method(&self) -> String {
        method_name(self.groups.groups(), self.level)
    }

    /// Input weights of each replicate (0 for the group left out, 1 otherwise).
    pub fn weights(&self) -> impl Iterator<Item = Vec<f64>> + '_ {
        (0..self.groups.groups()).map(|j| self.groups.weights(j))
    }

    /// The inputs kept in each replicate.
    pub fn kept(&self) -> impl Iterator<Item = Vec<usize>> + '_ {
        (0..self.groups.groups()).map(|j| self.groups.kept(j))
    }

    /// The interval around `estimate` from one replicate per group; None unless all are finite.
    pub fn interval(&self, estimate: f64, replicates: &[f64]) -> Option<(f64, f64)> {
        jackknife_interval(estimate, replicates, self.level).map(|iv| (iv.lo, iv.hi))
    }
}
