//! The estimator families: each computes its rows of one space (and the Lagrangian parts per
//! scale for the families that have all five quantities).

mod gaussian;
mod knn;
mod pairwise;
mod plugin;

pub(super) use gaussian::gaussian_rows;
pub(super) use knn::{kl_rows, ksg_rows};
pub(super) use pairwise::pairwise_rows;
pub(super) use plugin::plugin_rows;
