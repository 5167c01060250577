//! Training runs: every configured method trains, in parallel (one per core, each
//! single-threaded), snapshots its latents, and each snapshot goes through the shared
//! [`crate::probe`]; the runs are judged and the run directory is written
//! (ARCHITECTURE.md §1, §2).

use anyhow::{Context, Result};
use ib_reports::record::{DatasetInfo, EpochRecord, MethodRun, RunRecord, SCHEMA_VERSION};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use crate::analysis::{to_array, to_array3};
use crate::config::{Method, RunConfig};
use crate::data::Dataset;
use crate::info::InfoInputs;
use crate::output;
use crate::probe::{self, Judged, Knn, Probe, RowOrder};
use crate::records::{canonical, ManifestDataset, RunManifest, Versions};
use crate::train;
use crate::verdict::judge_run;
use crate::{snapshot, tool_version};

/// Tensors judged and charted; the N×K×d view tensors are stored for the information analysis.
const ANALYSED: [&str; 3] = ["online.backbone", "online.projector", "online.predictor"];

/// Run the whole job into `out` (an existing, empty directory) and return the record.
pub fn run(cfg: &RunConfig, out: &Path, show_progress: bool) -> Result<RunRecord> {
    let data = crate::data::load(&cfg.dataset, cfg.seed)?;
    let h_t = (data.k_views() as f64).ln();
    let distinct = data.distinct_view_fraction();
    let manifest = RunManifest {
        tool: tool_version(),
        status: "running",
        config: canonical(cfg)?,
        seed: cfg.seed,
        methods: cfg.methods.iter().map(|m| m.name()).collect(),
        dataset: ManifestDataset {
            name: data.name.clone(),
            n_train: data.n_train(),
            n_probe: data.n_probe(),
            input_dim: data.input_len(),
            sample_shape: format!("{:?}", data.shape),
            k_views: data.k_views(),
            h_t_nats: h_t,
            distinct_view_fraction: distinct,
        },
        dims: BTreeMap::from([
            ("online.backbone", cfg.model.feature_dim),
            ("online.projector", cfg.model.projection_dim),
            ("online.predictor", cfg.model.projection_dim),
        ]),
        versions: Versions::of_this_build(),
    };
    output::write_manifest(out, &manifest)?;

    let bars = MultiProgress::with_draw_target(if show_progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let style =
        ProgressStyle::with_template("{prefix:>22} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> ");
    let queue = Mutex::new(cfg.methods.iter().copied().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cfg.methods.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some((i, method)) = queue.lock().expect("queue").pop() else {
                    break;
                };
                let bar = bars.add(ProgressBar::new(cfg.epochs as u64).with_style(style.clone()));
                bar.set_prefix(method.name());
                let result = train_one(cfg, &data, method, out, &bar);
                bar.finish();
                results.lock().expect("results").insert(i, result);
            });
        }
    });
    let runs = results
        .into_inner()
        .expect("results")
        .into_values()
        .collect::<Result<Vec<_>>>()?;

    let record = RunRecord {
        schema_version: SCHEMA_VERSION,
        tool: tool_version(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: "train".into(),
        dataset: DatasetInfo {
            name: data.name.clone(),
            n_train: data.n_train(),
            n_probe: data.n_probe(),
            input_dim: data.input_len(),
            k_views: Some(data.k_views()),
            h_t: Some(h_t),
        },
        config: serde_json::to_value(cfg)?,
        runs,
    };
    output::write_record(&record, out)?;
    Ok(record)
}

fn train_one(
    cfg: &RunConfig,
    data: &Dataset,
    method: Method,
    out: &Path,
    bar: &ProgressBar,
) -> Result<MethodRun> {
    let snap_dir = out.join("snapshots").join(method.name());
    let mut epochs: Vec<EpochRecord> = Vec::new();
    let outcome = train::train(cfg, data, method, |end| {
        if let Some(loss) = end.loss {
            bar.set_message(format!("loss {loss:+.4}"));
        }
        bar.set_position(end.epoch as u64);
        let Some(snap) = end.snapshot else {
            epochs.push(probe::probe(Probe {
                epoch: end.epoch,
                loss: end.loss,
                lr: end.lr,
                judged: Vec::new(),
                info: None,
                info_cfg: &cfg.info,
                order: RowOrder::HeadlineFirst,
                knn: Knn::None,
            })?);
            return Ok(());
        };
        snapshot::write(&snap_dir, snap)?;
        let get = |name: &str| {
            snap.tensors
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t)
        };
        let mut arrays = Vec::new();
        for (name, t) in &snap.tensors {
            if ANALYSED.contains(name) {
                arrays.push((*name, to_array(t)?));
            }
        }
        // Each judged tensor is converted to f64 once; the information and kNN inputs reuse it.
        let array = |name: &str| arrays.iter().find(|(n, _)| *n == name).map(|(_, a)| a);
        let info_arrays = match (
            array("online.projector"),
            get("views.projector"),
            get("target.projector"),
        ) {
            (Some(online), Some(views), Some(target)) => {
                Some((online, to_array3(views)?, to_array3(target)?))
            }
            _ => None,
        };
        let bank = match (&snap.train_backbone, array("online.backbone")) {
            (Some(bank), Some(probe)) => Some((to_array(bank)?, probe)),
            _ => None,
        };
        let mut info_cfg = cfg.info.clone();
        info_cfg.seed ^= cfg.seed;
        if end.epoch != cfg.epochs {
            // Bootstrap intervals for the headline numbers: the last epoch's.
            info_cfg.bootstrap = 0;
        }
        let knn = match (&bank, &data.y_train, &data.y_probe) {
            (Some((bank, probe)), Some(bank_labels), Some(probe_labels)) => Knn::Bank {
                bank: bank.view().into(),
                bank_labels,
                probe: probe.view().into(),
                probe_labels,
            },
            _ => Knn::None,
        };
        let record = probe::probe(Probe {
            epoch: end.epoch,
            loss: end.loss,
            lr: end.lr,
            judged: arrays
                .iter()
                .map(|(name, z)| Judged {
                    name: name.to_string(),
                    rows: z.view().into(),
                    bottleneck: bottleneck(cfg, method, name),
                })
                .collect(),
            info: info_arrays
                .as_ref()
                .map(|(online, views, target)| InfoInputs {
                    tensor: "online.projector",
                    online: online.view().into(),
                    views: Some(views.view().into()),
                    target: Some(target.view().into()),
                    k_transforms: Some(data.k_views()),
                }),
            info_cfg: &info_cfg,
            order: RowOrder::HeadlineFirst,
            knn,
        })
        .with_context(|| format!("{method} at epoch {}", end.epoch))?;
        epochs.push(record);
        Ok(())
    })
    .with_context(|| format!("training {method} failed"))?;
    Ok(MethodRun {
        name: method.name().into(),
        method: method.name().into(),
        seed: cfg.seed,
        verdict: judge_run(&epochs, outcome.diverged_at, &cfg.verdict),
        epochs,
        diverged_at: outcome.diverged_at,
    })
}

/// The width of the narrowest layer tensor `name` passes through, when below its own width: the
/// SimSiam predictor's hidden layer (64-16-64). BYOL's predictor is as wide as the projector
/// (no bottleneck), whatever `model.predictor_hidden` says.
fn bottleneck(cfg: &RunConfig, method: Method, name: &str) -> Option<usize> {
    (name == "online.predictor" && !method.byol_heads())
        .then_some(cfg.model.predictor_hidden)
        .filter(|&h| h < cfg.model.projection_dim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_simsiam_style_predictors_are_bottlenecked() {
        let cfg = RunConfig::default_config();
        let h = cfg.model.predictor_hidden;
        assert!(h < cfg.model.projection_dim);
        assert_eq!(
            bottleneck(&cfg, Method::Simsiam, "online.predictor"),
            Some(h)
        );
        assert_eq!(bottleneck(&cfg, Method::Simsiam, "online.projector"), None);
        assert_eq!(bottleneck(&cfg, Method::Byol, "online.predictor"), None);
        assert_eq!(
            bottleneck(&cfg, Method::ByolNoEma, "online.predictor"),
            None
        );
    }
}
