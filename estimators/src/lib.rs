//! # ib-estimators
//!
//! Entropy, mutual-information and spectral estimators for embeddings: [`ndarray`] matrices
//! whose rows are samples and whose columns are channels. Information quantities are in
//! **nats**; every estimator documents its formula, its conventions on degenerate data and the
//! paper it follows.
//!
//! | family | functions | estimates |
//! |---|---|---|
//! | k nearest neighbours ([`knn`]) | [`kl_entropy`], [`ksg_mutual_information`], [`kl_conditional_entropy`] | Kozachenko–Leonenko H, KSG I (algorithms 1 and 2), H(x\|y) by the chain rule, on exact neighbour search |
//! | histogram ([`binned`]) | [`binned_entropy`], [`binned_mutual_information`], [`binned_conditional_entropy`], [`binned_differential_entropy`] | plug-in or Miller–Madow H, I, H(x\|y) of equal-width bins (sparse counts, any dimension) |
//! | discrete symbols ([`binned`]) | [`discrete_entropy`], [`discrete_mutual_information`], [`discrete_conditional_entropy`]; [`binned::grid_labels`], [`binned::linkage_labels`], [`binned::ViewCounts`] | plug-in or Miller–Madow on exact symbols; ε-grid and single-linkage labels; weighted plug-in H(V), H(V\|X), I(X;V), I(V;V') of views of inputs |
//! | Gaussian ([`gaussian`]) | [`gaussian_entropy`], [`gaussian_mutual_information`], [`gaussian_conditional_entropy`] | `½ ln det(2πe Σ̂)` and the quantities built from it |
//! | pairwise bounds ([`pairwise`]) | [`pairwise::entropy_bounds`], [`pairwise::Kernel`] | Kolchinsky–Tracey lower and upper bounds on a Gaussian-mixture entropy |
//! | spectra ([`spectral`], [`moments`]) | [`singular_values`], [`singular_values_centred`], [`effective_rank`], [`Moments`] | singular-value spectra and RankMe, whole-matrix or streamed over row blocks |
//! | spread ([`std_metrics`]) | [`std_l2`], [`collapse_level`], [`channel_std`], [`angular_spread`], [`relative_spread`], [`zero_norm_rows`] | collapse signals of SimSiam and lightly |
//! | collapse-metric panel ([`panel`]) | [`panel::alpha_req::alpha_req`], [`panel::lidar::lidar`], [`panel::sphere::alignment`], [`panel::sphere::uniformity`], [`panel::twonn::two_nn`], [`panel::nc1::nc1`] | α-ReQ, LiDAR, alignment/uniformity, TwoNN intrinsic dimension, NC1 |
//! | preparation ([`pca`], [`normalize`], [`linalg`]) | [`pca::Pca`], [`normalize::l2_normalize_rows`], [`linalg::symmetric_eigen`], [`linalg::eigenvalues_with_rank_one_update`], [`linalg::ln_det_spd`] | seeded PCA, l2 normalisation, symmetric eigen-decomposition (faer; both Gram spectra from one two-stage tridiagonalisation) and Cholesky |
//!
//! Every estimator validates its input once and returns [`EstimatorError`] for input no
//! estimate can be computed from (empty, non-finite, too few rows). Degenerate data (collapse,
//! ties) is a finding, not an error: information estimators return an [`Estimate`] carrying
//! the reference value (possibly −∞ or NaN), [`Warning`]s and a `degenerate` flag.
//!
//! # Examples
//!
//! Each family on a seeded sample: x ~ N(0, 1), y = 0.8·x + 0.6·noise (so ρ = 0.8).
//!
//! ```
//! use ndarray::{Array2, Axis};
//! use rand::{rngs::StdRng, SeedableRng};
//! use rand_distr::{Distribution, StandardNormal};
//!
//! let mut rng = StdRng::seed_from_u64(7);
//! let z = Array2::from_shape_simple_fn((1000, 2), || StandardNormal.sample(&mut rng));
//! let x = z.column(0).insert_axis(Axis(1)).to_owned();
//! let y = (&z.column(0) * 0.8 + &z.column(1) * 0.6).insert_axis(Axis(1));
//! let truth_h = 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln(); // 1.419 nats
//! let truth_i = -0.5 * (1.0f64 - 0.8 * 0.8).ln(); // 0.511 nats
//!
//! // k nearest neighbours: Kozachenko–Leonenko entropy and KSG mutual information.
//! use ib_estimators::{kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm};
//! let params = KnnParams::new(3)?;
//! let h = kl_entropy(x.view(), &params)?;
//! let i = ksg_mutual_information(x.view(), y.view(), &params, KsgAlgorithm::One)?;
//! assert!((h.value - truth_h).abs() < 0.1 && (i.value - truth_i).abs() < 0.1);
//!
//! // Gaussian proxy: exact for Gaussian data up to sampling error.
//! use ib_estimators::{gaussian_entropy, gaussian_mutual_information};
//! let g = gaussian_entropy(x.view(), 0.0)?;
//! let gi = gaussian_mutual_information(x.view(), y.view(), 0.0)?;
//! assert!((g.value - truth_h).abs() < 0.1 && (gi.value - truth_i).abs() < 0.1);
//!
//! // Histogram: plug-in entropy of 16 equal-width bins, and the differential estimate.
//! use ib_estimators::{binned_differential_entropy, binned_entropy, Binning, Correction};
//! let bins = Binning::new(16)?;
//! let hb = binned_entropy(x.view(), &bins, Correction::PlugIn)?;
//! assert!(hb.value > 0.0 && hb.value <= 16f64.ln());
//! let hd = binned_differential_entropy(x.view(), &bins)?;
//! assert!((hd.value - truth_h).abs() < 0.2);
//!
//! // Pairwise bounds on the entropy of x + σ·N(0, 1), information part, in [0, ln N].
//! let b = ib_estimators::pairwise::entropy_bounds(x.view(), 0.1)?;
//! assert!(0.0 <= b.lower && b.lower <= b.upper && b.upper <= 1000f64.ln());
//! # Ok::<(), ib_estimators::EstimatorError>(())
//! ```
//!
//! Discrete symbols, plug-in and Miller–Madow (`+ (K_occ − 1)/(2N)`):
//!
//! ```
//! use ndarray::Array2;
//! use ib_estimators::{discrete_entropy, discrete_mutual_information, Correction};
//! let s = Array2::from_shape_fn((120, 1), |(i, _)| (i % 6) as f64); // uniform on 6 symbols
//! let h = discrete_entropy(s.view(), Correction::PlugIn)?;
//! assert!((h.value - 6f64.ln()).abs() < 1e-12);
//! let mm = discrete_entropy(s.view(), Correction::MillerMadow)?;
//! assert!((mm.value - h.value - 5.0 / 240.0).abs() < 1e-12);
//! let i = discrete_mutual_information(s.view(), s.view(), Correction::PlugIn)?;
//! assert!((i.value - h.value).abs() < 1e-12); // I(s; s) = H(s)
//! # Ok::<(), ib_estimators::EstimatorError>(())
//! ```
//!
//! PCA and spectral metrics: rank-2 data in 8 dimensions has two non-zero singular values and
//! an effective rank between 1 and 2; a 2-axis PCA keeps all of its variance.
//!
//! ```
//! use ndarray::Array2;
//! use ib_estimators::pca::Pca;
//! use ib_estimators::{effective_rank, singular_values_centred};
//! let z = Array2::from_shape_fn((200, 8), |(i, j)| {
//!     let (a, b) = ((i as f64 * 0.1).sin(), (i as f64 * 0.37).cos());
//!     3.0 * a * (j as f64 - 3.5) + b * ((j % 2) as f64)
//! });
//! let s = singular_values_centred(z.view())?;
//! assert!(s[2] < 1e-6 * s[0]);
//! let r = effective_rank(&s);
//! assert!(1.0 < r && r < 2.0);
//! let pca = Pca::fit(z.view(), Some(2), 1)?;
//! let total: f64 = pca.variances().iter().sum();
//! let direct: f64 = s.iter().map(|v| v * v).sum::<f64>() / 199.0;
//! assert!((total - direct).abs() < 1e-9 * direct);
//! # Ok::<(), ib_estimators::EstimatorError>(())
//! ```
//!
//! Spread metrics: rows spread over the unit sphere vs complete collapse.
//!
//! ```
//! use ndarray::Array2;
//! use ib_estimators::{collapse_level, std_l2};
//! let spread = Array2::<f64>::eye(4);
//! let collapsed = Array2::from_elem((4, 4), 1.0);
//! assert!(collapse_level(std_l2(spread.view())?, 4).abs() < 1e-12);
//! assert!((collapse_level(std_l2(collapsed.view())?, 4) - 1.0).abs() < 1e-12);
//! # Ok::<(), ib_estimators::EstimatorError>(())
//! ```

#![warn(missing_docs)]

pub mod binned;
pub mod cpu;
pub mod error;
pub mod estimate;
pub mod gaussian;
pub mod gram;
pub mod interval;
pub mod knn;
pub mod linalg;
pub mod moments;
pub mod normalize;
pub mod pairs;
pub mod pairwise;
pub mod panel;
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
pub use pca::Pca;
pub use spectral::{effective_rank, singular_values, singular_values_centred};
pub use std_metrics::{
    angular_spread, channel_std, collapse_level, relative_spread, std_l2, zero_norm_rows,
};
