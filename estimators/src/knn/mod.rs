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
/// Exact whatever the hashes: every row gets a 64-bit hash of its values (in parallel); a
/// bit table of about 16·N slots indexed by the hash keeps the rows whose slot is shared
/// (exact copies always share one, so no duplicate is missed); only those candidates (about
/// 6 % of the rows of tie-free data instead of all N) are sorted by (hash, row) and rows with
/// equal hashes compared value by value, so neither a slot nor a hash collision changes the
/// count. Each step is independent of the thread count.
pub(crate) fn duplicate_rows(p: &Points) -> usize {
    duplicate_rows_with_slots(p, slot_bits(p.n()))
}

/// log₂ of the slot table of [`duplicate_rows`]: the power of two at or above 16·N, at least 2⁶
/// slots and at most 2²⁸ (two bit tables of 32 MiB; above 16.7 million rows more rows become
/// candidates, never a wrong count).
fn slot_bits(n: usize) -> u32 {
    let slots = n.saturating_mul(16).max(64);
    (usize::BITS - (slots - 1).leading_zeros()).min(28)
}

/// [`duplicate_rows`] with a slot table of 2^`bits` slots (`bits` in 1..=28; small tables force
/// slot collisions in tests).
fn duplicate_rows_with_slots(p: &Points, bits: u32) -> usize {
    // `v + 0.0` maps −0.0 to 0.0 and leaves every other value unchanged.
    let norm = |i: usize| p.row(i).iter().map(|&v| (v + 0.0).to_bits());
    let hashes: Vec<u64> = (0..p.n())
        .into_par_iter()
        .map(|i| {
            norm(i).fold(0x243f_6a88_85a3_08d3u64, |h, b| {
                (h ^ b).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
            })
        })
        .collect();
    // The slot of a row: the top `bits` bits of its hash.
    let slot = |h: u64| (h >> (64 - bits)) as usize;
    // seen: some row has this slot; shared: two or more rows have it.
    let words = (1usize << bits).div_ceil(64);
    let (mut seen, mut shared) = (vec![0u64; words], vec![0u64; words]);
    for &h in &hashes {
        let (w, b) = (slot(h) / 64, 1u64 << (slot(h) % 64));
        shared[w] |= seen[w] & b;
        seen[w] |= b;
    }
    drop(seen);
    let mut keys: Vec<(u64, u32)> = hashes
        .par_iter()
        .enumerate()
        .filter(|&(_, &h)| shared[slot(h) / 64] & (1u64 << (slot(h) % 64)) != 0)
        .map(|(i, &h)| (h, i as u32))
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// The count by definition: rows equal (−0.0 = 0.0) to at least one other row, O(N²).
    fn duplicate_rows_naive(p: &Points) -> usize {
        (0..p.n())
            .filter(|&i| (0..p.n()).any(|j| j != i && p.row(i) == p.row(j)))
            .count()
    }

    #[test]
    fn duplicate_rows_match_the_definition_on_random_and_tied_data() {
        let mut rng = StdRng::seed_from_u64(17);
        for case in 0..60 {
            let n = 1 + rng.random_range(0..400);
            let d = 1 + rng.random_range(0..5);
            // Few distinct values (ties everywhere), or continuous values with planted copies.
            let levels = [2, 3, 10, 0][case % 4];
            let mut x = Array2::from_shape_fn((n, d), |_| {
                if levels == 0 {
                    rng.random::<f64>()
                } else {
                    // -0.0 and 0.0 both appear and must count as equal.
                    let v = rng.random_range(0..levels) as f64 - 1.0;
                    if v == 0.0 && rng.random::<bool>() {
                        -0.0
                    } else {
                        v
                    }
                }
            });
            for _ in 0..rng.random_range(0..=n / 10) {
                let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
                let row = x.row(j).to_owned();
                x.row_mut(i).assign(&row);
            }
            let p = Points::new(x.view()).unwrap();
            let want = duplicate_rows_naive(&p);
            assert_eq!(duplicate_rows(&p), want, "case {case}, n {n}, d {d}");
            // Tiny slot tables: nearly every row shares a slot with another.
            for bits in [1, 3, 6] {
                assert_eq!(
                    duplicate_rows_with_slots(&p, bits),
                    want,
                    "case {case}, {bits} bits"
                );
            }
        }
    }

    #[test]
    fn slot_table_size() {
        assert_eq!(slot_bits(0), 6);
        assert_eq!(slot_bits(1), 6);
        assert_eq!(slot_bits(1000), 14);
        assert_eq!(slot_bits(1_000_000), 24);
        assert_eq!(slot_bits(1 << 24), 28);
        assert_eq!(slot_bits(usize::MAX), 28);
    }
}
