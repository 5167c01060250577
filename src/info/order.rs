//! Deterministic, permutation-invariant order and seeding: inputs ranked by a seeded hash of
//! their content, per-input random numbers, and the seeded view pairing of the pair estimators.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::analysis::{Rows, Views};

/// splitmix64 finaliser: a cheap, well-mixed 64-bit hash step.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash_start(seed: u64) -> u64 {
    mix(seed ^ 0x1B87_3593_u64)
}

/// One value into the hash; `+ 0.0` makes −0.0 and 0.0 hash alike.
fn hash_step(h: u64, v: f64) -> u64 {
    mix(h ^ (v + 0.0).to_bits())
}

/// The order in which inputs are used: ranked by a seeded hash of each input's whole content
/// (clean row, its views and target rows; views alone for views of other inputs than the clean
/// rows'), ties (identical inputs) by index. Selecting the first `m` of this order is a seeded
/// subsample that does not depend on the row order of the snapshot.
pub(crate) fn input_order<'a>(
    online: Option<Rows>,
    views: Option<Views<'a>>,
    target: Option<Views<'a>>,
    seed: u64,
) -> Vec<usize> {
    let n = match (online, views) {
        (Some(o), _) => o.nrows(),
        (None, Some(v)) => v.dim().0,
        (None, None) => 0,
    };
    let mut keyed: Vec<(u64, usize)> = (0..n)
        .map(|i| {
            let mut h = match online {
                Some(o) => o.fold_row(i, hash_start(seed), hash_step),
                None => hash_start(seed),
            };
            for v in views.iter().chain(target.iter()) {
                h = v.fold_input(i, hash_start(h), hash_step);
            }
            (h, i)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A seeded per-input random number, independent of the row order (derived from the input's
/// content hash rank key): used for view pairing.
pub(crate) fn input_rng(seed: u64, position: usize, salt: u64) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed ^ salt).wrapping_add(position as u64)))
}

/// Per input (in the used order): (view a of V, view b of V'), b ≠ a when K ≥ 2, seeded.
pub(super) fn view_pairs(n: usize, k: usize, seed: u64) -> Vec<(usize, usize)> {
    (0..n)
        .map(|x| {
            let mut rng = input_rng(seed, x, 0x9A1_5EED);
            let a = rng.random_range(0..k);
            let b = if k >= 2 {
                (a + 1 + rng.random_range(0..k - 1)) % k
            } else {
                a
            };
            (a, b)
        })
        .collect()
}
