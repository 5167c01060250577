//! The self-supervised methods and their collapsing ablations.

use serde::{Deserialize, Serialize};

/// A training method. The ablations differ from their parent by exactly one switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SimSiam (Chen & He, CVPR 2021): predictor + stop-gradient on the target branch.
    Simsiam,
    /// SimSiam without stop-gradient: collapses to a constant (the paper's Fig. 2).
    SimsiamNoStopgrad,
    /// SimSiam without predictor: collapses (the paper's Table 1).
    SimsiamNoPredictor,
}

impl Method {
    pub const ALL: [Method; 3] = [
        Method::Simsiam,
        Method::SimsiamNoStopgrad,
        Method::SimsiamNoPredictor,
    ];

    /// The name used on the command line, in configs, run names and snapshot folders.
    pub fn name(self) -> &'static str {
        match self {
            Method::Simsiam => "simsiam",
            Method::SimsiamNoStopgrad => "simsiam-no-stopgrad",
            Method::SimsiamNoPredictor => "simsiam-no-predictor",
        }
    }

    /// Whether the target branch is detached.
    pub fn stop_gradient(self) -> bool {
        !matches!(self, Method::SimsiamNoStopgrad)
    }

    /// Whether the online branch has a predictor.
    pub fn has_predictor(self) -> bool {
        !matches!(self, Method::SimsiamNoPredictor)
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
