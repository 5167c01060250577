//! Training runs: every configured method trains, in parallel (one per core, each
//! single-threaded), snapshots its latents, and each snapshot goes through the shared
//! [`crate::probe`]; the runs are judged and the run directory is written
//! (ARCHITECTURE.md §1, §2).
//!
//! [`prepare`] checks the configuration against the data's shape and the memory it needs and
//! builds the data, all before the run directory is created; [`run`] then trains and writes.

pub mod budget;

use anyhow::{bail, Context, Result};
use ib_reports::record::{DatasetInfo, EpochRecord, MethodRun, RunRecord, SCHEMA_VERSION};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use crate::analysis::{panel, to_array, to_array3};
use crate::config::{Method, RunConfig};
use crate::data::{DataShape, Dataset, SampleShape};
use crate::info::InfoInputs;
use crate::output;
use crate::probe::{self, Judged, Knn, Probe, RowOrder};
use crate::records::{canonical, ManifestDataset, RunManifest, Versions};
use crate::verdict::judge_run;
use crate::{interrupt, train};
use crate::{snapshot, tool_version};

/// Tensors judged and charted; the N×K×d view tensors are stored for the information analysis.
const ANALYSED: [&str; 3] = ["online.backbone", "online.projector", "online.predictor"];

/// Methods that train at the same time: one per core.
pub fn workers(cfg: &RunConfig) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cfg.methods.len())
        .max(1)
}

/// Check `cfg` against the data it trains on and the memory the run needs, then build the data.
/// Synthetic and digits data are checked from their planned shape before they are generated; a
/// file is read first (the readers bound what they allocate by the file's size). Nothing is
/// written: every error that training would find at its start is found here, before the run
/// directory exists.
pub fn prepare(cfg: &RunConfig) -> Result<Dataset> {
    let (available, source) = budget::available_memory();
    let workers = workers(cfg);
    if let Some(shape) = crate::data::planned(&cfg.dataset)? {
        check_shape(cfg, &shape, None)?;
        budget::check(cfg, &shape, workers, (available, &source))?;
    }
    let data = crate::data::load(&cfg.dataset, cfg.seed)?;
    let shape = data.data_shape();
    check_shape(cfg, &shape, cfg.dataset.path.as_deref())?;
    budget::check(cfg, &shape, workers, (available, &source))?;
    for note in narrow_probe_notes(cfg, &shape) {
        eprintln!("note: {note}");
    }
    Ok(data)
}

/// The judged tensors of the configured methods with their widths and the key setting them.
fn judged_widths(cfg: &RunConfig) -> Vec<(&'static str, usize, &'static str)> {
    let mut out = vec![
        (
            "online.backbone",
            cfg.model.feature_dim,
            "model.feature_dim",
        ),
        (
            "online.projector",
            cfg.model.projection_dim,
            "model.projection_dim",
        ),
    ];
    if cfg.methods.iter().any(|m| m.has_predictor()) {
        out.push((
            "online.predictor",
            cfg.model.projection_dim,
            "model.projection_dim",
        ));
    }
    out
}

/// The settings that only the data's shape can refuse, each with the key and the fix.
/// `file` names the data file (for a file dataset).
fn check_shape(cfg: &RunConfig, shape: &DataShape, file: Option<&str>) -> Result<()> {
    let m = &cfg.model;
    if let (crate::config::EncoderKind::Cnn, SampleShape::Vector { dim }) =
        (m.encoder, shape.sample)
    {
        bail!(
            "model.encoder = \"cnn\" needs image data (N×C×H×W); this data set has {dim}-d \
             vectors: use \"mlp\""
        );
    }
    if shape.n_train < 2 {
        bail!(
            "the training set has {} row(s): a training batch is batch-normalised and needs at \
             least 2 (lower dataset.n_probe, or give more rows)",
            shape.n_train
        );
    }
    if let SampleShape::Image { height, width, .. } = shape.sample {
        let side = height.min(width);
        if cfg.dataset.image_shift_px >= side {
            bail!(
                "dataset.image_shift_px = {} is not smaller than the {height}×{width} images: a \
                 shift that large can move the whole image out of the frame; use at most {}",
                cfg.dataset.image_shift_px,
                side - 1
            );
        }
    }
    // The probe is what is judged: too few rows and a verdict signal can never fire (see
    // [`min_probe_rows`]). Judged tensors with N ≤ d get a note ([`narrow_probe_notes`]): their
    // rank ratios are capped by N (ARCHITECTURE.md §6), as `analyze` warns too.
    let n = shape.n_probe;
    let (need, key, why) = min_probe_rows(&cfg.verdict);
    if n < need {
        let source = match file {
            Some(path) => format!(
                "dataset.n_probe = {}, at most a quarter of the {} rows of '{}'",
                cfg.dataset.n_probe,
                shape.n_train + n,
                crate::files::shown(path)
            ),
            None => format!("dataset.n_probe = {}", cfg.dataset.n_probe),
        };
        bail!(
            "the probe set has {n} rows ({source}): the verdict needs at least {need}, else \
             {key} can never fire ({why}). Give the probe at least {need} rows{}",
            if file.is_some() {
                format!(" (a file of at least {} rows)", need.saturating_mul(4))
            } else {
                String::new()
            }
        );
    }
    let info_rows = n.min(cfg.info.max_rows);
    if cfg.info.k >= info_rows {
        bail!(
            "info.k = {} needs more than k rows, but the information analysis uses {info_rows} \
             (dataset.n_probe and info.max_rows): lower info.k",
            cfg.info.k
        );
    }
    Ok(())
}

/// The fewest probe rows with which every verdict signal can fire, with the threshold that
/// sets it and why (ARCHITECTURE.md §6): an effective rank is at least 1 and at most the number
/// of rows, so `effective_rank < complete_effective_rank` always fires with N ≤ that threshold,
/// and `rank / min(N − 1, d) < dimensional_rank_ratio` can fire only when N − 1 > 1/ratio (the
/// uncentred ratio over min(N, d): N > 1/ratio). With the defaults (3, 0.1, 0.15): 12 rows.
pub fn min_probe_rows(v: &crate::config::VerdictConfig) -> (usize, &'static str, String) {
    // n > x ⇔ n ≥ ⌊x⌋ + 1 (for x ≥ 0; the thresholds are finite and > 0 by validation).
    let above = |x: f64| (x.floor().min(1e18) as usize).saturating_add(1);
    [
        (
            above(1.0 / v.dimensional_rank_ratio).saturating_add(1),
            "verdict.dimensional_rank_ratio",
            format!(
                "the centred effective rank, at least 1, is below {} × (N − 1) only when N > {}",
                v.dimensional_rank_ratio,
                above(1.0 / v.dimensional_rank_ratio)
            ),
        ),
        (
            above(1.0 / v.dimensional_rank_ratio_raw),
            "verdict.dimensional_rank_ratio_raw",
            format!(
                "the effective rank, at least 1, is below {} × N only when N > {}",
                v.dimensional_rank_ratio_raw,
                above(1.0 / v.dimensional_rank_ratio_raw) - 1
            ),
        ),
        (
            above(v.complete_effective_rank),
            "verdict.complete_effective_rank",
            format!(
                "an effective rank is at most N, so it is below {} whenever N ≤ {}",
                v.complete_effective_rank,
                above(v.complete_effective_rank) - 1
            ),
        ),
    ]
    .into_iter()
    .max_by_key(|(n, _, _)| *n)
    .expect("three rules")
}

/// Notes for judged tensors at least as wide as the probe has rows (N ≤ d): their rank ratios
/// are capped by N, so they cannot show dimensional collapse.
fn narrow_probe_notes(cfg: &RunConfig, shape: &DataShape) -> Vec<String> {
    let n = shape.n_probe;
    judged_widths(cfg)
        .into_iter()
        .filter(|&(_, d, _)| n <= d)
        .map(|(tensor, d, key)| {
            format!(
                "the probe set has {n} rows but {tensor} has d = {d} columns ({key}): with N ≤ d \
                 its rank ratios are capped by N, so its verdict says little about dimensional \
                 collapse; give the probe more than {d} rows"
            )
        })
        .collect()
}

/// Run the whole job on `data` (from [`prepare`]) into `out` (an existing, empty directory) and
/// return the record. A SIGINT/SIGTERM during training, the analysis or the report stops it
/// with [`interrupt::Interrupted`] before `run.json` is written.
pub fn run(cfg: &RunConfig, data: &Dataset, out: &Path, show_progress: bool) -> Result<RunRecord> {
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
    let log = Log::new(show_progress, &bars);
    let style =
        ProgressStyle::with_template("{prefix:>22} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> ");
    let queue = Mutex::new(cfg.methods.iter().copied().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(BTreeMap::new());
    let workers = workers(cfg);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some((i, method)) = queue.lock().expect("queue").pop() else {
                    break;
                };
                let bar = bars.add(ProgressBar::new(cfg.epochs as u64).with_style(style.clone()));
                bar.set_prefix(method.name());
                let result = train_one(cfg, data, method, out, &bar, &log);
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
    interrupt::check()?;

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
    log.line("writing metrics.csv, the charts and report.html");
    output::write_record(&record, out)?;
    Ok(record)
}

fn train_one(
    cfg: &RunConfig,
    data: &Dataset,
    method: Method,
    out: &Path,
    bar: &ProgressBar,
    log: &Log,
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
        if end.epoch == cfg.epochs || outcome_is_last(&end) {
            log.line(&format!(
                "{method}: trained; analysing the last snapshot (epoch {})",
                end.epoch
            ));
        }
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
            info_cfg.ci_groups = 0;
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
                .map(|(name, z)| {
                    Judged::new(
                        name.to_string(),
                        z.view().into(),
                        bottleneck(cfg, method, name),
                        match &info_arrays {
                            Some((_, views, _)) if *name == "online.projector" => {
                                Ok(views.view().into())
                            }
                            _ => Err(panel::views_of_the_projector(name)),
                        },
                        data.y_probe.as_deref().ok_or_else(|| {
                            "no labels: the dataset of this run has none".to_string()
                        }),
                        cfg,
                        info_cfg.seed,
                    )
                })
                .collect(),
            info: info_arrays
                .as_ref()
                .map(|(online, views, target)| InfoInputs {
                    tensor: "online.projector",
                    online: online.view().into(),
                    views: Some(views.view().into()),
                    target: Some(target.view().into()),
                    h_t: Some((data.k_views() as f64).ln()),
                }),
            info_cfg: &info_cfg,
            order: RowOrder::HeadlineFirst,
            knn,
        })
        .with_context(|| format!("{method} at epoch {}", end.epoch))?;
        epochs.push(record);
        // The analysis of a snapshot can take long: a signal during it stops the run here.
        interrupt::check()?;
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

/// Whether this epoch ends training early (a non-finite loss: its snapshot is the last).
fn outcome_is_last(end: &train::EpochEnd<'_>) -> bool {
    end.epoch > 0 && end.loss.is_none()
}

/// Progress lines on stderr (not with `--quiet`): above the bars on a terminal, as plain lines
/// otherwise (the bars draw only on a terminal), so a log shows the phases of the run.
struct Log<'a> {
    show: bool,
    terminal: bool,
    bars: &'a MultiProgress,
}

impl<'a> Log<'a> {
    fn new(show: bool, bars: &'a MultiProgress) -> Self {
        use std::io::IsTerminal;
        Log {
            show,
            terminal: std::io::stderr().is_terminal(),
            bars,
        }
    }

    fn line(&self, text: &str) {
        if !self.show {
            return;
        }
        if self.terminal {
            let _ = self.bars.println(text);
        } else {
            eprintln!("{text}");
        }
    }
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

    fn synthetic(cfg: &RunConfig) -> DataShape {
        crate::data::planned(&cfg.dataset).unwrap().unwrap()
    }

    #[test]
    fn the_probe_minimum_follows_the_verdict_thresholds() {
        let cfg = RunConfig::default_config();
        let (n, key, _) = min_probe_rows(&cfg.verdict);
        assert_eq!((n, key), (12, "verdict.dimensional_rank_ratio"));
        let mut v = cfg.verdict.clone();
        v.dimensional_rank_ratio = 0.5;
        v.dimensional_rank_ratio_raw = 0.5;
        v.complete_effective_rank = 3.5;
        assert_eq!(min_probe_rows(&v).0, 4, "N > 3.5");
        v.complete_effective_rank = 1e300;
        assert_eq!(
            min_probe_rows(&v).0,
            1e18 as usize + 1,
            "saturates, no overflow"
        );
        // N = 12: a rank of 1 is below 0.1 × 11, so dimensional collapse can fire.
        let mut c = cfg.clone();
        c.dataset.n_probe = 12;
        c.model.feature_dim = 8;
        c.model.projection_dim = 8;
        check_shape(&c, &synthetic(&c), None).unwrap();
        c.dataset.n_probe = 11;
        let e = check_shape(&c, &synthetic(&c), None).unwrap_err();
        assert!(format!("{e:#}").contains("at least 12"), "{e:#}");
    }

    #[test]
    fn settings_only_the_shape_refuses_are_refused_before_the_run() {
        let cfg = RunConfig::default_config();
        check_shape(&cfg, &synthetic(&cfg), None).unwrap();
        let mut c = cfg.clone();
        c.model.encoder = crate::config::EncoderKind::Cnn;
        let e = check_shape(&c, &synthetic(&c), None).unwrap_err();
        assert!(format!("{e:#}").contains("model.encoder"), "{e:#}");
        let mut c = cfg.clone();
        c.info.k = 512;
        let e = check_shape(&c, &synthetic(&c), None).unwrap_err();
        assert!(format!("{e:#}").contains("info.k = 512"), "{e:#}");
        let mut c = cfg.clone();
        c.dataset.kind = crate::config::DatasetKind::Digits;
        check_shape(&c, &synthetic(&c), None).unwrap();
        c.dataset.image_shift_px = 8;
        let e = check_shape(&c, &synthetic(&c), None).unwrap_err();
        assert!(format!("{e:#}").contains("image_shift_px = 8"), "{e:#}");
        // N ≤ d is noted, not refused.
        let mut c = cfg.clone();
        c.dataset.n_probe = 100;
        check_shape(&c, &synthetic(&c), None).unwrap();
        let notes = narrow_probe_notes(&c, &synthetic(&c));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("online.backbone"), "{notes:?}");
    }

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
