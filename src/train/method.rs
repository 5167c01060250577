//! What each method does when it trains: its loss, where its targets come from, and its heads.
//! The method names themselves are configuration vocabulary ([`crate::config::Method`]); this
//! module adds the training semantics to that type.

use crate::config::Method;

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
    /// The loss this method minimises.
    pub fn loss(self) -> LossKind {
        match self {
            Method::BarlowTwins => LossKind::Barlow,
            _ => LossKind::Cosine,
        }
    }

    /// Where the targets of its cosine loss come from.
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
