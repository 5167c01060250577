//! The weighted kNN monitor of self-supervised training (Wu et al., CVPR 2018; the SimSiam
//! paper's Fig. 2 right): l2-normalise features, take the k most cosine-similar training rows of
//! each probe row, vote with weights exp(sim / T), predict the class with the largest vote.
//! Labels are used only here, never in training.

use ib_estimators::normalize::UnitScale;
use ndarray::{s, Array2, ArrayView2, Axis};

/// Neighbours and temperature of the monitor (solo-learn uses k = 20, T = 0.07; lightly k = 200,
/// T = 0.1; here k = 20, T = 0.1, suited to probe sets of a few hundred rows).
pub const K: usize = 20;
pub const TEMPERATURE: f64 = 0.1;

/// Rows scaled to unit l2 norm, scale-stable ([`ib_estimators::normalize`]: a zero row stays 0,
/// so its cosine similarity to every row is 0; rows of 1e200 or 1e-300 reach the sphere).
fn l2_normalised(x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = x.to_owned();
    for mut row in out.rows_mut() {
        let scale = UnitScale::of(row.iter(), row.dot(&row));
        row.mapv_inplace(|v| scale.apply(v));
    }
    out
}

/// Query rows per block of similarities (a block is `LOO_BLOCK × N` f64).
const LOO_BLOCK: usize = 512;

/// Accuracy in [0, 1] of the weighted kNN classifier with bank (`train`, `train_labels`) on
/// (`probe`, `probe_labels`). Ties in the vote go to the smaller label.
pub fn knn_accuracy(
    train: ArrayView2<f64>,
    train_labels: &[i64],
    probe: ArrayView2<f64>,
    probe_labels: &[i64],
    k: usize,
    temperature: f64,
) -> f64 {
    let n = probe.nrows();
    if n == 0 {
        return 0.0;
    }
    let sims = l2_normalised(probe).dot(&l2_normalised(train).t());
    let votes = Votes::new(train_labels, k, temperature);
    votes.correct(sims.view(), probe_labels) as f64 / n as f64
}

/// Leave-one-out accuracy on one labelled set: each row is classified by the others.
///
/// Similarities are formed [`LOO_BLOCK`] query rows at a time, so memory is O(N) rows of
/// similarities rather than N².
pub fn knn_accuracy_leave_one_out(
    x: ArrayView2<f64>,
    labels: &[i64],
    k: usize,
    temperature: f64,
) -> f64 {
    let n = x.nrows();
    if n == 0 {
        return 0.0;
    }
    let xn = l2_normalised(x);
    let votes = Votes::new(labels, k, temperature.max(f64::MIN_POSITIVE));
    let mut correct = 0;
    for start in (0..n).step_by(LOO_BLOCK) {
        let end = (start + LOO_BLOCK).min(n);
        let mut sims = xn.slice(s![start..end, ..]).dot(&xn.t());
        for i in start..end {
            sims[(i - start, i)] = f64::NEG_INFINITY;
        }
        correct += votes.correct(sims.view(), &labels[start..end]);
    }
    correct as f64 / n as f64
}

/// The weighted vote over a bank's labels.
struct Votes<'a> {
    bank_labels: &'a [i64],
    classes: Vec<i64>,
    k: usize,
    temperature: f64,
}

impl<'a> Votes<'a> {
    fn new(bank_labels: &'a [i64], k: usize, temperature: f64) -> Votes<'a> {
        let mut classes = bank_labels.to_vec();
        classes.sort_unstable();
        classes.dedup();
        Votes {
            bank_labels,
            classes,
            k: k.min(bank_labels.len()),
            temperature,
        }
    }

    /// How many probe rows the vote over the k most similar bank rows classifies correctly
    /// (similarity −inf: never a neighbour; equal similarities: the smaller bank index first).
    fn correct(&self, sims: ArrayView2<f64>, probe_labels: &[i64]) -> usize {
        let m = sims.ncols();
        if m == 0 || self.k == 0 {
            return 0;
        }
        let mut correct = 0usize;
        let mut idx: Vec<usize> = Vec::with_capacity(m);
        let mut votes = vec![0.0f64; self.classes.len()];
        for (row, &truth) in sims.axis_iter(Axis(0)).zip(probe_labels) {
            let order = |&a: &usize, &b: &usize| row[b].total_cmp(&row[a]).then(a.cmp(&b));
            idx.clear();
            idx.extend(0..m);
            // The k first in `order`, in that order: a selection, then a sort of k.
            if self.k < m {
                idx.select_nth_unstable_by(self.k - 1, order);
            }
            let top = &mut idx[..self.k];
            top.sort_unstable_by(order);
            votes.iter_mut().for_each(|v| *v = 0.0);
            for &j in top.iter() {
                let c = self
                    .classes
                    .binary_search(&self.bank_labels[j])
                    .expect("label in classes");
                votes[c] += (row[j] / self.temperature).exp();
            }
            let best = (0..self.classes.len())
                .max_by(|&a, &b| votes[a].total_cmp(&votes[b]).then(b.cmp(&a)))
                .expect("at least one class");
            if self.classes[best] == truth {
                correct += 1;
            }
        }
        correct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn separable_directions_are_classified_perfectly_and_constant_features_at_chance_level() {
        let train = array![[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]];
        let labels = [0, 0, 1, 1];
        let probe = array![[2.0, 0.1], [0.2, 3.0]];
        assert_eq!(
            knn_accuracy(train.view(), &labels, probe.view(), &[0, 1], 2, 0.1),
            1.0
        );
        // A collapsed embedding: every row the same; the vote is a tie and goes to class 0.
        let flat = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
        let acc = knn_accuracy(
            flat.view(),
            &labels,
            array![[1.0, 1.0], [1.0, 1.0]].view(),
            &[0, 1],
            4,
            0.1,
        );
        assert_eq!(acc, 0.5);
    }

    #[test]
    fn the_vote_does_not_depend_on_the_scale() {
        let x = array![[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.5, 0.45]];
        let labels = [0, 0, 1, 1, 0];
        let base = knn_accuracy_leave_one_out(x.view(), &labels, 2, 0.1);
        assert_eq!(base, 1.0);
        for scale in [1e-300, 1e-150, 1e200, 1e300] {
            let xs = x.mapv(|v| v * scale);
            assert_eq!(
                knn_accuracy_leave_one_out(xs.view(), &labels, 2, 0.1),
                base,
                "{scale}"
            );
        }
        // Zero rows have no direction: similarity 0 to every row, never NaN.
        let z = Array2::<f64>::zeros((4, 2));
        let acc = knn_accuracy_leave_one_out(z.view(), &[0, 1, 0, 1], 1, 0.1);
        assert!(acc.is_finite());
        assert!(l2_normalised(z.view()).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn leave_one_out_never_uses_the_row_itself() {
        // Each row's only same-class neighbour is itself: leave-one-out must get every row wrong.
        let x = array![[1.0, 0.0], [0.0, 1.0]];
        assert_eq!(knn_accuracy_leave_one_out(x.view(), &[0, 1], 1, 0.1), 0.0);
        let x = array![[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]];
        assert_eq!(
            knn_accuracy_leave_one_out(x.view(), &[0, 0, 1, 1], 1, 0.1),
            1.0
        );
    }

    #[test]
    fn blocked_leave_one_out_equals_the_dense_vote() {
        // More rows than one block; labels follow the direction, with ties in similarity.
        let n = LOO_BLOCK + 77;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            let t = (i % 40) as f64 * 0.15;
            [t.cos(), t.sin(), (i % 3) as f64 * 0.01][j]
        });
        // Every 7th label is wrong, so the accuracy is neither 0 nor 1.
        let labels: Vec<i64> = (0..n)
            .map(|i| (((i % 40) / 10 + usize::from(i % 7 == 0)) % 4) as i64)
            .collect();
        let xn = l2_normalised(x.view());
        let mut sims = xn.dot(&xn.t());
        for i in 0..n {
            sims[(i, i)] = f64::NEG_INFINITY;
        }
        // The dense reference: sort every row completely.
        let mut correct = 0;
        for (i, row) in sims.outer_iter().enumerate() {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            let mut votes = [0.0f64; 4];
            for &j in &idx[..20] {
                votes[labels[j] as usize] += (row[j] / 0.1).exp();
            }
            let best = (0..4)
                .max_by(|&a, &b| votes[a].total_cmp(&votes[b]).then(b.cmp(&a)))
                .unwrap();
            correct += usize::from(best as i64 == labels[i]);
        }
        let acc = knn_accuracy_leave_one_out(x.view(), &labels, 20, 0.1);
        assert_eq!(acc, correct as f64 / n as f64);
        assert!(acc > 0.5 && acc < 1.0, "{acc}");
    }
}
