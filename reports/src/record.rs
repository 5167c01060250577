//! The run record: the serialisable contract between analysis and rendering.
//!
//! `run.json` is exactly a [`RunRecord`] serialised with serde_json. Everything a chart or the
//! HTML page shows is stored here; `ib-reports` computes nothing of its own (ARCHITECTURE.md §1).
//! Non-finite numbers never enter the record: a tensor with NaN/inf is recorded with
//! `finite = false` and no metrics, and its verdict is `diverged`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the run.json layout; bumped on any incompatible change. Readers refuse a record of
/// any other version rather than judge it as this one (`ib_analyze::output::parse_record`).
pub const SCHEMA_VERSION: u32 = 1;

/// The four verdict words of ARCHITECTURE.md §6, ordered by severity (`Healthy` < ... < `Diverged`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Healthy,
    DimensionalCollapse,
    CompleteCollapse,
    Diverged,
}

impl Verdict {
    /// The contract word (`healthy`, `dimensional-collapse`, `complete-collapse`, `diverged`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::DimensionalCollapse => "dimensional-collapse",
            Verdict::CompleteCollapse => "complete-collapse",
            Verdict::Diverged => "diverged",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything one `ib-analyze run` (or `analyze`) produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema_version: u32,
    /// `ib-analyze <version>`.
    pub tool: String,
    /// UTC time the record was written, RFC 3339.
    pub created: String,
    /// Where the embeddings came from (`train` or `analyze`).
    pub source: String,
    pub dataset: DatasetInfo,
    /// The resolved configuration, as a free-form JSON object (shown in the report).
    pub config: serde_json::Value,
    pub runs: Vec<MethodRun>,
}

/// The data the runs were trained or probed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub n_train: usize,
    pub n_probe: usize,
    pub input_dim: usize,
    /// Number of probe transforms K, when a finite set is used.
    pub k_views: Option<usize>,
    /// H(T) = ln K in nats, when finite.
    pub h_t: Option<f64>,
}

/// One training run (one method, one seed) or one analysed set of embeddings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodRun {
    /// Unique name within the record (the method name for built-in runs).
    pub name: String,
    pub method: String,
    pub seed: u64,
    /// Epoch records in increasing epoch order; epoch 0 is the initialised network.
    pub epochs: Vec<EpochRecord>,
    /// The judgement of the last recorded epoch.
    pub verdict: RunVerdict,
    /// First epoch at which the loss or a snapshot became non-finite.
    pub diverged_at: Option<usize>,
}

/// Metrics of one epoch of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    /// Mean training loss over the epoch (None for epoch 0 or when non-finite).
    pub loss: Option<f64>,
    /// Learning rate at the end of the epoch.
    pub lr: Option<f64>,
    /// Tensor name (ARCHITECTURE.md §2, e.g. `online.projector`) to its metrics.
    pub tensors: BTreeMap<String, TensorRecord>,
    /// Information quantities of this epoch's snapshot, one row per (quantity, estimator, space,
    /// scale). Empty when not computed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<InfoRow>,
    /// The bottleneck Lagrangian for a grid of β, one row per (β, estimator, space, scale).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lagrangian: Vec<LagrangianRow>,
    /// kNN classification accuracy of the probe embedding (labels used only here), when labels exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knn_accuracy: Option<f64>,
    /// The rows `knn_accuracy` was measured on, when a seeded subsample of them (large inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knn_subsample: Option<Subsample>,
}

/// A seeded subsample: `rows` of `of`, chosen by `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subsample {
    /// Rows used.
    pub rows: usize,
    /// Rows available.
    pub of: usize,
    /// Seed of the selection.
    pub seed: u64,
}

/// One information quantity in nats, at an explicit scale (ARCHITECTURE.md §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoRow {
    /// Tensor it was computed on (for I(V;V') and H(V|V'): the online one).
    pub tensor: String,
    /// `H(V)`, `H(V|X)`, `I(X;V)`, `I(V;V')`, `H(V|V')`.
    pub quantity: String,
    /// `kl`, `ksg1`, `binned`, `binned-mm`, `gaussian`, `pairwise-kl`, `merge`, ...
    pub estimator: String,
    /// `l2` (rows l2-normalised, on the unit sphere) or `raw`.
    pub space: String,
    /// Bin width ε or noise σ (absolute, in the units of `space`); None where the estimator has none.
    pub scale: Option<f64>,
    /// Dimension after any reduction (e.g. PCA) applied before estimating.
    pub dim: usize,
    /// The estimate in nats; None when it is not finite (see `nonfinite`).
    pub value: Option<f64>,
    /// `-inf`, `inf` or `nan` when the estimate is not a finite number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonfinite: Option<String>,
    /// Confidence interval (lower, upper) around `value`, when computed: it always contains
    /// `value` and covers sampling spread only, not an estimator's bias (ARCHITECTURE.md §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<(f64, f64)>,
    /// How `ci` was computed (e.g. `jackknife-20 t 95%`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_method: Option<String>,
    /// How the scale was chosen when it came from the sample (e.g. `cells 50%`: the bin width
    /// at which the points occupy about half as many cells as there are points); None for a
    /// scale given in the configuration. Series over epochs are matched by this rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_rule: Option<String>,
    /// Plug-in rows (`binned`, `merge`): true when (nearly) every point has its own cell, or
    /// all share one, at this scale: the value then says nothing about the embedding (ln of
    /// the sample size, or 0). Never used for the Lagrangian or the headline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturated: Option<bool>,
    /// Inputs (rows of the snapshot) the estimate used, after any subsampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Seed of the subsampling, view pairing and jackknife groups behind this row, when any was drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Degeneracies and caveats found while estimating (collapse, ties, singular covariance, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// LB_measured(β) = I(X;V) − β·I(V;V') and LB_theorem(β) = (1−β)H(V) + βH(V|V') − H(T),
/// with the gap H(T) − H(V|X), all in nats at one scale (ARCHITECTURE.md §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LagrangianRow {
    pub tensor: String,
    pub beta: f64,
    pub estimator: String,
    pub space: String,
    pub scale: Option<f64>,
    /// The scale rule of the rows it was computed from ([`InfoRow::scale_rule`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_rule: Option<String>,
    pub measured: f64,
    /// None (null) when H(T) is not known: `analyze` without `--fixed-transforms` or `--h-t`.
    pub theorem: Option<f64>,
    /// H(T) − H(V|X) (≥ 0; zero only for an encoder injective on the views); None (null) when
    /// H(T) is not known.
    pub gap: Option<f64>,
}

/// Metrics of one N×d tensor at one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorRecord {
    pub n: usize,
    pub d: usize,
    /// False when the tensor held NaN or inf; then `metrics` is empty.
    pub finite: bool,
    /// Named scalar metrics (`std_l2`, `collapse_level`, `effective_rank`, ...). A metric whose
    /// input is missing (LiDAR without views, NC1 without labels, ...) is present as `null`,
    /// with the reason in [`TensorRecord::unavailable`] (ARCHITECTURE.md §4, the metric panel).
    pub metrics: BTreeMap<String, Option<f64>>,
    /// Singular values of the uncentred matrix, descending.
    pub spectrum: Vec<f64>,
    /// Per-channel standard deviation (unbiased) of the raw rows.
    pub channel_std: Vec<f64>,
    /// Caveats on how the metrics read (e.g. N ≤ d: the rank ratios are capped by N,
    /// ARCHITECTURE.md §6). Absent when empty, so records without caveats are unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why a metric is `null`: metric name → reason (e.g. `lidar` → no views of this tensor).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unavailable: BTreeMap<String, String>,
    /// The value each metric takes on an isotropic Gaussian of the same N and d, where one is
    /// known in closed form (ARCHITECTURE.md §4): the scale a reader compares against.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reference: BTreeMap<String, f64>,
    /// The power-law fit behind `alpha_req`, when there is one: drawn on the spectrum chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_req_fit: Option<PowerLawFit>,
    /// Metrics computed on a seeded subsample of the rows (uniformity above 10,000 rows,
    /// TwoNN above the kNN cap): metric name → the subsample.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subsamples: BTreeMap<String, Subsample>,
    /// How the label classes sit in the tensor, when labels were given: per class its RMS radius
    /// and the distance to the nearest other class centre (ARCHITECTURE.md §4), on the rows NC1
    /// used. Drawn as the report's class-structure chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ClassStructure>,
}

/// Per-class spread of a labelled tensor, in the tensor's raw units (ARCHITECTURE.md §4): a
/// class is set apart when its radius is small beside the distance to its nearest neighbour
/// class, as in the class-distance ratio of neural-collapse studies (Papyan, Han & Donoho 2020).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassStructure {
    /// Rows measured (all, or the seeded subsample of `subsamples["nc1"]`).
    pub rows: usize,
    /// One entry per class, in ascending label order.
    pub classes: Vec<ClassSpread>,
}

/// One class of a [`ClassStructure`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassSpread {
    pub label: i64,
    /// Rows of the class among the measured rows.
    pub count: usize,
    /// √(mean ‖z_i − μ_c‖²) over the class's rows: its RMS distance to its centre μ_c.
    pub radius: f64,
    /// min over other classes c' of ‖μ_c − μ_c'‖; None when there is no other class.
    pub nearest: Option<f64>,
}

/// `ln λ_i ≈ intercept − α·ln i` over the ranks `first_rank..=last_rank` (1-based), λ the
/// eigenvalues of the centred covariance (divisor N − 1): the α-ReQ fit (Agrawal et al. 2022).
/// On the singular-value axis of the spectrum chart it reads `s_i = √((N−1)·λ_i)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// First rank of the fit (1-based).
    pub first_rank: usize,
    /// Last rank of the fit (1-based, inclusive).
    pub last_rank: usize,
    /// Intercept of ln λ on ln i.
    pub intercept: f64,
    /// α (the negated slope).
    pub alpha: f64,
}

impl TensorRecord {
    /// An N×d record with nothing measured yet (finite, no metrics).
    pub fn empty(n: usize, d: usize) -> TensorRecord {
        TensorRecord {
            n,
            d,
            finite: true,
            metrics: BTreeMap::new(),
            spectrum: Vec::new(),
            channel_std: Vec::new(),
            warnings: Vec::new(),
            unavailable: BTreeMap::new(),
            reference: BTreeMap::new(),
            alpha_req_fit: None,
            subsamples: BTreeMap::new(),
            classes: None,
        }
    }

    /// A metric by name, if recorded and not null.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).copied().flatten()
    }
}

/// Verdict of a run: the worst of its tensors' verdicts at `epoch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunVerdict {
    pub verdict: Verdict,
    pub epoch: usize,
    /// When the verdict began (ARCHITECTURE.md §6): the first analysed epoch from which every
    /// analysed epoch's verdict is at least as severe as `verdict` (for a diverged run, the epoch
    /// of divergence). Absent for a healthy run, and in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset_epoch: Option<usize>,
    /// One-line human summary of the deciding signals.
    pub summary: String,
    pub tensors: BTreeMap<String, TensorVerdict>,
}

/// Verdict of one tensor, with every signal that was weighed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorVerdict {
    pub verdict: Verdict,
    pub evidence: Vec<Evidence>,
}

/// One signal compared with its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Metric name, e.g. `normalised_std_l2`.
    pub signal: String,
    pub value: f64,
    /// `<` or `>`: the signal fires when `value <op> threshold`.
    pub op: String,
    pub threshold: f64,
    /// Which verdict this signal supports when it fires.
    pub supports: Verdict,
    pub fired: bool,
    /// True for a signal shown beside the deciding ones that does not decide the verdict
    /// (the metric panel's signals, ARCHITECTURE.md §6). Absent (false) for deciding signals.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
}

impl RunRecord {
    /// Look a run up by name.
    pub fn run(&self, name: &str) -> Option<&MethodRun> {
        self.runs.iter().find(|r| r.name == name)
    }
}
