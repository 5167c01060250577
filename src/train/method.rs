//! The self-supervised methods and their collapsing ablations. Each ablation differs from its
//! parent by exactly one switch.

use serde::{Deserialize, Serialize};

/// A training method.
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

/// The loss a method minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// Symmetric negative cosine between predictions and targets.
    Cosine,
    /// Σ(1 − C_ii)² + λ Σ_{i≠j} C_ij² on the batch cross-correlation.
    Barlow,
}

/// Where the targets of the cosine loss come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The online projector output, detached or not.
    Online { stop_gradient: bool },
    /// A separate EMA network.
    Ema,
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

    pub fn loss(self) -> LossKind {
        match self {
            Method::BarlowTwins => LossKind::Barlow,
            _ => LossKind::Cosine,
        }
    }

    pub fn target(self) -> TargetKind {
        match self {
            Method::SimsiamNoStopgrad => TargetKind::Online {
                stop_gradient: false,
            },
            Method::Byol => TargetKind::Ema,
            _ => TargetKind::Online {
                stop_gradient: true,
            },
        }
    }

    /// Whether the online branch has a predictor.
    pub fn has_predictor(self) -> bool {
        !matches!(self, Method::SimsiamNoPredictor | Method::BarlowTwins)
    }

    /// BYOL's heads: no batch-norm on the projector output, a predictor as wide as the projector.
    pub fn byol_heads(self) -> bool {
        matches!(self, Method::Byol | Method::ByolNoEma)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
