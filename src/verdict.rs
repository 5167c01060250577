//! The verdict of ARCHITECTURE.md §6: healthy / dimensional collapse / complete collapse / diverged, per
//! tensor and per run, with every signal weighed listed as evidence. No verdict rests on one signal:
//!
//! * **diverged**: the tensor (or the loss) holds NaN/inf.
//! * **complete collapse**: all rows ≈ one vector. Needs all three: √d·std_l2 below
//!   `complete_normalised_std_l2` (the SimSiam std, 1 for an isotropic embedding, 0 for a constant
//!   one), the uncentred effective rank (RankMe) below `complete_effective_rank`, and the mean angle
//!   of the l2-normalised rows to their mean direction below `complete_angular_spread` radians.
//!   A shared offset alone lowers the first and third but leaves the uncentred rank high.
//!   Whatever the thresholds, a tensor whose rows are all zero (`zero_norm_rows` = N: no row
//!   has a direction, ARCHITECTURE.md §4) is complete collapse; its evidence lists
//!   `zero_norm_rows` (shown whenever some rows are zero).
//! * **dimensional collapse**: rows differ but the spectrum is concentrated: the centred effective
//!   rank over min(N−1, d) below `dimensional_rank_ratio` and the uncentred one over min(N, d) below
//!   `dimensional_rank_ratio_raw`. Batch-norm on the output keeps std_l2 near 1/√d here, so std
//!   is not used for it. Centred rank alone cannot see complete collapse (tiny isotropic noise
//!   has a high centred rank), which is why complete collapse is judged first. With N ≤ d the
//!   ratios are taken against min(N−1, d) = N−1 and min(N, d) = N: they say how much of the
//!   room N rows leave is used, and the tensor record says so in its `warnings`.
//!
//! **Onset** ([`onset_epoch`]): the verdict of an epoch is the worst verdict of its tensors; the
//! onset of a run's final verdict F is the first analysed epoch from which every analysed epoch
//! is judged at least as severe as F (healthy < dimensional < complete < diverged). A run that
//! diverged has its divergence epoch as onset; a healthy run has none.

use ib_reports::record::{EpochRecord, Evidence, RunVerdict, TensorRecord, TensorVerdict, Verdict};
use std::collections::BTreeMap;

use crate::config::VerdictConfig;

/// Judge one tensor.
pub fn judge_tensor(t: &TensorRecord, th: &VerdictConfig) -> TensorVerdict {
    if !t.finite {
        return TensorVerdict {
            verdict: Verdict::Diverged,
            evidence: vec![Evidence {
                signal: "finite".into(),
                value: 0.0,
                op: "<".into(),
                threshold: 1.0,
                supports: Verdict::Diverged,
                fired: true,
                advisory: false,
            }],
        };
    }
    let below = |signal: &str, threshold: f64, supports: Verdict| {
        let value = t.metric(signal).unwrap_or(f64::INFINITY);
        Evidence {
            signal: signal.into(),
            value,
            op: "<".into(),
            threshold,
            supports,
            fired: value < threshold,
            advisory: false,
        }
    };
    let complete = [
        below(
            "normalised_std_l2",
            th.complete_normalised_std_l2,
            Verdict::CompleteCollapse,
        ),
        below(
            "effective_rank",
            th.complete_effective_rank,
            Verdict::CompleteCollapse,
        ),
        below(
            "angular_spread",
            th.complete_angular_spread,
            Verdict::CompleteCollapse,
        ),
    ];
    let dimensional = [
        below(
            "effective_rank_centred_ratio",
            th.dimensional_rank_ratio,
            Verdict::DimensionalCollapse,
        ),
        below(
            "effective_rank_ratio",
            th.dimensional_rank_ratio_raw,
            Verdict::DimensionalCollapse,
        ),
    ];
    // Zero rows (no direction): evidence when there are any; all of them zero is complete
    // collapse on its own (every row is the zero vector).
    let zero_rows = t.metric("zero_norm_rows").filter(|&z| z > 0.0).map(|z| {
        let threshold = t.n.saturating_sub(1) as f64;
        Evidence {
            signal: "zero_norm_rows".into(),
            value: z,
            op: ">".into(),
            threshold,
            supports: Verdict::CompleteCollapse,
            fired: t.n > 0 && z > threshold,
            advisory: false,
        }
    });
    // The panel's signal (ARCHITECTURE.md §6, calibration in docs/metrics.md): shown, never
    // deciding. Uniformity near 0 is every row pointing one way (complete collapse, or a large
    // shared offset). The scale-invariant panel metrics (LiDAR, α-ReQ, TwoNN) separate no
    // verdict on the calibration sets: they read the residual noise of a completely collapsed
    // embedding as structure, and overlap between healthy and dimensionally collapsed runs.
    let advisory = t.metric("uniformity").map(|u| Evidence {
        signal: "uniformity".into(),
        value: u,
        op: ">".into(),
        threshold: th.advisory_uniformity,
        supports: Verdict::CompleteCollapse,
        fired: u > th.advisory_uniformity,
        advisory: true,
    });
    let all_zero = zero_rows.as_ref().is_some_and(|e| e.fired);
    let verdict = if all_zero || complete.iter().all(|e| e.fired) {
        Verdict::CompleteCollapse
    } else if dimensional.iter().all(|e| e.fired) {
        Verdict::DimensionalCollapse
    } else {
        Verdict::Healthy
    };
    let mut evidence: Vec<Evidence> = complete
        .into_iter()
        .chain(zero_rows)
        .chain(dimensional)
        .chain(advisory)
        .collect();
    // Non-finite metric values (a missing metric) must not reach run.json.
    evidence.retain(|e| e.value.is_finite());
    TensorVerdict { verdict, evidence }
}

/// The verdict of one epoch: the worst verdict of its tensors; `None` when the epoch analysed
/// no tensor (it has no verdict and does not count for the onset).
pub fn judge_epoch(epoch: &EpochRecord, th: &VerdictConfig) -> Option<Verdict> {
    epoch
        .tensors
        .values()
        .map(|t| judge_tensor(t, th).verdict)
        .max()
}

/// When the final verdict `verdict` began (ARCHITECTURE.md §6): for a run that diverged, the
/// epoch of divergence; for a healthy run, `None`; otherwise the first analysed epoch E such that
/// every analysed epoch from E on is judged ([`judge_epoch`]) at least as severe as `verdict`.
/// "At least as severe" rather than "equal": a run that was completely collapsed at epoch 8 and
/// dimensionally collapsed since has been collapsed since epoch 8. `None` also when the last
/// analysed epoch is judged milder than `verdict` (a verdict its epochs do not support).
pub fn onset_epoch(
    epochs: &[EpochRecord],
    verdict: Verdict,
    diverged_at: Option<usize>,
    th: &VerdictConfig,
) -> Option<usize> {
    if let Some(epoch) = diverged_at {
        return Some(epoch);
    }
    if verdict == Verdict::Healthy {
        return None;
    }
    let mut onset = None;
    for e in epochs.iter().rev() {
        match judge_epoch(e, th) {
            None => continue,
            Some(v) if v >= verdict => onset = Some(e.epoch),
            Some(_) => break,
        }
    }
    onset
}

/// Judge the last recorded epoch of a run: the worst verdict over its tensors, or `diverged`
/// when training stopped on a non-finite loss; with the epoch it began ([`onset_epoch`]).
pub fn judge_run(
    epochs: &[EpochRecord],
    diverged_at: Option<usize>,
    th: &VerdictConfig,
) -> RunVerdict {
    let Some(last) = epochs.iter().rev().find(|e| !e.tensors.is_empty()) else {
        return RunVerdict {
            verdict: if diverged_at.is_some() {
                Verdict::Diverged
            } else {
                Verdict::Healthy
            },
            epoch: 0,
            onset_epoch: diverged_at,
            summary: "no snapshot was analysed".into(),
            tensors: BTreeMap::new(),
        };
    };
    let tensors: BTreeMap<String, TensorVerdict> = last
        .tensors
        .iter()
        .map(|(name, t)| (name.clone(), judge_tensor(t, th)))
        .collect();
    let mut verdict = tensors
        .values()
        .map(|v| v.verdict)
        .max()
        .unwrap_or(Verdict::Healthy);
    if diverged_at.is_some() {
        verdict = Verdict::Diverged;
    }
    RunVerdict {
        verdict,
        epoch: last.epoch,
        onset_epoch: onset_epoch(epochs, verdict, diverged_at, th),
        summary: summarise(verdict, diverged_at, &tensors),
        tensors,
    }
}

/// One line naming the deciding tensor and the signals that fired for its verdict.
fn summarise(
    verdict: Verdict,
    diverged_at: Option<usize>,
    tensors: &BTreeMap<String, TensorVerdict>,
) -> String {
    if let Some(epoch) = diverged_at {
        return format!("loss or weights became non-finite at epoch {epoch}");
    }
    if verdict == Verdict::Healthy {
        // The headline signals of the projector output (the SimSiam paper's z), or the first tensor.
        let Some((name, tv)) = tensors
            .get_key_value("online.projector")
            .or_else(|| tensors.iter().next())
        else {
            return String::new();
        };
        let shown: Vec<String> = tv
            .evidence
            .iter()
            .filter(|e| {
                matches!(
                    e.signal.as_str(),
                    "normalised_std_l2" | "effective_rank" | "effective_rank_centred_ratio"
                )
            })
            .map(|e| format!("{} {}", e.signal, fmt_num(e.value)))
            .collect();
        return format!("{name}: {}", shown.join(", "));
    }
    let Some((name, tv)) = tensors.iter().find(|(_, tv)| tv.verdict == verdict) else {
        return String::new();
    };
    let shown: Vec<String> = tv
        .evidence
        .iter()
        .filter(|e| e.supports == verdict && e.fired && !e.advisory)
        .map(|e| {
            format!(
                "{} {} {} {}",
                e.signal,
                fmt_num(e.value),
                e.op,
                fmt_num(e.threshold)
            )
        })
        .collect();
    format!("{name}: {}", shown.join(", "))
}

/// Four significant digits, without trailing noise.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;

    fn tensor(metrics: &[(&str, f64)]) -> TensorRecord {
        TensorRecord {
            n: 512,
            d: 64,
            finite: true,
            metrics: metrics
                .iter()
                .map(|(k, v)| (k.to_string(), Some(*v)))
                .collect(),
            spectrum: vec![],
            channel_std: vec![],
            warnings: vec![],
            unavailable: BTreeMap::new(),
            reference: BTreeMap::new(),
            alpha_req_fit: None,
            subsamples: BTreeMap::new(),
            classes: None,
        }
    }

    fn th() -> VerdictConfig {
        RunConfig::default_config().verdict
    }

    #[test]
    fn constant_embedding_is_complete_collapse() {
        let t = tensor(&[
            ("normalised_std_l2", 0.001),
            ("effective_rank", 1.01),
            ("angular_spread", 0.001),
            ("effective_rank_centred_ratio", 0.9),
            ("effective_rank_ratio", 0.016),
        ]);
        assert_eq!(judge_tensor(&t, &th()).verdict, Verdict::CompleteCollapse);
    }

    #[test]
    fn shared_offset_with_high_rank_is_not_complete_collapse() {
        // Small std_l2 and angle (a large common offset) but a high uncentred rank.
        let t = tensor(&[
            ("normalised_std_l2", 0.05),
            ("effective_rank", 20.0),
            ("angular_spread", 0.05),
            ("effective_rank_centred_ratio", 0.8),
            ("effective_rank_ratio", 0.3),
        ]);
        assert_eq!(judge_tensor(&t, &th()).verdict, Verdict::Healthy);
    }

    #[test]
    fn batch_norm_masked_rank_collapse_is_dimensional() {
        // std_l2 ≈ 1/√d because of output batch-norm, but the spectrum has collapsed.
        let t = tensor(&[
            ("normalised_std_l2", 0.95),
            ("effective_rank", 4.0),
            ("angular_spread", 1.3),
            ("effective_rank_centred_ratio", 0.06),
            ("effective_rank_ratio", 0.06),
        ]);
        assert_eq!(
            judge_tensor(&t, &th()).verdict,
            Verdict::DimensionalCollapse
        );
    }

    #[test]
    fn all_zero_rows_are_complete_collapse_whatever_the_thresholds() {
        // The metrics of np.zeros((512, 64)).
        let zeros = tensor(&[
            ("normalised_std_l2", 0.0),
            ("effective_rank", 1.0),
            ("angular_spread", 0.0),
            ("effective_rank_centred_ratio", 1.0 / 63.0),
            ("effective_rank_ratio", 1.0 / 64.0),
            ("zero_norm_rows", 512.0),
        ]);
        let mut loose = th();
        loose.complete_effective_rank = 0.5;
        loose.complete_angular_spread = 0.0;
        for th in [th(), loose] {
            let v = judge_tensor(&zeros, &th);
            assert_eq!(v.verdict, Verdict::CompleteCollapse);
            let z = v
                .evidence
                .iter()
                .find(|e| e.signal == "zero_norm_rows")
                .unwrap();
            assert!(z.fired && z.value == 512.0 && z.op == ">" && z.threshold == 511.0);
        }
        // Some zero rows among healthy ones: evidence, not a verdict.
        let some = tensor(&[
            ("normalised_std_l2", 0.9),
            ("effective_rank", 40.0),
            ("angular_spread", 1.2),
            ("effective_rank_centred_ratio", 0.8),
            ("effective_rank_ratio", 0.7),
            ("zero_norm_rows", 3.0),
        ]);
        let v = judge_tensor(&some, &th());
        assert_eq!(v.verdict, Verdict::Healthy);
        assert!(v
            .evidence
            .iter()
            .any(|e| e.signal == "zero_norm_rows" && !e.fired));
        // No zero rows: no such evidence (records of ordinary tensors are unchanged).
        let none = tensor(&[("normalised_std_l2", 0.9), ("zero_norm_rows", 0.0)]);
        assert!(judge_tensor(&none, &th())
            .evidence
            .iter()
            .all(|e| e.signal != "zero_norm_rows"));
        let summary = summarise(
            Verdict::CompleteCollapse,
            None,
            &[("z".to_string(), judge_tensor(&zeros, &loose_th()))]
                .into_iter()
                .collect(),
        );
        assert!(summary.contains("zero_norm_rows 512 > 511"), "{summary}");
        assert!(!summary.contains("angular_spread"), "{summary}");
    }

    fn loose_th() -> VerdictConfig {
        let mut t = th();
        t.complete_angular_spread = 0.0;
        t
    }

    #[test]
    fn non_finite_is_diverged() {
        let mut t = tensor(&[]);
        t.finite = false;
        assert_eq!(judge_tensor(&t, &th()).verdict, Verdict::Diverged);
    }

    /// An epoch whose only tensor is judged `v` (`None`: an epoch that analysed nothing).
    fn epoch(epoch: usize, v: Option<Verdict>) -> EpochRecord {
        let healthy = [
            ("normalised_std_l2", 0.9),
            ("effective_rank", 40.0),
            ("angular_spread", 1.2),
            ("effective_rank_centred_ratio", 0.8),
            ("effective_rank_ratio", 0.7),
        ];
        let mut t = tensor(&healthy);
        match v {
            None | Some(Verdict::Healthy) => {}
            Some(Verdict::DimensionalCollapse) => {
                t.metrics
                    .insert("effective_rank_centred_ratio".into(), Some(0.05));
                t.metrics.insert("effective_rank_ratio".into(), Some(0.05));
            }
            Some(Verdict::CompleteCollapse) => {
                t.metrics.insert("normalised_std_l2".into(), Some(0.01));
                t.metrics.insert("effective_rank".into(), Some(1.1));
                t.metrics.insert("angular_spread".into(), Some(0.01));
            }
            Some(Verdict::Diverged) => t.finite = false,
        }
        EpochRecord {
            epoch,
            loss: None,
            lr: None,
            tensors: match v {
                Some(_) => [("z".to_string(), t)].into_iter().collect(),
                None => BTreeMap::new(),
            },
            info: vec![],
            lagrangian: vec![],
            knn_accuracy: None,
            knn_subsample: None,
        }
    }

    /// Epochs 0, 5, 10, … judged as `pattern` says: H, D, C, X (diverged tensor), `.` (nothing).
    fn series(pattern: &str) -> Vec<EpochRecord> {
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let v = match c {
                    'H' => Some(Verdict::Healthy),
                    'D' => Some(Verdict::DimensionalCollapse),
                    'C' => Some(Verdict::CompleteCollapse),
                    'X' => Some(Verdict::Diverged),
                    _ => None,
                };
                epoch(5 * i, v)
            })
            .collect()
    }

    #[test]
    fn onset_is_the_first_epoch_from_which_the_verdict_holds() {
        let th = th();
        let onset = |p: &str| {
            let epochs = series(p);
            let v = judge_run(&epochs, None, &th);
            assert_eq!(v.onset_epoch, onset_epoch(&epochs, v.verdict, None, &th));
            (v.verdict, v.onset_epoch)
        };
        use Verdict::*;
        assert_eq!(onset("HHHH"), (Healthy, None));
        assert_eq!(onset("HCCH"), (Healthy, None));
        assert_eq!(onset("CCCC"), (CompleteCollapse, Some(0)));
        assert_eq!(onset("HHHC"), (CompleteCollapse, Some(15)));
        assert_eq!(onset("HCCHCC"), (CompleteCollapse, Some(20)));
        // At least as severe holds; milder breaks.
        assert_eq!(onset("HCDD"), (DimensionalCollapse, Some(5)));
        assert_eq!(onset("HDDCC"), (CompleteCollapse, Some(15)));
        assert_eq!(onset("HDCDHD"), (DimensionalCollapse, Some(25)));
        // Epochs without tensors are skipped; the verdict is that of the last analysed epoch.
        assert_eq!(onset("HC.C."), (CompleteCollapse, Some(5)));
        assert_eq!(onset("HC.HC"), (CompleteCollapse, Some(20)));
        // A non-finite tensor is diverged from that epoch.
        assert_eq!(onset("HCXX"), (Diverged, Some(10)));
    }

    #[test]
    fn a_diverged_run_has_its_divergence_epoch_as_onset() {
        let th = th();
        let epochs = series("HHC");
        let v = judge_run(&epochs, Some(13), &th);
        assert_eq!((v.verdict, v.onset_epoch), (Verdict::Diverged, Some(13)));
        let v = judge_run(&[], Some(1), &th);
        assert_eq!((v.verdict, v.onset_epoch), (Verdict::Diverged, Some(1)));
        let v = judge_run(&[], None, &th);
        assert_eq!((v.verdict, v.onset_epoch), (Verdict::Healthy, None));
        // A verdict its last epoch does not support has no onset.
        assert_eq!(
            onset_epoch(&series("CCH"), Verdict::CompleteCollapse, None, &th),
            None
        );
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(0.125), "0.125");
        assert_eq!(fmt_num(2.0), "2");
        assert_eq!(fmt_num(0.00012), "1.200e-4");
    }
}
