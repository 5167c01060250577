//! One-dimensional neighbour search on sorted values: two-pointer k-th neighbours and binary
//! search counts. Exact because rounding is monotone: `|c − v|` computed in floating point never
//! decreases as v moves away from c, so the samples inside a radius form one run around c.

use rayon::prelude::*;

use super::{Bound, Norm, Points};

fn sorted_order(p: &Points) -> (Vec<usize>, Vec<f64>) {
    let mut pairs: Vec<(f64, usize)> = p.data.iter().copied().zip(0..).collect();
    pairs.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    pairs.into_iter().map(|(v, i)| (i, v)).unzip()
}

/// `(0..len).partition_point(pred)` for a predicate true on a prefix, by galloping from 0:
/// O(log t) steps for an answer t, touching memory near the start only.
fn gallop(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    // pred holds below `lo`; fails at `hi` (or hi == len).
    let (mut lo, mut step) = (0, 1);
    let mut hi = len;
    while lo + step - 1 < len {
        let probe = lo + step - 1;
        if pred(probe) {
            lo = probe + 1;
            step *= 2;
        } else {
            hi = probe;
            break;
        }
    }
    // Branch-free binary search in lo..hi (the outcome of each step is unpredictable).
    let mut size = hi - lo;
    if size == 0 {
        return lo;
    }
    let mut base = lo;
    while size > 1 {
        let half = size / 2;
        let mid = base + half;
        base = std::hint::select_unpredictable(pred(mid), mid, base);
        size -= half;
    }
    base + usize::from(pred(base))
}

fn dist_1d(a: f64, b: f64, norm: Norm) -> f64 {
    match norm {
        Norm::Max => (a - b).abs(),
        Norm::Euclidean => {
            let t = a - b;
            (t * t).sqrt()
        }
    }
}

pub(super) fn kth(p: &Points, k: usize, norm: Norm) -> Vec<f64> {
    let (order, v) = sorted_order(p);
    let per_pos: Vec<f64> = (0..p.n)
        .into_par_iter()
        .map(|pos| {
            let c = v[pos];
            let (mut lo, mut hi) = (pos, pos + 1); // next candidates: v[lo − 1], v[hi]
            let mut last = 0.0;
            for _ in 0..k {
                let left = (lo > 0).then(|| dist_1d(c, v[lo - 1], norm));
                let right = (hi < v.len()).then(|| dist_1d(v[hi], c, norm));
                match (left, right) {
                    (Some(l), Some(r)) if l <= r => {
                        last = l;
                        lo -= 1;
                    }
                    (Some(l), None) => {
                        last = l;
                        lo -= 1;
                    }
                    (_, Some(r)) => {
                        last = r;
                        hi += 1;
                    }
                    (None, None) => unreachable!("k < N leaves a candidate"),
                }
            }
            last
        })
        .collect();
    let mut out = vec![0.0; p.n];
    for (pos, &i) in order.iter().enumerate() {
        out[i] = per_pos[pos];
    }
    out
}

pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let (order, v) = sorted_order(p);
    // Gathered in a tight loop first: the random reads overlap (inside the search they would
    // wait one by one).
    let r_pos: Vec<f64> = order.par_iter().map(|&i| radii[i]).collect();
    let per_pos: Vec<usize> = (0..p.n)
        .into_par_iter()
        .map(|pos| {
            let c = v[pos];
            let r = r_pos[pos];
            let inside = |d: f64| match bound {
                Bound::Strict => d < r,
                Bound::Inclusive => d <= r,
            };
            // |c − v_j| is monotone in v_j on each side of pos (rounding is monotone), so the
            // samples inside form one run around pos.
            let n_left = gallop(pos, |t| inside((c - v[pos - 1 - t]).abs()));
            let n_right = gallop(v.len() - pos - 1, |t| inside((v[pos + 1 + t] - c).abs()));
            n_left + n_right
        })
        .collect();
    let mut out = vec![0; p.n];
    for (pos, &i) in order.iter().enumerate() {
        out[i] = per_pos[pos];
    }
    out
}
