//! The typed records this crate writes besides the run record (which lives in
//! [`ib_reports::record`], because the reports render it): `manifest.json` of `run` and
//! `analyze`, the `config` that `analyze` stores in its run record, and the `analyze --json`
//! summary (ARCHITECTURE.md §2, §3).
//!
//! Key order: these objects are serialised through [`canonical`], so their keys (and those of
//! every record nested in them) come out in alphabetical order, whatever the order of the
//! struct fields — the form every earlier version wrote.

use ib_reports::record::{Evidence, InfoRow, LagrangianRow, RunRecord, Subsample, Verdict};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::config::{PanelConfig, VerdictConfig};
use crate::info::InfoConfig;

/// `value` as a JSON tree whose objects have sorted keys.
pub fn canonical(value: &impl Serialize) -> serde_json::Result<Value> {
    serde_json::to_value(value)
}

/// Versions of the tool and of the training library, as built.
#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    /// This crate's version.
    #[serde(rename = "ib-analyze")]
    pub ib_analyze: &'static str,
    /// The candle-core version in the build (read from Cargo.lock by the build script).
    #[serde(rename = "candle-core")]
    pub candle_core: &'static str,
}

impl Versions {
    /// The versions of this build.
    pub fn of_this_build() -> Versions {
        Versions {
            ib_analyze: env!("CARGO_PKG_VERSION"),
            candle_core: env!("IB_CANDLE_CORE_VERSION"),
        }
    }
}

/// The dataset of a training run, as `manifest.json` describes it.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestDataset {
    /// Dataset name.
    pub name: String,
    /// Training rows.
    pub n_train: usize,
    /// Probe rows the snapshots are taken on.
    pub n_probe: usize,
    /// Length of one flattened sample.
    pub input_dim: usize,
    /// Shape of one sample (debug form, e.g. `Vector { dim: 64 }`).
    pub sample_shape: String,
    /// K probe transforms.
    pub k_views: usize,
    /// H(T) = ln K, nats.
    pub h_t_nats: f64,
    /// Fraction of probe views that are distinct (1 for an injective augmentation set).
    pub distinct_view_fraction: f64,
}

/// `manifest.json` of `run`, written before training starts.
#[derive(Debug, Clone, Serialize)]
pub struct RunManifest {
    /// `ib-analyze <version>`.
    pub tool: String,
    /// `"running"`: written before training.
    pub status: &'static str,
    /// The resolved configuration.
    pub config: Value,
    /// The master seed.
    pub seed: u64,
    /// Methods trained, in order.
    pub methods: Vec<&'static str>,
    /// The data.
    pub dataset: ManifestDataset,
    /// Width of each judged tensor.
    pub dims: BTreeMap<&'static str, usize>,
    /// Versions of this build.
    pub versions: Versions,
}

/// `manifest.json` of `analyze --out`.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyzeManifest {
    /// `ib-analyze <version>`.
    pub tool: String,
    /// `"analyze"`.
    pub source: &'static str,
    /// The same object as the run record's `config`.
    pub config: Value,
}

/// The files `analyze` reads, as given on the command line.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyzeInputs {
    /// INPUT[:KEY].
    pub input: String,
    /// `--target`.
    pub target: Option<String>,
    /// `--views`.
    pub views: Option<String>,
    /// `--labels`.
    pub labels: Option<String>,
}

/// The `config` of an `analyze` run record: what was read and the settings that shaped the
/// numbers.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyzeConfig {
    /// The inputs.
    pub inputs: AnalyzeInputs,
    /// Settings of the information quantities.
    pub info: InfoConfig,
    /// Verdict thresholds.
    pub verdict: VerdictConfig,
    /// Settings of the collapse-metric panel.
    pub panel: PanelConfig,
    /// The master seed.
    pub seed: u64,
    /// For a directory INPUT (a series of epoch files, ARCHITECTURE.md §3): how it was read;
    /// absent for a single file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesConfig>,
    /// H(T) of the Lagrangian's theorem form and gap (ARCHITECTURE.md §5): given by
    /// `--fixed-transforms` or `--h-t`; null when unknown (then `theorem` and `gap` are null).
    pub h_t: Option<HtKnown>,
    /// N′: the inputs the views cover (`--views` N′×K×d, or a series' `views.projector`);
    /// absent without views. N′ may differ from INPUT's N (the views are then sampled on
    /// their own, ARCHITECTURE.md §3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views_n: Option<usize>,
    /// `analyze --spectrum-only`: only the streamed collapse signals were measured (no
    /// information estimates, no metric panel, no kNN accuracy); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub spectrum_only: bool,
}

/// The `config` of an `analyze` run record with several INPUTs (one run each, ARCHITECTURE.md
/// §3): the settings every run shares, and each run's own part of [`AnalyzeConfig`].
#[derive(Debug, Clone, Serialize)]
pub struct CompareConfig {
    /// Settings of the information quantities (the same for every run).
    pub info: InfoConfig,
    /// Verdict thresholds (the same for every run; `check` reads them here).
    pub verdict: VerdictConfig,
    /// Settings of the collapse-metric panel.
    pub panel: PanelConfig,
    /// The master seed.
    pub seed: u64,
    /// H(T) when every run has the same (`{"nats", "source"}`), else null (each run's is in
    /// `runs`).
    pub h_t: Option<Value>,
    /// Per run, in the order of the INPUTs.
    pub runs: Vec<ComparedRun>,
}

/// One run of a [`CompareConfig`]: its name and what [`AnalyzeConfig`] records of its inputs
/// (`inputs`, `h_t`, `views_n`?, `series`?).
#[derive(Debug, Clone, Serialize)]
pub struct ComparedRun {
    /// The run's name in the record.
    pub name: String,
    /// The run's own keys of its [`AnalyzeConfig`].
    #[serde(flatten)]
    pub own: serde_json::Map<String, Value>,
}

impl ComparedRun {
    /// The keys of [`AnalyzeConfig`] every run of a comparison shares (kept once, at the top).
    pub const SHARED: [&'static str; 4] = ["info", "verdict", "panel", "seed"];

    /// The run `name` whose own record has the `config` of one INPUT ([`AnalyzeConfig`]).
    pub fn of(name: &str, config: &Value) -> ComparedRun {
        let mut own = config.as_object().cloned().unwrap_or_default();
        for k in Self::SHARED {
            own.remove(k);
        }
        ComparedRun {
            name: name.to_string(),
            own,
        }
    }
}

/// Why the theorem form and the gap are null in an `analyze` with views and no H(T).
pub const H_T_UNKNOWN: &str = "theorem form and gap not available: H(T) unknown; give \
     --fixed-transforms if the K views are K fixed equiprobable transforms, or --h-t NATS";

/// H(T), the entropy of the transform behind the views, as `analyze` was told it (nats).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HtKnown {
    /// H(T) in nats: ln K for K fixed equiprobable transforms, or the value given.
    pub nats: f64,
    /// `fixed-transforms` (`--fixed-transforms`: H(T) = ln K) or `given` (`--h-t NATS`).
    pub source: HtSource,
}

/// Where [`HtKnown`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HtSource {
    /// The K views are K fixed, equiprobable transforms: H(T) = ln K.
    FixedTransforms,
    /// Given in nats with `--h-t`.
    Given,
}

/// How `analyze DIR` read its series (the `series` of [`AnalyzeConfig`]).
#[derive(Debug, Clone, Serialize)]
pub struct SeriesConfig {
    /// The run's name (`--name`, or the directory's file name).
    pub name: String,
    /// The files' extension: `npy`, `npz` or `safetensors`.
    pub format: String,
    /// The epoch files analysed, in epoch order (file names only).
    pub files: Vec<String>,
    /// The kNN subsample cap (`knn.max_rows`, `--knn-rows`), which shapes the kNN accuracy.
    pub knn_max_rows: usize,
}

/// One tensor of the `analyze --json` summary.
#[derive(Debug, Clone, Serialize)]
pub struct TensorSummary<'a> {
    /// Its verdict.
    pub verdict: Verdict,
    /// Its metrics at the last epoch.
    pub metrics: Option<&'a BTreeMap<String, Option<f64>>>,
    /// Why a metric is null (metric → reason); absent when none is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<&'a BTreeMap<String, String>>,
    /// Metrics computed on a seeded subsample of the rows; absent when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsamples: Option<&'a BTreeMap<String, Subsample>>,
    /// Every signal weighed.
    pub evidence: &'a [Evidence],
    /// Caveats of its metrics at the last epoch (e.g. N ≤ d: rank ratios capped by N,
    /// ARCHITECTURE.md §6); absent when none.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub warnings: &'a [String],
}

/// The `analyze --json` object (ARCHITECTURE.md §3), built from the run record.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyzeSummary<'a> {
    /// The run's verdict.
    pub verdict: Verdict,
    /// One line of the deciding signals.
    pub summary: &'a str,
    /// The input's name.
    pub input: &'a str,
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// Per tensor: verdict, metrics, evidence, warnings.
    pub tensors: BTreeMap<&'a str, TensorSummary<'a>>,
    /// Every tensor's warnings as `TENSOR: text`; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// kNN accuracy (with `--labels`).
    pub knn_accuracy: Option<f64>,
    /// The kNN subsample, when one was taken.
    pub knn_subsample: Option<Subsample>,
    /// N′, the inputs the views cover (`config.views_n`); absent without views.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views_n: Option<u64>,
    /// H(T) as given (`config.h_t`: `{"nats", "source"}`), or null.
    pub h_t: Option<&'a Value>,
    /// Notes on what could not be computed and why ([`H_T_UNKNOWN`]); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<&'static str>,
    /// Information rows.
    pub info: Option<&'a [InfoRow]>,
    /// Lagrangian rows.
    pub lagrangian: Option<&'a [LagrangianRow]>,
    /// Always `"nats"`.
    pub units: &'static str,
}

impl<'a> AnalyzeSummary<'a> {
    /// The summary of the first run of `record` at its last epoch.
    pub fn of(record: &'a RunRecord) -> Option<AnalyzeSummary<'a>> {
        let run = record.runs.first()?;
        let last = run.epochs.last();
        let tensors = run
            .verdict
            .tensors
            .iter()
            .map(|(name, tv)| {
                let record = last.and_then(|e| e.tensors.get(name));
                let summary = TensorSummary {
                    verdict: tv.verdict,
                    metrics: record.map(|t| &t.metrics),
                    unavailable: record.map(|t| &t.unavailable).filter(|u| !u.is_empty()),
                    subsamples: record.map(|t| &t.subsamples).filter(|u| !u.is_empty()),
                    evidence: &tv.evidence,
                    warnings: record.map_or(&[][..], |t| t.warnings.as_slice()),
                };
                (name.as_str(), summary)
            })
            .collect::<BTreeMap<_, _>>();
        let warnings = tensors
            .iter()
            .flat_map(|(name, t)| t.warnings.iter().map(move |w| format!("{name}: {w}")))
            .collect();
        Some(AnalyzeSummary {
            verdict: run.verdict.verdict,
            summary: &run.verdict.summary,
            input: &record.dataset.name,
            n: record.dataset.n_probe,
            d: record.dataset.input_dim,
            tensors,
            warnings,
            views_n: record.config.get("views_n").and_then(Value::as_u64),
            h_t: record.config.get("h_t").filter(|h| !h.is_null()),
            notes: h_t_notes(record),
            knn_accuracy: last.and_then(|e| e.knn_accuracy),
            knn_subsample: last.and_then(|e| e.knn_subsample),
            info: last.map(|e| e.info.as_slice()),
            lagrangian: last.map(|e| e.lagrangian.as_slice()),
            units: "nats",
        })
    }
}

/// [`H_T_UNKNOWN`] when the last epoch of the first run has Lagrangian rows without the
/// theorem form (H(T) not given); else nothing.
pub fn h_t_notes(record: &RunRecord) -> Vec<&'static str> {
    let last = record.runs.first().and_then(|r| r.epochs.last());
    if last.is_some_and(|e| e.lagrangian.iter().any(|l| l.theorem.is_none())) {
        vec![H_T_UNKNOWN]
    } else {
        Vec::new()
    }
}
