//! The weighted kNN monitor of self-supervised training (Wu et al., CVPR 2018; the SimSiam
//! paper's Fig. 2 right): l2-normalise features, take the k most cosine-similar training rows of
//! each probe row, vote with weights exp(sim / T), predict the class with the largest vote.
//! Labels are used only here, never in training.

use ndarray::{Array2, ArrayView2, Axis};

/// Neighbours and temperature of the monitor (solo-learn uses k = 20, T = 0.07; lightly k = 200,
/// T = 0.1; the tiny CPU recipe of collapse.md §5.2 k = 20, T = 0.1).
pub const K: usize = 20;
pub const TEMPERATURE: f64 = 0.1;

fn l2_normalised(x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = x.to_owned();
    for mut row in out.rows_mut() {
        let norm = row.dot(&row).sqrt().max(1e-12);
        row /= norm;
    }
    out
}

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
    let sims = l2_normalised(probe).dot(&l2_normalised(train).t());
    vote(sims, train_labels, probe_labels, k, temperature)
}

/// Leave-one-out accuracy on one labelled set: each row is classified by the others.
pub fn knn_accuracy_leave_one_out(
    x: ArrayView2<f64>,
    labels: &[i64],
    k: usize,
    temperature: f64,
) -> f64 {
    let xn = l2_normalised(x);
    let mut sims = xn.dot(&xn.t());
    for i in 0..sims.nrows() {
        sims[(i, i)] = f64::NEG_INFINITY;
    }
    vote(sims, labels, labels, k, temperature.max(f64::MIN_POSITIVE))
}

/// Weighted vote over the k most similar bank rows (similarity −inf: never a neighbour).
fn vote(
    sims: Array2<f64>,
    bank_labels: &[i64],
    probe_labels: &[i64],
    k: usize,
    temperature: f64,
) -> f64 {
    let (n, m) = sims.dim();
    if n == 0 || m == 0 {
        return 0.0;
    }
    let k = k.min(m);
    let train_labels = bank_labels;
    let mut classes: Vec<i64> = train_labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let mut correct = 0usize;
    let mut idx: Vec<usize> = (0..m).collect();
    let mut votes = vec![0.0f64; classes.len()];
    for (row, &truth) in sims.axis_iter(Axis(0)).zip(probe_labels) {
        idx.sort_unstable_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        votes.iter_mut().for_each(|v| *v = 0.0);
        for &j in &idx[..k] {
            let c = classes
                .binary_search(&train_labels[j])
                .expect("label in classes");
            votes[c] += (row[j] / temperature).exp();
        }
        let best = (0..classes.len())
            .max_by(|&a, &b| votes[a].total_cmp(&votes[b]).then(b.cmp(&a)))
            .expect("at least one class");
        if classes[best] == truth {
            correct += 1;
        }
    }
    correct as f64 / n as f64
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
}
