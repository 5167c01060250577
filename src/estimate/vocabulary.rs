//! The words of `ib-analyze estimate`: which quantity, which estimator, which norm
//! (ARCHITECTURE.md §3, §4). The command line parses them directly (`clap::ValueEnum`; the doc
//! comments are its help text).

/// What to estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Quantity {
    /// H(X): differential entropy of the --x-cols (default: all columns).
    Entropy,
    /// I(X;Y): mutual information between --x-cols and --y-cols.
    Mi,
    /// H(X|Y): conditional entropy of --x-cols given --y-cols.
    CondEntropy,
}

impl Quantity {
    /// The command-line word.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Entropy => "entropy",
            Quantity::Mi => "mi",
            Quantity::CondEntropy => "cond-entropy",
        }
    }

    /// The symbol printed in the human line.
    pub fn symbol(self) -> &'static str {
        match self {
            Quantity::Entropy => "H(X)",
            Quantity::Mi => "I(X;Y)",
            Quantity::CondEntropy => "H(X|Y)",
        }
    }

    /// The methods that exist for this quantity.
    pub fn methods(self) -> &'static [Method] {
        use Method::*;
        match self {
            Quantity::Entropy => &[Kl, Binned, BinnedMm, Gaussian],
            Quantity::Mi => &[Ksg1, Ksg2, Binned, BinnedMm, Gaussian],
            Quantity::CondEntropy => &[Kl, Binned, BinnedMm, Gaussian],
        }
    }
}

/// How to estimate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Kozachenko–Leonenko k-NN entropy (conditional entropy by the chain rule).
    Kl,
    /// KSG algorithm 1 (mutual information).
    Ksg1,
    /// KSG algorithm 2 (mutual information).
    Ksg2,
    /// Plug-in entropy of equal-width bins (discrete; depends on --bins).
    Binned,
    /// Binned with the Miller–Madow correction.
    BinnedMm,
    /// Gaussian proxy ½ ln det(2πe Σ̂).
    Gaussian,
}

impl Method {
    /// The command-line word.
    pub fn name(self) -> &'static str {
        match self {
            Method::Kl => "kl",
            Method::Ksg1 => "ksg1",
            Method::Ksg2 => "ksg2",
            Method::Binned => "binned",
            Method::BinnedMm => "binned-mm",
            Method::Gaussian => "gaussian",
        }
    }

    /// Kozachenko–Leonenko or KSG.
    pub fn is_knn(self) -> bool {
        matches!(self, Method::Kl | Method::Ksg1 | Method::Ksg2)
    }

    /// Plug-in or Miller–Madow on equal-width bins.
    pub fn is_binned(self) -> bool {
        matches!(self, Method::Binned | Method::BinnedMm)
    }
}

/// Distance norm for Kozachenko–Leonenko.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NormArg {
    /// Max-norm (Chebyshev); the default, and the only norm of KSG.
    Max,
    /// Euclidean.
    Euclidean,
}

impl NormArg {
    /// The command-line word.
    pub fn name(self) -> &'static str {
        match self {
            NormArg::Max => "max",
            NormArg::Euclidean => "euclidean",
        }
    }
}

/// Default neighbour order.
pub const DEFAULT_K: usize = 3;
/// Default bins per column.
pub const DEFAULT_BINS: usize = 8;
