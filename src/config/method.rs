//! The names of the self-supervised methods and their collapsing ablations: the vocabulary the
//! configuration, the command line and the run directory share. What each method does when it
//! trains (its loss, its target, its heads) is defined with the training loop, in
//! `crate::train::method`.

use serde::{Deserialize, Serialize};

/// A training method. Each ablation differs from its parent by exactly one switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SimSiam (Chen & He, CVPR 2021): predictor + stop-gradient on the target branch.
    Simsiam,
    /// SimSiam without stop-gradient: collapses (the paper's Fig. 2).
    SimsiamNoStopgrad,
    /// SimSiam without predictor: collapses (the paper's Table 1).
    SimsiamNoPredictor,
    /// BYOL (Grill et al., NeurIPS 2020): predictor + an EMA target network, τ from τ_base → 1
    /// on a cosine schedule; BYOL's heads (no output batch-norm, predictor as wide as the projector).
    Byol,
    /// BYOL with τ = 0: the target is the online network under stop-gradient (Table 5a).
    ByolNoEma,
    /// Barlow Twins (Zbontar et al., ICML 2021): cross-correlation loss, no predictor, no target.
    BarlowTwins,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Simsiam,
        Method::SimsiamNoStopgrad,
        Method::SimsiamNoPredictor,
        Method::Byol,
        Method::ByolNoEma,
        Method::BarlowTwins,
    ];

    /// The name used on the command line, in configs, run names and snapshot folders.
    pub fn name(self) -> &'static str {
        match self {
            Method::Simsiam => "simsiam",
            Method::SimsiamNoStopgrad => "simsiam-no-stopgrad",
            Method::SimsiamNoPredictor => "simsiam-no-predictor",
            Method::Byol => "byol",
            Method::ByolNoEma => "byol-no-ema",
            Method::BarlowTwins => "barlow-twins",
        }
    }

    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_match_the_serde_names() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.name()), Some(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.name())
            );
        }
        assert_eq!(Method::parse("simclr"), None);
    }
}
