//! The per-epoch probe shared by `run` and `analyze` (ARCHITECTURE.md §1): from the tensors of
//! one snapshot to one [`EpochRecord`] — the spectral/std metrics of every judged tensor
//! (ARCHITECTURE.md §4), the information quantities (§5) and the kNN accuracy.
//!
//! `run` probes each snapshot its training loop takes; `analyze` probes the one embedding (or
//! the one epoch) a user exported. Both then judge the epochs with [`crate::verdict`].

use anyhow::{Context, Result};
use ib_reports::record::{EpochRecord, InfoRow, LagrangianRow, Subsample};
use ndarray::CowArray;
use std::collections::BTreeMap;

use crate::analysis::{knn_monitor, tensor_metrics, PanelInputs, Rows, Views};
use crate::config::RunConfig;
use crate::info::{self, InfoConfig, InfoInputs};

/// One tensor to measure and judge.
pub struct Judged<'a> {
    /// Its name in the record (e.g. `online.projector`, or the input's KEY).
    pub name: String,
    /// The N×d values.
    pub rows: Rows<'a>,
    /// Width of the narrowest layer the tensor passes through, when below d (see
    /// [`tensor_metrics`]).
    pub bottleneck: Option<usize>,
    /// Views and labels of the collapse-metric panel (or why there are none).
    pub panel: PanelInputs<'a>,
}

impl<'a> Judged<'a> {
    /// A tensor judged with the panel settings of `cfg` (the α-ReQ fit range, the kNN cap on
    /// TwoNN and NC1, the information estimates' seeded subsample order) and `seed`, the run's
    /// information seed (ARCHITECTURE.md §4, the metric panel).
    pub fn new(
        name: String,
        rows: Rows<'a>,
        bottleneck: Option<usize>,
        views: Result<Views<'a>, String>,
        labels: Result<&'a [i64], String>,
        cfg: &RunConfig,
        seed: u64,
    ) -> Judged<'a> {
        Judged {
            name,
            rows,
            bottleneck,
            panel: PanelInputs {
                views,
                labels,
                alpha_range: cfg.panel.alpha_range(),
                seed,
                max_rows: cfg.knn.max_rows,
                subsample_order: info::subsample_order,
            },
        }
    }
}

/// Where the kNN accuracy comes from.
pub enum Knn<'a> {
    /// No labels: no accuracy.
    None,
    /// A labelled bank (the training inputs' backbone features) classifies the labelled probe.
    Bank {
        /// Bank rows.
        bank: Rows<'a>,
        /// Bank labels.
        bank_labels: &'a [i64],
        /// Probe rows.
        probe: Rows<'a>,
        /// Probe labels.
        probe_labels: &'a [i64],
    },
    /// Leave-one-out on one labelled set, on at most `max_rows` rows of the seeded content-hash
    /// order (the information estimates' selection rule) when there are more.
    LeaveOneOut {
        /// The rows.
        rows: Rows<'a>,
        /// Their labels.
        labels: &'a [i64],
        /// Subsample cap.
        max_rows: usize,
        /// Subsample seed.
        seed: u64,
    },
}

/// Order of the information rows in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOrder {
    /// As the estimators produce them.
    AsComputed,
    /// The headline series ([`HEADLINE`]) first: the series the report charts show first.
    HeadlineFirst,
}

/// Everything one epoch's probe needs.
pub struct Probe<'a> {
    /// The epoch number of the record.
    pub epoch: usize,
    /// Mean training loss of the epoch, when there was training.
    pub loss: Option<f64>,
    /// Learning rate of the epoch, when there was training.
    pub lr: Option<f64>,
    /// Tensors measured and judged.
    pub judged: Vec<Judged<'a>>,
    /// Inputs of the information quantities, when the snapshot has them.
    pub info: Option<InfoInputs<'a>>,
    /// Settings of the information quantities (seed already combined with the run's).
    pub info_cfg: &'a InfoConfig,
    /// Order of the information rows.
    pub order: RowOrder,
    /// The kNN accuracy's source.
    pub knn: Knn<'a>,
}

/// The series the report's information charts show first: the pairwise (Kolchinsky–Tracey KL)
/// estimate on the unit sphere at σ = 0.2. At finer scales every probe input of a healthy run
/// stays distinct and the estimates saturate at ln N; on 16-d PCA coordinates the ε-grid plug-in
/// saturates at every scale of the default grid; at σ = 0.2 the default contrast separates
/// healthy runs (I(X;V) ≈ 2–4 nats) from collapsed ones (≈ 0.1).
pub const HEADLINE: (&str, &str, f64) = ("pairwise-kl", "l2", 0.2);

/// Measures one epoch. A snapshot holding NaN/inf has no information rows (its verdict says
/// `diverged`; there is nothing to estimate) and no kNN accuracy.
pub fn probe(p: Probe<'_>) -> Result<EpochRecord> {
    let mut tensors = BTreeMap::new();
    for t in &p.judged {
        let rec = tensor_metrics(t.rows, t.bottleneck, &t.panel)
            .with_context(|| format!("metrics of {}", t.name))?;
        tensors.insert(t.name.clone(), rec);
    }
    let (mut info_rows, mut lagrangian) = (Vec::new(), Vec::new());
    if let Some(inputs) = &p.info {
        match info::information(inputs, p.info_cfg) {
            Ok((rows, lb)) => (info_rows, lagrangian) = (rows, lb),
            Err(info::InfoError::NonFinite(_)) => {}
            Err(e) => return Err(anyhow::Error::from(e)).context("information quantities"),
        }
    }
    if p.order == RowOrder::HeadlineFirst {
        headline_first(&mut info_rows, &mut lagrangian);
    }
    let (knn_accuracy, knn_subsample) = knn(&p.knn);
    Ok(EpochRecord {
        epoch: p.epoch,
        loss: p.loss,
        lr: p.lr,
        tensors,
        info: info_rows,
        lagrangian,
        knn_accuracy,
        knn_subsample,
    })
}

fn headline_first(rows: &mut [InfoRow], lb: &mut [LagrangianRow]) {
    let is_headline = |e: &str, space: &str, scale: Option<f64>| {
        e == HEADLINE.0
            && space == HEADLINE.1
            && scale.is_some_and(|s| (s - HEADLINE.2).abs() < 1e-12)
    };
    rows.sort_by_key(|r| !is_headline(&r.estimator, &r.space, r.scale));
    lb.sort_by_key(|r| !is_headline(&r.estimator, &r.space, r.scale));
}

/// The kNN accuracy and, for a subsampled leave-one-out, the subsample.
fn knn(source: &Knn) -> (Option<f64>, Option<Subsample>) {
    match *source {
        Knn::None => (None, None),
        Knn::Bank {
            bank,
            bank_labels,
            probe,
            probe_labels,
        } => {
            if !(bank.all_finite() && probe.all_finite()) {
                return (None, None);
            }
            let acc = knn_monitor::knn_accuracy(
                bank.to_f64().view(),
                bank_labels,
                probe.to_f64().view(),
                probe_labels,
                knn_monitor::K,
                knn_monitor::TEMPERATURE,
            );
            (Some(acc), None)
        }
        Knn::LeaveOneOut {
            rows,
            labels,
            max_rows,
            seed,
        } => {
            let n = rows.nrows();
            let (x, y, sub) = if n > max_rows {
                let mut sel = info::subsample_order(rows, seed);
                sel.truncate(max_rows);
                let y: Vec<i64> = sel.iter().map(|&i| labels[i]).collect();
                let sub = Subsample {
                    rows: max_rows,
                    of: n,
                    seed,
                };
                (CowArray::from(rows.select(&sel)), y, Some(sub))
            } else {
                (rows.to_f64(), labels.to_vec(), None)
            };
            let acc = knn_monitor::knn_accuracy_leave_one_out(
                x.view(),
                &y,
                knn_monitor::K,
                knn_monitor::TEMPERATURE,
            );
            (Some(acc), sub)
        }
    }
}
