//! # ib-estimators
//!
//! Numerical estimators for diagnosing representation collapse in self-supervised learning,
//! on [`ndarray`] matrices whose rows are samples and whose columns are channels.
//! Information quantities are in **nats**.
//!
//! - [`spectral`]: singular-value spectra and the effective rank (RankMe), raw and centred.
//! - [`moments`]: the same metrics and spectra streamed over row blocks (two passes, O(d²)
//!   memory), for matrices too large to copy to f64.
//! - [`std_metrics`]: per-channel std, the std of l2-normalised rows (`std_l2`), the collapse
//!   level, angular and relative spread.
//! - [`knn`]: Kozachenko–Leonenko entropy, KSG mutual information (algorithms 1 and 2),
//!   conditional entropy by the chain rule, on exact neighbour search.
//! - [`binned`]: plug-in and Miller–Madow entropy, mutual information and conditional entropy
//!   of equal-width bins (sparse joint counts, any dimension) or of exact discrete symbols.
//! - [`gaussian`]: the Gaussian log-determinant proxy `½ ln det(2πe Σ̂)`.
//!
//! Every estimator validates its input once and returns [`EstimatorError`] for input no
//! estimate can be computed from (empty, non-finite, too few rows). Degenerate data (collapse,
//! ties) is a finding, not an error: information estimators return an [`Estimate`] carrying
//! the reference value (possibly −∞ or NaN), [`Warning`]s and a `degenerate` flag.

#![warn(missing_docs)]

pub mod binned;
pub mod cpu;
pub mod error;
pub mod estimate;
pub mod gaussian;
pub mod knn;
pub mod linalg;
pub mod moments;
pub mod normalize;
pub mod pairs;
pub mod pairwise;
pub mod pca;
pub mod special;
pub mod spectral;
pub mod std_metrics;

pub use binned::{
    binned_conditional_entropy, binned_differential_entropy, binned_entropy,
    binned_mutual_information, discrete_conditional_entropy, discrete_entropy,
    discrete_mutual_information, Binning, Correction,
};
pub use error::EstimatorError;
pub use estimate::{Estimate, Warning};
pub use gaussian::{gaussian_conditional_entropy, gaussian_entropy, gaussian_mutual_information};
pub use knn::{
    kl_conditional_entropy, kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm, Norm,
    Search,
};
pub use moments::Moments;
pub use pairs::hstack;
pub use spectral::{effective_rank, singular_values, singular_values_centred};
pub use std_metrics::{angular_spread, channel_std, collapse_level, relative_spread, std_l2};
