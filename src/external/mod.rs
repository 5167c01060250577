//! Embeddings exported from elsewhere (PyTorch, JAX, ...), as `ib-analyze analyze` reads them:
//! the files are read and paired, then measured by the same [`crate::probe`] as a training
//! run's snapshots, judged, and returned as a run record with one run and one epoch.
//!
//! INPUT is the online embedding V (N×d). Optional: `--views` (N'×K×d: K transformed views of each
//! of N' inputs, any N' ≥ 2, giving H(V|X), I(X;V), I(V;V'), H(V|V')), `--target` (the target
//! network's output: the views' shape N'×K×d, or without views N×d paired with INPUT row by row,
//! giving I(V;V') and H(V|V')), `--labels` (N integers: leave-one-out kNN accuracy).
//! With N' = N, row i of the views belongs to row i of INPUT; otherwise the views are sampled on
//! their own ([`crate::info::information`]). H(V), the spectra, the verdict and the kNN accuracy
//! always come from INPUT.
//!
//! H(T), the entropy of the transform behind the views, is known only when the user says so
//! ([`HtRequest`]: `--fixed-transforms`, H(T) = ln K, or `--h-t NATS`); otherwise the
//! Lagrangian rows keep the measured form and their theorem form and gap are null
//! (ARCHITECTURE.md §3, §5).
//!
//! INPUT may also be a directory of per-epoch files ([`series`]: one run, one epoch per file,
//! each epoch's result cached by content hash in OUT by [`cache`]; ARCHITECTURE.md §3).
//!
//! Several INPUTs are analysed one after another, each as its own run, and gathered into one
//! record by [`compare`] (ARCHITECTURE.md §3).

use anyhow::{bail, Context, Result};
use ib_reports::record::{DatasetInfo, EpochRecord, MethodRun, RunRecord, SCHEMA_VERSION};
use ndarray::{Array3, Axis};

use crate::analysis::{panel, Embedding, Views};
use crate::config::RunConfig;
use crate::files::shown;
use crate::info::InfoInputs;
use crate::input::{self, InputError, InputSpec};
use crate::probe::{self, Judged, Knn, Probe, RowOrder};
pub use crate::records::AnalyzeInputs;
use crate::records::{canonical, AnalyzeConfig, HtKnown, HtSource};
use crate::tool_version;
use crate::verdict::judge_run;

mod arrays;
pub mod cache;
pub mod compare;
mod series;
mod spectrum;

pub use arrays::analyze_arrays;
pub use spectrum::analyze_spectrum;

pub use series::{analyze_series, default_name, is_series, SeriesOutcome, SeriesRequest};

fn spec(arg: &str, flag: &str) -> Result<InputSpec> {
    InputSpec::parse(arg).with_context(|| format!("{flag} {}", shown(arg)))
}

/// The input as named in messages, control characters escaped ([`shown`]).
fn quoted(s: &InputSpec) -> String {
    shown(&s.display_name()).into_owned()
}

/// What the user said of H(T) (`--fixed-transforms`, `--h-t NATS`, or neither).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HtRequest {
    /// Neither flag: H(T) unknown (views from random augmentations have no finite H(T)).
    Unknown,
    /// `--fixed-transforms`: the K views are K fixed, equiprobable transforms, H(T) = ln K.
    FixedTransforms,
    /// `--h-t NATS` (checked finite and ≥ 0 by the caller).
    Given(f64),
}

impl HtRequest {
    /// The flag as given, for messages.
    fn flag(self) -> Option<String> {
        match self {
            HtRequest::Unknown => None,
            HtRequest::FixedTransforms => Some("--fixed-transforms".into()),
            HtRequest::Given(h) => Some(format!("--h-t {h}")),
        }
    }

    /// H(T) for views of K transforms (`k`: None without views, which is an error naming the
    /// flag and `without`, the fix).
    pub fn resolve(self, k: Option<usize>, without: &str) -> Result<Option<HtKnown>> {
        let Some(k) = k else {
            if let Some(flag) = self.flag() {
                bail!("{flag} needs views: H(T) is the entropy of the transforms behind the views; {without}");
            }
            return Ok(None);
        };
        Ok(match self {
            HtRequest::Unknown => None,
            HtRequest::FixedTransforms => Some(HtKnown {
                nats: (k as f64).ln(),
                source: HtSource::FixedTransforms,
            }),
            HtRequest::Given(nats) => Some(HtKnown {
                nats,
                source: HtSource::Given,
            }),
        })
    }
}

/// Read, measure and judge; returns the record (one run named after the input's KEY or stem).
pub fn analyze(inputs: &AnalyzeInputs, h_t: HtRequest, cfg: &RunConfig) -> Result<RunRecord> {
    analyze_as(inputs, None, h_t, cfg)
}

/// [`analyze`], the judged tensor (and the run) named `tensor` when given, else after the
/// input's KEY or stem (several INPUTs share one tensor name, [`compare::tensor_name`]).
pub fn analyze_as(
    inputs: &AnalyzeInputs,
    tensor: Option<&str>,
    h_t: HtRequest,
    cfg: &RunConfig,
) -> Result<RunRecord> {
    if inputs.views.is_none() {
        // Refused before anything is read.
        h_t.resolve(None, "pass --views (K views of each of N' inputs, N'×K×d)")?;
    }
    let main = spec(&inputs.input, "INPUT")?;
    let name = tensor.map_or_else(|| main.tensor_name(), str::to_string);
    let z = input::read_embedding(&main)?;
    let rows = z.rows();
    let (n, d) = rows.dim();
    if n < 2 {
        bail!(
            "'{}': {n} row(s): at least 2 embeddings are needed",
            quoted(&main)
        );
    }
    let views = match &inputs.views {
        Some(v) => {
            let s = spec(v, "--views")?;
            let a = input::read_views(&s).with_context(|| {
                format!(
                    "--views for '{}' of shape ({n}, {d}): N'×K×d views, N' ≥ 2, K ≥ 1, d = {d}",
                    quoted(&main)
                )
            })?;
            let (nv, _, dv) = a.dim();
            if dv != d {
                bail!(
                    "'{}': views of shape {:?} have d = {dv} but '{}' has shape ({n}, {d}), d = {d}: \
                     export the same layer for both",
                    quoted(&s),
                    a.dim(),
                    quoted(&main)
                );
            }
            if nv < 2 {
                bail!(
                    "'{}': views of shape {:?} cover {nv} input: at least 2 are needed (N'×K×d, \
                     N' ≥ 2; '{}' has shape ({n}, {d}))",
                    quoted(&s),
                    a.dim(),
                    quoted(&main)
                );
            }
            Some((s, a))
        }
        None => None,
    };
    let target: Option<Target> = match &inputs.target {
        Some(t) => Some(read_target(
            &spec(t, "--target")?,
            views.as_ref().map(|(s, a)| (s, a)),
            (&main, n, d),
        )?),
        None => None,
    };
    let views = views.map(|(_, a)| a);
    let labels = match &inputs.labels {
        Some(l) => {
            let s = spec(l, "--labels")?;
            let y = input::read_labels(&s)?;
            if y.len() != n {
                bail!(
                    "'{}' holds {} labels but '{}' has {n} rows: labels must be paired with the rows",
                    quoted(&s),
                    y.len(),
                    quoted(&main)
                );
            }
            Some(y)
        }
        None => None,
    };
    let loaded = Loaded {
        name,
        dataset: main.display_name(),
        z,
        views,
        target,
        labels,
    };
    measure(inputs, loaded, h_t, cfg)
}

/// Arrays read and paired by [`analyze`] (or checked by [`arrays::analyze_arrays`]): `z` N×d
/// (N ≥ 2), `views` N'×K×d (N' ≥ 2), `target` of the views' shape or N×d, `labels` N integers.
pub struct Loaded {
    /// The tensor's name in the record.
    pub name: String,
    /// The input as named in `dataset.name`.
    pub dataset: String,
    /// INPUT.
    pub z: Embedding,
    /// `--views`.
    pub views: Option<Array3<f64>>,
    /// `--target`.
    pub target: Option<Target>,
    /// `--labels`.
    pub labels: Option<Vec<i64>>,
}

/// Measure and judge arrays already loaded and checked ([`Loaded`]); `inputs` are recorded in
/// the record's config. Returns the record of [`analyze`].
pub fn measure(
    inputs: &AnalyzeInputs,
    loaded: Loaded,
    h_t: HtRequest,
    cfg: &RunConfig,
) -> Result<RunRecord> {
    let Loaded {
        name,
        dataset,
        z,
        views,
        target,
        labels,
    } = loaded;
    let rows = z.rows();
    let (n, d) = rows.dim();

    // The info inputs: views and target as given; a row-paired N×d target pairs with INPUT
    // (the views are then INPUT itself, K = 1).
    let (views_in, target_in, k): (Option<Views>, Option<Views>, Option<usize>) =
        match (&views, &target) {
            (Some(v), t) => (
                Some(v.view().into()),
                t.as_ref().map(Target::views),
                Some(v.dim().1),
            ),
            (None, Some(t)) => (Some(Views::Rows(rows)), Some(t.views()), None),
            (None, None) => (None, None, None),
        };
    let h_t = h_t.resolve(k, "pass --views")?;
    let mut info_cfg = cfg.info.clone();
    info_cfg.seed ^= cfg.seed;
    let knn = match &labels {
        Some(y) => Knn::LeaveOneOut {
            rows,
            labels: y,
            max_rows: cfg.knn.max_rows,
            seed: info_cfg.seed,
        },
        None => Knn::None,
    };
    let epochs = vec![probe::probe(Probe {
        epoch: 0,
        loss: None,
        lr: None,
        judged: vec![Judged::new(
            name.clone(),
            rows,
            None,
            views
                .as_ref()
                .map(|v| v.view().into())
                .ok_or_else(|| panel::NO_VIEWS.to_string()),
            labels
                .as_deref()
                .ok_or_else(|| panel::NO_LABELS.to_string()),
            cfg,
            info_cfg.seed,
        )],
        info: Some(InfoInputs {
            tensor: &name,
            online: rows,
            views: views_in,
            target: target_in,
            h_t: h_t.map(|h| h.nats),
        }),
        info_cfg: &info_cfg,
        order: RowOrder::AsComputed,
        knn,
    })?];
    let file = OneFile {
        inputs,
        dataset,
        shape: (n, d),
        k_views: k,
        h_t,
        views_n: views.as_ref().map(|v| v.dim().0),
        spectrum_only: false,
    };
    one_epoch_record(file, name, epochs, cfg)
}

/// The analysed file as the record of [`one_epoch_record`] describes it.
pub(crate) struct OneFile<'a> {
    /// The inputs as given (`config.inputs`).
    pub inputs: &'a AnalyzeInputs,
    /// INPUT as named in `dataset.name`.
    pub dataset: String,
    /// INPUT's (N, d).
    pub shape: (usize, usize),
    /// K, the views per input (`dataset.k_views`).
    pub k_views: Option<usize>,
    /// H(T) (`config.h_t`, `dataset.h_t`).
    pub h_t: Option<HtKnown>,
    /// N′, the inputs of the views (`config.views_n`).
    pub views_n: Option<usize>,
    /// Only the streamed collapse signals were measured (`config.spectrum_only`).
    pub spectrum_only: bool,
}

/// The record of one analysed file: one run named `name` of `epochs` (epoch 0), judged by the
/// verdict rules of `cfg`, with `file`'s dataset and config.
pub(crate) fn one_epoch_record(
    file: OneFile<'_>,
    name: String,
    epochs: Vec<EpochRecord>,
    cfg: &RunConfig,
) -> Result<RunRecord> {
    let verdict = judge_run(&epochs, None, &cfg.verdict);
    let (n, d) = file.shape;
    Ok(RunRecord {
        schema_version: SCHEMA_VERSION,
        tool: tool_version(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: "analyze".into(),
        dataset: DatasetInfo {
            name: file.dataset,
            n_train: 0,
            n_probe: n,
            input_dim: d,
            k_views: file.k_views,
            h_t: file.h_t.map(|h| h.nats),
        },
        config: canonical(&AnalyzeConfig {
            inputs: file.inputs.clone(),
            info: cfg.info.clone(),
            verdict: cfg.verdict.clone(),
            panel: cfg.panel,
            seed: cfg.seed,
            series: None,
            h_t: file.h_t,
            views_n: file.views_n,
            spectrum_only: file.spectrum_only,
        })?,
        runs: vec![MethodRun {
            name,
            method: "external".into(),
            seed: cfg.seed,
            epochs,
            verdict,
            diverged_at: None,
        }],
    })
}

/// The target network's output: N×K×d on the views, or N×d paired with INPUT row by row
/// (kept in its stored precision).
pub enum Target {
    /// N'×K×d, the views' shape.
    Views(Array3<f64>),
    /// N×d, paired with INPUT row by row.
    Rows(Embedding),
}

impl Target {
    fn views(&self) -> Views<'_> {
        match self {
            Target::Views(a) => a.view().into(),
            Target::Rows(e) => Views::Rows(e.rows()),
        }
    }
}

/// Reads `--target`: with views, their shape N'×K×d (an N'×d target pairs with N'×1×d views);
/// without, N×d matching INPUT (`main`, n×d). Refusals name the files and the shapes.
fn read_target(
    s: &InputSpec,
    views: Option<(&InputSpec, &Array3<f64>)>,
    (main, n, d): (&InputSpec, usize, usize),
) -> Result<Target> {
    let file = quoted(s);
    if views.is_none() {
        match input::read_embedding(s) {
            Ok(m) => {
                let dim = m.rows().dim();
                if dim != (n, d) {
                    bail!(
                        "'{file}': target shape {dim:?} must equal the shape ({n}, {d}) of '{}': row i \
                         of the target is the target network's output for row i of INPUT",
                        quoted(main)
                    );
                }
                return Ok(Target::Rows(m));
            }
            // Not 2-D: the general path below says what to do.
            Err(InputError::WrongNdim { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let a = input::read_array(s)?;
    input::check_finite(&a, &s.display_name())?;
    let Some((vs, v)) = views else {
        match a.ndim() {
            3 => bail!("'{file}' is N×K×d: pass the matching online views with --views"),
            k => bail!("'{file}': expected N×d or N×K×d, found a {k}-D array"),
        }
    };
    let shape = input::fmt_shape(a.shape());
    let a = match a.ndim() {
        3 => a.into_dimensionality::<ndarray::Ix3>()?,
        2 => a
            .into_dimensionality::<ndarray::Ix2>()?
            .insert_axis(Axis(1)),
        k => bail!("'{file}': expected the views' shape N'×K×d, found a {k}-D array"),
    };
    if a.dim() != v.dim() {
        bail!(
            "'{file}': target shape {shape} must equal the shape {:?} of the views '{}' (the target \
             network's output on the same views)",
            v.dim(),
            quoted(vs)
        );
    }
    Ok(Target::Views(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h_t_is_known_only_when_given_and_needs_views() {
        assert_eq!(HtRequest::Unknown.resolve(Some(4), "").unwrap(), None);
        assert_eq!(HtRequest::Unknown.resolve(None, "").unwrap(), None);
        let fixed = HtRequest::FixedTransforms
            .resolve(Some(4), "")
            .unwrap()
            .unwrap();
        assert_eq!(
            (fixed.nats, fixed.source),
            (4f64.ln(), HtSource::FixedTransforms)
        );
        // One fixed transform: H(T) = 0.
        let one = HtRequest::FixedTransforms
            .resolve(Some(1), "")
            .unwrap()
            .unwrap();
        assert_eq!(one.nats, 0.0);
        let given = HtRequest::Given(2.5).resolve(Some(4), "").unwrap().unwrap();
        assert_eq!((given.nats, given.source), (2.5, HtSource::Given));
        for (req, flag) in [
            (HtRequest::FixedTransforms, "--fixed-transforms"),
            (HtRequest::Given(0.5), "--h-t 0.5"),
        ] {
            let e = req.resolve(None, "pass --views").unwrap_err().to_string();
            assert!(
                e.contains(flag) && e.contains("needs views") && e.contains("pass --views"),
                "{e}"
            );
        }
    }
}
