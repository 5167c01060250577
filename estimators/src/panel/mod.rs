//! The collapse-metric panel (ARCHITECTURE.md §4): the label-free metrics SSL papers report
//! beside RankMe — α-ReQ, LiDAR, alignment and uniformity, the TwoNN intrinsic dimension — and
//! NC1 with labels, each exactly as its paper defines it.
//!
//! | metric | function | input |
//! |---|---|---|
//! | α-ReQ (Agrawal et al., NeurIPS 2022) | [`alpha_req::alpha_req`] | covariance eigenvalues |
//! | LiDAR (Thilak et al., ICLR 2024) | [`lidar::lidar`] | N′×K×d views |
//! | alignment, uniformity (Wang & Isola, ICML 2020) | [`sphere::alignment`], [`sphere::uniformity`] | views; rows |
//! | TwoNN intrinsic dimension (Facco et al., Sci. Rep. 2017) | [`twonn::two_nn`] | rows |
//! | NC1 (Papyan, Han & Donoho, PNAS 2020) | [`nc1::nc1`] | rows and labels |
//! | per-class radius and nearest other class centre | [`classes::class_spread`] | rows and labels |
//! | isotropic-Gaussian reference values | [`isotropic`] | N, d |
//!
//! Input a metric cannot be computed from (one view per input, one class, too few rows, a zero
//! or empty spectrum) is an [`crate::EstimatorError`] whose message is the reason a record
//! shows beside the metric's null.

pub mod alpha_req;
pub mod classes;
pub mod isotropic;
pub mod lidar;
pub mod nc1;
pub mod sphere;
pub mod twonn;
