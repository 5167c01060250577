//! k-nearest-neighbour estimators of differential entropy and mutual information (nats):
//! Kozachenko–Leonenko entropy, KSG mutual information (algorithms 1 and 2) and conditional
//! entropy by the chain rule, on exact neighbour search ([`neighbors`]).

pub mod kozachenko_leonenko;
pub mod ksg;
pub mod neighbors;

use rayon::prelude::*;

pub use kozachenko_leonenko::{kl_conditional_entropy, kl_entropy};
pub use ksg::{ksg_mutual_information, KsgAlgorithm};
pub use neighbors::{Norm, Points, Search};

use crate::error::EstimatorError;
use crate::estimate::Warning;

/// Parameters shared by the kNN estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnnParams {
    /// Neighbour order k ≥ 1 (3 is the common default).
    pub k: usize,
    /// Norm for Kozachenko–Leonenko distances (KSG always uses the max-norm).
    pub norm: Norm,
    /// Neighbour-search path; all give identical results.
    pub search: Search,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            k: 3,
            norm: Norm::Max,
            search: Search::Auto,
        }
    }
}

impl KnnParams {
    /// k neighbours, max-norm, automatic search path.
    pub fn new(k: usize) -> Result<Self, EstimatorError> {
        if k == 0 {
            return Err(EstimatorError::InvalidParameter {
                name: "k",
                reason: "k must be at least 1".into(),
            });
        }
        Ok(KnnParams {
            k,
            ..Self::default()
        })
    }

    /// The same parameters with another norm.
    pub fn with_norm(self, norm: Norm) -> Self {
        KnnParams { norm, ..self }
    }

    /// The same parameters with another search path.
    pub fn with_search(self, search: Search) -> Self {
        KnnParams { search, ..self }
    }
}

/// Data-level degeneracies of one variable: constant columns, all rows equal, duplicate rows.
pub(crate) fn data_warnings(p: &Points, space: &'static str) -> Vec<Warning> {
    data_warnings_with(p, space, None)
}

/// [`data_warnings`], with the number of duplicated rows when already known.
pub(crate) fn data_warnings_with(
    p: &Points,
    space: &'static str,
    duplicated: Option<usize>,
) -> Vec<Warning> {
    let mut out = Vec::new();
    let constant: Vec<usize> = (0..p.d())
        .filter(|&c| {
            let first = p.row(0)[c];
            (1..p.n()).all(|i| p.row(i)[c] == first)
        })
        .collect();
    if constant.len() == p.d() {
        out.push(Warning::AllRowsEqual { space });
        return out;
    }
    if !constant.is_empty() {
        out.push(Warning::ConstantColumns {
            space,
            columns: constant,
        });
    }
    let dup = duplicated.unwrap_or_else(|| duplicate_rows(p));
    if dup > 0 {
        out.push(Warning::DuplicateRows {
            space,
            rows: dup,
            n: p.n(),
        });
    }
    out
}

/// Number of rows that have an exact copy elsewhere (−0.0 and 0.0 count as equal).
///
/// Rows are grouped by a 64-bit hash (sorted, in parallel), and rows with equal hashes are
/// compared exactly, so hash collisions never change the count.
pub(crate) fn duplicate_rows(p: &Points) -> usize {
    // `v + 0.0` maps −0.0 to 0.0 and leaves every other value unchanged.
    let norm = |i: usize| p.row(i).iter().map(|&v| (v + 0.0).to_bits());
    let mut keys: Vec<(u64, u32)> = (0..p.n())
        .into_par_iter()
        .map(|i| {
            let h = norm(i).fold(0x243f_6a88_85a3_08d3u64, |h, b| {
                (h ^ b).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
            });
            (h, i as u32)
        })
        .collect();
    keys.par_sort_unstable();
    let mut dup = 0;
    for run in keys.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let mut rows: Vec<usize> = run.iter().map(|&(_, i)| i as usize).collect();
        rows.sort_by(|&a, &b| norm(a).cmp(norm(b)));
        dup += rows
            .chunk_by(|&a, &b| norm(a).eq(norm(b)))
            .filter(|g| g.len() > 1)
            .map(<[usize]>::len)
            .sum::<usize>();
    }
    dup
}

/// The `ZeroDistances` warning if any of `r` is 0.
pub(crate) fn zero_distance_warning(r: &[f64], k: usize, space: &'static str) -> Option<Warning> {
    let points = r.iter().filter(|&&v| v == 0.0).count();
    (points > 0).then_some(Warning::ZeroDistances {
        space,
        points,
        n: r.len(),
        k,
    })
}
