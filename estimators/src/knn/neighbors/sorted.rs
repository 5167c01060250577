//! One-dimensional neighbour search on sorted values: two-pointer k-th neighbours and binary
//! search counts. Exact because rounding is monotone: `|c − v|` computed in floating point never
//! decreases as v moves away from c, so the samples inside a radius form one run around c.

use rayon::prelude::*;

use super::{Bound, Norm, Points};

fn sorted_order(p: &Points) -> (Vec<usize>, Vec<f64>) {
    let mut order: Vec<usize> = (0..p.n).collect();
    order.sort_by(|&a, &b| p.data[a].total_cmp(&p.data[b]));
    let values = order.iter().map(|&i| p.data[i]).collect();
    (order, values)
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
    let per_pos: Vec<usize> = (0..p.n)
        .into_par_iter()
        .map(|pos| {
            let c = v[pos];
            let r = radii[order[pos]];
            let inside = |d: f64| match bound {
                Bound::Strict => d < r,
                Bound::Inclusive => d <= r,
            };
            // |c − v_j| is monotone in v_j on each side of pos (rounding is monotone), so the
            // samples inside form one run around pos.
            let left = &v[..pos];
            let n_left = left.len() - left.partition_point(|&u| !inside((c - u).abs()));
            let right = &v[pos + 1..];
            let n_right = right.partition_point(|&u| inside((u - c).abs()));
            n_left + n_right
        })
        .collect();
    let mut out = vec![0; p.n];
    for (pos, &i) in order.iter().enumerate() {
        out[i] = per_pos[pos];
    }
    out
}
