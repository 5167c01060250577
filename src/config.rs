//! The run configuration: an embedded default, overridden by `--config FILE.toml`, then by flags.
//!
//! Every random draw of a run is seeded from [`RunConfig::seed`]; the same config gives the same
//! numbers.
//!
//! This module is the bottom of the training side: `train` and `data` read it, it reads
//! neither. The vocabulary they share (method names, encoder kinds, dataset kinds) lives here.
//!
//! The embedded `default_config.toml` is the one source of the default values: the `Default`
//! impls read their values from it ([`default_value`]), and the `--quick` profile is
//! [`RunConfig::apply_quick`].

pub mod finite;
pub mod method;

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use method::Method;

/// Most epochs: `run.json` keeps a record (loss, learning rate) of every epoch and the charts draw
/// every one; the default trains 60.
pub const MAX_EPOCHS: usize = 100_000;

/// Most snapshots per method (epoch 0, every `snapshot_every`-th epoch and the last): each is
/// written to disk and analysed in full (the information families on the probe's K views);
/// the default takes 13.
pub const MAX_SNAPSHOTS: usize = 1_000;

/// Most probe transforms (`dataset.k_views`): every snapshot forwards the N·K probe views and
/// stores N×K×d tensors, and the information analysis works on N·K points; H(T) = ln K. The
/// default is 8 (images have at most 8 dihedral transforms).
pub const MAX_K_VIEWS: usize = 1024;

/// Longest `name`, in bytes: the default output directory is `<name>-<yyyymmdd-hhmmss>[-N]`,
/// and a file name has at most 255 bytes on common file systems.
pub const MAX_NAME_BYTES: usize = 100;

/// Largest config file read, in bytes (the default config is under 2 kB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Refuse a `name` that is not a plain file name: empty, longer than [`MAX_NAME_BYTES`], `.` or
/// `..`, or holding a path separator (`/`, `\`) or a control character (NUL, newline, ESC, …).
/// Such a name would write outside the output root (`runs/../../x-…`) or forge terminal output.
/// `key` names the setting in the message.
pub fn check_plain_name(name: &str, key: &str) -> Result<()> {
    // Quoted escaped, and cut short when long.
    let cut: String = name.chars().take(60).collect();
    let ellipsis = if cut.len() < name.len() { "…" } else { "" };
    let shown = format!("{}{ellipsis}", crate::files::shown(&cut));
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_NAME_BYTES {
        Some("it is too long")
    } else if name == "." || name == ".." {
        Some("it names a directory of the path")
    } else if name.contains(['/', '\\']) {
        Some("it holds a path separator")
    } else if name.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if name.trim() != name {
        Some("it starts or ends with white space")
    } else {
        None
    };
    match why {
        Some(why) => bail!(
            "{key} = \"{shown}\" is not a plain file name ({why}): use letters, digits, `-`, `_` \
             or `.`, at most {MAX_NAME_BYTES} bytes, no `/`, `\\` or control characters \
             (to write elsewhere, pass --out DIR)"
        ),
        None => Ok(()),
    }
}

/// The default configuration, compiled in so that `ib-analyze run` works on a fresh checkout.
pub const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

/// The value of `key` (dotted: `table.key`) in the embedded default config. Panics when the key
/// is missing or has another type: the tests read every default once.
pub fn default_value<T: DeserializeOwned>(key: &str) -> T {
    let mut value = toml::Value::Table(toml::from_str(DEFAULT_CONFIG).expect("default parses"));
    for part in key.split('.') {
        value = match value {
            toml::Value::Table(mut t) => t
                .remove(part)
                .unwrap_or_else(|| panic!("the default config has no `{key}`")),
            _ => panic!("the default config has no table above `{key}`"),
        };
    }
    value
        .try_into()
        .unwrap_or_else(|e| panic!("the default `{key}` has the wrong type: {e}"))
}

/// Everything a run depends on. Unknown keys are rejected so that a typo is an error, not a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Name used for the default output directory `runs/<name>-<timestamp>`.
    pub name: String,
    /// Methods to train, in order (see `ib-analyze run --help`).
    pub methods: Vec<Method>,
    /// Master seed: data, initialisation, augmentation noise and batch order derive from it.
    pub seed: u64,
    pub epochs: usize,
    /// Write a snapshot (and analyse it) every this many epochs; epoch 0 and the last are always taken.
    pub snapshot_every: usize,
    pub dataset: DatasetConfig,
    pub model: ModelConfig,
    pub optim: OptimConfig,
    pub loss: LossConfig,
    /// Information quantities on every snapshot (ARCHITECTURE.md §5); `[info]`, all keys optional.
    #[serde(default)]
    pub info: crate::info::InfoConfig,
    pub verdict: VerdictConfig,
    /// The kNN accuracy monitor; `[knn]`, all keys optional.
    #[serde(default)]
    pub knn: KnnConfig,
    /// The collapse-metric panel (ARCHITECTURE.md §4); `[panel]`, all keys optional.
    #[serde(default)]
    pub panel: PanelConfig,
}

/// Settings of the collapse-metric panel (ARCHITECTURE.md §4, the metric panel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PanelConfig {
    /// First rank (1-based) of α-ReQ's power-law fit.
    pub alpha_req_first_rank: usize,
    /// Last rank (inclusive) of the fit; 0: up to min(N−1, d).
    pub alpha_req_last_rank: usize,
}

impl Default for PanelConfig {
    /// The `[panel]` table of the embedded default config.
    fn default() -> Self {
        PanelConfig {
            alpha_req_first_rank: default_value("panel.alpha_req_first_rank"),
            alpha_req_last_rank: default_value("panel.alpha_req_last_rank"),
        }
    }
}

impl PanelConfig {
    /// The fit range of α-ReQ.
    pub fn alpha_range(&self) -> ib_estimators::panel::alpha_req::FitRange {
        ib_estimators::panel::alpha_req::FitRange {
            first: self.alpha_req_first_rank,
            last: (self.alpha_req_last_rank > 0).then_some(self.alpha_req_last_rank),
        }
    }

    /// Refuses a range that cannot hold two ranks.
    pub fn validate(&self) -> Result<()> {
        let (first, last) = (self.alpha_req_first_rank, self.alpha_req_last_rank);
        if first == 0 {
            bail!("panel.alpha_req_first_rank = 0: ranks start at 1");
        }
        if last != 0 && last <= first {
            bail!(
                "panel.alpha_req_last_rank = {last} must exceed panel.alpha_req_first_rank = {first} \
                 (a line needs two ranks), or be 0 for every rank up to min(N−1, d)"
            );
        }
        Ok(())
    }
}

/// The kNN accuracy monitor (labels are used only there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnnConfig {
    /// `analyze`: leave-one-out accuracy on a seeded subsample of at most this many rows (its
    /// cost grows as N²·d; the subsample size and seed are reported).
    pub max_rows: usize,
}

impl Default for KnnConfig {
    /// The `[knn]` table of the embedded default config.
    fn default() -> Self {
        KnnConfig {
            max_rows: default_value("knn.max_rows"),
        }
    }
}

/// Which data to train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// The synthetic content/style data of ARCHITECTURE.md §7 (generated from the seed).
    Synthetic,
    /// scikit-learn's bundled 8×8 digits (1797 real images).
    Digits,
    /// A user array (`dataset.path`): N×D rows or N×C×H×W images.
    File,
}

/// The data, the probe and the augmentations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetConfig {
    pub kind: DatasetKind,
    /// `file`: the array, PATH or PATH:KEY (.npy, .npz, .safetensors, .csv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `file`: optional labels (N integers), PATH or PATH:KEY; used only for the kNN monitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
    /// `file` with N×D rows: std of the Gaussian noise augmentation and of the K probe offsets,
    /// on standardised columns.
    pub vector_noise_std: f64,
    /// Training rows (synthetic only; digits trains on every image not in the probe).
    pub n_train: usize,
    /// Held-out inputs on which snapshots are taken.
    pub n_probe: usize,
    /// Number of probe transforms K (style offsets; for images the first K of the 8 dihedral
    /// transforms): H(T) = ln K.
    pub k_views: usize,
    /// Synthetic: std of the style shift of the training augmentation and of the probe offsets.
    pub style_shift_std: f64,
    /// Synthetic: std of the input noise added to every augmented view.
    pub input_noise_std: f64,
    /// Images: apply a random dihedral transform (rotation by 90°·k, flip) to each training view.
    pub image_dihedral: bool,
    /// Images: random translation of up to this many pixels.
    pub image_shift_px: usize,
    /// Images: pixel noise std (pixels are in [0, 1]).
    pub image_noise_std: f64,
}

/// Encoder, projector and predictor (ARCHITECTURE.md §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// `mlp`, or `cnn` (images only).
    pub encoder: EncoderKind,
    /// Channels of the CNN's two convolutions.
    pub cnn_channels: [usize; 2],
    pub encoder_hidden: usize,
    pub feature_dim: usize,
    pub projector_hidden: usize,
    pub projection_dim: usize,
    pub predictor_hidden: usize,
}

/// Which encoder to use (`model.encoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderKind {
    /// Linear+BN+ReLU twice.
    Mlp,
    /// Two 3×3 convolutions (+BN+ReLU), then Linear+BN+ReLU; images only.
    Cnn,
}

/// Momentum SGD with weight decay and a cosine learning-rate schedule (PyTorch semantics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    pub batch_size: usize,
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

/// Method-specific loss settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossConfig {
    /// BYOL: base EMA momentum τ_base (→ 1 on a cosine schedule).
    pub byol_momentum_base: f64,
    /// Barlow Twins: weight λ of the off-diagonal (redundancy) term.
    pub barlow_lambda: f64,
    /// Barlow Twins: the loss is multiplied by this (solo-learn's `scale_loss`), so that SGD at
    /// the shared learning rate is stable.
    pub barlow_scale: f64,
}

/// Thresholds of the verdict (ARCHITECTURE.md §6). See `verdict.rs` for what each means and the README for
/// the calibration behind the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictConfig {
    /// Complete collapse needs sqrt(d)·std_l2 below this ...
    pub complete_normalised_std_l2: f64,
    /// ... and the uncentred effective rank below this ...
    pub complete_effective_rank: f64,
    /// ... and the mean angle (radians) of l2-normalised rows to their mean direction below this.
    pub complete_angular_spread: f64,
    /// Dimensional collapse needs the centred effective rank / min(N-1, d) below this ...
    pub dimensional_rank_ratio: f64,
    /// ... and the uncentred effective rank / min(N, d) below this.
    pub dimensional_rank_ratio_raw: f64,
    /// Advisory (shown beside the deciding signals, not deciding): uniformity (Wang & Isola,
    /// t = 2) above this supports complete collapse (0 when every row points the same way).
    #[serde(default = "default_advisory_uniformity")]
    pub advisory_uniformity: f64,
}

fn default_advisory_uniformity() -> f64 {
    default_value("verdict.advisory_uniformity")
}

impl RunConfig {
    /// The embedded default.
    pub fn default_config() -> Self {
        toml::from_str(DEFAULT_CONFIG).expect("the embedded default config parses")
    }

    /// The `--quick` profile: a short run that still shows the contrast (applied after
    /// `--config`, before the explicit flags).
    pub fn apply_quick(&mut self) {
        self.epochs = 25;
        self.dataset.n_probe = 256;
        self.snapshot_every = 5;
    }

    /// Read a TOML file; keys it leaves out take the embedded default's values.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            crate::files::read_regular_to_string(path, MAX_CONFIG_BYTES).with_context(|| {
                format!("could not read config '{}'", crate::files::shown_path(path))
            })?;
        Self::from_toml_over_default(&text)
            .with_context(|| format!("invalid config '{}'", crate::files::shown_path(path)))
    }

    /// Merge a TOML text over the embedded default (tables merge key by key).
    pub fn from_toml_over_default(text: &str) -> Result<Self> {
        let mut base: toml::Table = toml::from_str(DEFAULT_CONFIG).expect("default parses");
        let over: toml::Table = toml::from_str(text).context("not valid TOML")?;
        merge(&mut base, over);
        let cfg: RunConfig = toml::Value::Table(base)
            .try_into()
            .context("a key has the wrong type or is unknown (see `ib-analyze run --help`)")?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reject values no run can use, naming the key and the fix: a float that is NaN or ±∞ in
    /// any section (a generic walk over every float field, [`finite::first_non_finite`]), a
    /// `name` that is not a plain file name, counts out of range. What depends on the data
    /// (its shape, the memory it needs) is checked before the run starts
    /// (`runner::prepare`).
    pub fn validate(&self) -> Result<()> {
        if let Some((key, v)) = finite::first_non_finite(self) {
            bail!(
                "{key} = {v}: every number of the config must be finite (NaN and inf are refused)"
            );
        }
        check_plain_name(&self.name, "name")?;
        if self.methods.is_empty() {
            bail!("`methods` is empty: name at least one method, e.g. methods = [\"simsiam\"]");
        }
        let mut seen = std::collections::BTreeSet::new();
        for m in &self.methods {
            if !seen.insert(m) {
                bail!("method `{m}` is listed twice in `methods`");
            }
        }
        if self.epochs == 0 {
            bail!("`epochs` must be at least 1");
        }
        if self.epochs > MAX_EPOCHS {
            bail!(
                "`epochs` = {} is above {MAX_EPOCHS}: run.json keeps a record of every epoch",
                self.epochs
            );
        }
        if self.snapshot_every == 0 {
            bail!("`snapshot_every` must be at least 1");
        }
        if self.snapshots() > MAX_SNAPSHOTS {
            bail!(
                "epochs = {} with snapshot_every = {} takes {} snapshots per method, more than \
                 {MAX_SNAPSHOTS}: each is written to disk and analysed in full; raise snapshot_every",
                self.epochs,
                self.snapshot_every,
                self.snapshots()
            );
        }
        let o = &self.optim;
        if o.batch_size < 2 {
            bail!("optim.batch_size must be at least 2 (batch-norm needs two rows)");
        }
        if self.dataset.kind == DatasetKind::Synthetic && self.dataset.n_train < o.batch_size {
            bail!(
                "dataset.n_train = {} is smaller than optim.batch_size = {}: lower the batch size",
                self.dataset.n_train,
                o.batch_size
            );
        }
        if self.dataset.n_probe < 2 {
            bail!("dataset.n_probe must be at least 2");
        }
        if self.dataset.k_views < 1 {
            bail!("dataset.k_views must be at least 1");
        }
        if self.dataset.k_views > MAX_K_VIEWS {
            bail!(
                "dataset.k_views = {} is above {MAX_K_VIEWS}: every snapshot forwards and stores \
                 the N·K probe views (the default K is 8)",
                self.dataset.k_views
            );
        }
        for (name, v) in [
            ("optim.lr", o.lr),
            ("optim.momentum", o.momentum),
            ("optim.weight_decay", o.weight_decay),
            ("dataset.style_shift_std", self.dataset.style_shift_std),
            ("dataset.input_noise_std", self.dataset.input_noise_std),
            ("dataset.image_noise_std", self.dataset.image_noise_std),
            ("dataset.vector_noise_std", self.dataset.vector_noise_std),
            ("loss.barlow_lambda", self.loss.barlow_lambda),
            ("loss.barlow_scale", self.loss.barlow_scale),
        ] {
            if !v.is_finite() || v < 0.0 {
                bail!("{name} = {v} must be a finite number >= 0");
            }
        }
        if !(0.0..1.0).contains(&self.loss.byol_momentum_base) {
            bail!(
                "loss.byol_momentum_base = {} must be in [0, 1)",
                self.loss.byol_momentum_base
            );
        }
        if o.momentum >= 1.0 {
            bail!("optim.momentum = {} must be below 1", o.momentum);
        }
        let v = &self.verdict;
        for (name, value) in [
            (
                "verdict.complete_normalised_std_l2",
                v.complete_normalised_std_l2,
            ),
            ("verdict.complete_effective_rank", v.complete_effective_rank),
            ("verdict.complete_angular_spread", v.complete_angular_spread),
            ("verdict.dimensional_rank_ratio", v.dimensional_rank_ratio),
            (
                "verdict.dimensional_rank_ratio_raw",
                v.dimensional_rank_ratio_raw,
            ),
        ] {
            // Each signal fires when the measured value (≥ 0) is below its threshold: a
            // threshold ≤ 0 would silently turn the signal off.
            if value <= 0.0 {
                bail!("{name} = {value} must be > 0 (a signal fires when the value is below it; 0 turns it off)");
            }
        }
        if !(-8.0 < v.advisory_uniformity && v.advisory_uniformity < 0.0) {
            bail!(
                "verdict.advisory_uniformity = {} must lie in (−8, 0): uniformity (t = 2) lies in [−8, 0]",
                v.advisory_uniformity
            );
        }
        if self.knn.max_rows < 2 {
            bail!("knn.max_rows = {} must be at least 2", self.knn.max_rows);
        }
        self.panel.validate()?;
        self.info.validate().map_err(|e| match e {
            crate::info::InfoError::Config(m) => anyhow::anyhow!("{m}"),
            e => anyhow::anyhow!("[info]: {e}"),
        })?;
        let m = &self.model;
        for (name, v) in [
            ("model.encoder_hidden", m.encoder_hidden),
            ("model.feature_dim", m.feature_dim),
            ("model.projector_hidden", m.projector_hidden),
            ("model.projection_dim", m.projection_dim),
            ("model.predictor_hidden", m.predictor_hidden),
            ("model.cnn_channels[0]", m.cnn_channels[0]),
            ("model.cnn_channels[1]", m.cnn_channels[1]),
        ] {
            if v == 0 {
                bail!("{name} must be at least 1");
            }
        }
        Ok(())
    }

    /// Snapshots taken per method: epoch 0, every `snapshot_every`-th epoch, and the last.
    pub fn snapshots(&self) -> usize {
        let every = self.snapshot_every.max(1);
        1 + self.epochs / every + usize::from(!self.epochs.is_multiple_of(every))
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        RunConfig::default_config().validate().unwrap();
    }

    #[test]
    fn partial_file_overrides_only_its_keys() {
        let cfg = RunConfig::from_toml_over_default("epochs = 3\n[optim]\nlr = 0.05\n").unwrap();
        let d = RunConfig::default_config();
        assert_eq!(cfg.epochs, 3);
        assert_eq!(cfg.optim.lr, 0.05);
        assert_eq!(cfg.optim.batch_size, d.optim.batch_size);
        assert_eq!(cfg.methods, d.methods);
    }

    #[test]
    fn rust_defaults_are_read_from_the_default_config() {
        let d = RunConfig::default_config();
        assert_eq!(KnnConfig::default(), d.knn);
        // Each section of the default file is complete: parsing it needs no serde default.
        let table: toml::Table = toml::from_str(DEFAULT_CONFIG).unwrap();
        let knn: KnnConfig = table["knn"].clone().try_into().unwrap();
        assert_eq!(knn, KnnConfig::default());
        // A config without a `[knn]` table (as one written before the table existed) gets the
        // same values.
        let mut without = table.clone();
        without.remove("knn");
        let cfg: RunConfig = toml::Value::Table(without).try_into().unwrap();
        assert_eq!(cfg, d);
    }

    #[test]
    fn quick_profile_changes_only_epochs_probe_and_snapshot_interval() {
        let d = RunConfig::default_config();
        let mut q = d.clone();
        q.apply_quick();
        q.validate().unwrap();
        assert_eq!(
            (q.epochs, q.dataset.n_probe, q.snapshot_every),
            (25, 256, 5)
        );
        let mut back = q.clone();
        back.epochs = d.epochs;
        back.dataset.n_probe = d.dataset.n_probe;
        back.snapshot_every = d.snapshot_every;
        assert_eq!(back, d);
    }

    #[test]
    fn every_float_of_every_section_must_be_finite() {
        let table: toml::Table = toml::from_str(DEFAULT_CONFIG).unwrap();
        let mut n = 0;
        for (section, v) in &table {
            let toml::Value::Table(inner) = v else {
                continue;
            };
            for (key, v) in inner {
                if !v.is_float() {
                    continue;
                }
                for bad in ["nan", "inf", "-inf"] {
                    let text = format!("[{section}]\n{key} = {bad}\n");
                    let e = RunConfig::from_toml_over_default(&text).unwrap_err();
                    let msg = format!("{e:#}");
                    assert!(msg.contains(&format!("{section}.{key} = ")), "{msg}");
                    assert!(msg.contains("finite"), "{msg}");
                }
                n += 1;
            }
        }
        assert!(n >= 15, "{n} float keys");
        // Floats in lists, in the optional tables, and set after reading.
        let e = RunConfig::from_toml_over_default("[info]\nscales = [0.1, nan]").unwrap_err();
        assert!(format!("{e:#}").contains("info.scales[1] = NaN"), "{e:#}");
        let mut cfg = RunConfig::default_config();
        cfg.info.raw_scales = Some(vec![f64::INFINITY]);
        let e = cfg.validate().unwrap_err();
        assert!(
            format!("{e:#}").contains("info.raw_scales[0] = inf"),
            "{e:#}"
        );
    }

    #[test]
    fn thresholds_must_be_positive() {
        for key in [
            "complete_normalised_std_l2",
            "complete_effective_rank",
            "complete_angular_spread",
            "dimensional_rank_ratio",
            "dimensional_rank_ratio_raw",
        ] {
            for v in ["0.0", "-1.0"] {
                let e = RunConfig::from_toml_over_default(&format!("[verdict]\n{key} = {v}"))
                    .unwrap_err();
                assert!(
                    format!("{e:#}").contains(&format!("verdict.{key}")),
                    "{e:#}"
                );
            }
        }
    }

    #[test]
    fn names_must_be_plain_file_names() {
        for good in ["contrast", "my run.v2", "a..b", "é"] {
            check_plain_name(good, "name").unwrap();
        }
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "/abs",
            "a\nb",
            "a\0b",
            "\u{1b}[31m",
            " a",
            &long,
        ] {
            let e =
                RunConfig::from_toml_over_default(&format!("name = {}", toml::Value::from(bad)))
                    .unwrap_err();
            let msg = format!("{e:#}");
            assert!(msg.contains("plain file name"), "{bad:?}: {msg}");
            assert!(!msg.contains('\u{1b}') && !msg.contains('\n'), "{msg:?}");
        }
    }

    #[test]
    fn counts_have_upper_bounds() {
        let cfg = RunConfig::default_config();
        assert_eq!(cfg.snapshots(), 13);
        let mut c = cfg.clone();
        c.epochs = 7;
        c.snapshot_every = 5;
        assert_eq!(c.snapshots(), 3, "epochs 0, 5 and 7");
        for (text, key) in [
            ("epochs = 100001", "epochs"),
            ("epochs = 5000\nsnapshot_every = 2", "snapshot_every"),
            ("[dataset]\nk_views = 1025", "dataset.k_views"),
            ("[info]\nci_groups = 1001", "info.ci_groups"),
            ("[info]\nci_groups = 1", "info.ci_groups"),
            ("[info]\nci_level = 1.0", "info.ci_level"),
            ("[info]\nbootstrap = 50", "info.ci_groups"),
            ("[info]\nscales = \"fine\"", "auto"),
            ("[info]\nk = 1001", "info.k"),
            ("[info]\nbetas = [1e300]", "info.betas"),
            ("[info]\nbetas = [-0.5]", "info.betas"),
            ("[info]\nspaces = [\"raw\", \"raw\"]", "info.spaces"),
            ("[info]\nestimators = [\"kl\", \"kl\"]", "info.estimators"),
        ] {
            let e = RunConfig::from_toml_over_default(text).unwrap_err();
            assert!(format!("{e:#}").contains(key), "{text}: {e:#}");
        }
        RunConfig::from_toml_over_default("epochs = 99900\nsnapshot_every = 100").unwrap();
        RunConfig::from_toml_over_default("[info]\nci_groups = 1000").unwrap();
        RunConfig::from_toml_over_default("[info]\nscales = \"auto\"").unwrap();
        RunConfig::from_toml_over_default("[info]\nscales = [0.1, 0.2]").unwrap();
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        let e = RunConfig::from_toml_over_default("epoch = 3").unwrap_err();
        assert!(format!("{e:#}").contains("unknown"), "{e:#}");
        let e = RunConfig::from_toml_over_default("[optim]\nlr = -1.0").unwrap_err();
        assert!(format!("{e:#}").contains("optim.lr"), "{e:#}");
        let e = RunConfig::from_toml_over_default("methods = [\"simclr\"]").unwrap_err();
        assert!(format!("{e:#}").contains("unknown"), "{e:#}");
    }
}
