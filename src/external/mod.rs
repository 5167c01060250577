//! Embeddings exported from elsewhere (PyTorch, JAX, ...), as `ib-analyze analyze` reads them:
//! the files are read and paired, then measured by the same [`crate::probe`] as a training
//! run's snapshots, judged, and returned as a run record with one run and one epoch.
//!
//! INPUT is the online embedding V (N×d). Optional: `--views` (N'×K×d: K transformed views of each
//! of N' inputs, giving H(V|X), I(X;V) and H(T) = ln K), `--target` (the target network's output:
//! N'×K×d paired with `--views`, or N×d paired with INPUT row by row, giving I(V;V') and
//! H(V|V')), `--labels` (N integers: leave-one-out kNN accuracy).
//!
//! INPUT may also be a directory of per-epoch files ([`series`]: one run, one epoch per file,
//! each epoch's result cached by content hash in OUT by [`cache`]; ARCHITECTURE.md §3).

use anyhow::{bail, Context, Result};
use ib_reports::record::{DatasetInfo, MethodRun, RunRecord, SCHEMA_VERSION};
use ndarray::{Array3, Axis};

use crate::analysis::{Embedding, Views};
use crate::config::RunConfig;
use crate::files::shown;
use crate::info::InfoInputs;
use crate::input::{self, InputError, InputSpec};
use crate::probe::{self, Judged, Knn, Probe, RowOrder};
pub use crate::records::AnalyzeInputs;
use crate::records::{canonical, AnalyzeConfig};
use crate::tool_version;
use crate::verdict::judge_run;

pub mod cache;
mod series;

pub use series::{analyze_series, default_name, is_series, SeriesOutcome, SeriesRequest};

fn spec(arg: &str, flag: &str) -> Result<InputSpec> {
    InputSpec::parse(arg).with_context(|| format!("{flag} {}", shown(arg)))
}

/// The input as named in messages, control characters escaped ([`shown`]).
fn quoted(s: &InputSpec) -> String {
    shown(&s.display_name()).into_owned()
}

/// Read, measure and judge; returns the record (one run named after the input's KEY or stem).
pub fn analyze(inputs: &AnalyzeInputs, cfg: &RunConfig) -> Result<RunRecord> {
    let main = spec(&inputs.input, "INPUT")?;
    let name = main.tensor_name();
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
            let a = input::read_views(&s)?;
            if a.dim().2 != d {
                bail!(
                    "'{}': views have d = {} but '{}' has d = {d}: export the same layer for both",
                    quoted(&s),
                    a.dim().2,
                    quoted(&main)
                );
            }
            Some(a)
        }
        None => None,
    };
    let target: Option<Target> = match &inputs.target {
        Some(t) => Some(read_target(&spec(t, "--target")?, views.as_ref(), n, d)?),
        None => None,
    };
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
        judged: vec![Judged {
            name: name.clone(),
            rows,
            bottleneck: None,
        }],
        info: Some(InfoInputs {
            tensor: &name,
            online: rows,
            views: views_in,
            target: target_in,
            h_t: k.map(|k| (k as f64).ln()),
        }),
        info_cfg: &info_cfg,
        order: RowOrder::AsComputed,
        knn,
    })?];
    let verdict = judge_run(&epochs, None, &cfg.verdict);
    Ok(RunRecord {
        schema_version: SCHEMA_VERSION,
        tool: tool_version(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: "analyze".into(),
        dataset: DatasetInfo {
            name: main.display_name(),
            n_train: 0,
            n_probe: n,
            input_dim: d,
            k_views: k,
            h_t: k.map(|k| (k as f64).ln()),
        },
        config: canonical(&AnalyzeConfig {
            inputs: inputs.clone(),
            info: cfg.info.clone(),
            verdict: cfg.verdict.clone(),
            seed: cfg.seed,
            series: None,
        })?,
        runs: vec![MethodRun {
            name: name.clone(),
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
enum Target {
    Views(Array3<f64>),
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

/// Reads `--target`: N×K×d matching `views`, or N×d matching INPUT (n×d).
fn read_target(s: &InputSpec, views: Option<&Array3<f64>>, n: usize, d: usize) -> Result<Target> {
    let file = quoted(s);
    let paired_rows = |dim: (usize, usize)| -> Result<()> {
        if dim != (n, d) {
            bail!(
                "'{file}': target shape {dim:?} must equal INPUT's ({n}, {d}): row i of the target is the target network's output for row i of INPUT"
            );
        }
        Ok(())
    };
    if views.is_none() {
        match input::read_embedding(s) {
            Ok(m) => {
                paired_rows(m.rows().dim())?;
                return Ok(Target::Rows(m));
            }
            // Not 2-D: the general path below says what to do.
            Err(InputError::WrongNdim { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let a = input::read_array(s)?;
    input::check_finite(&a, &s.display_name())?;
    Ok(match (a.ndim(), views) {
        (3, Some(v)) => {
            let a = a.into_dimensionality::<ndarray::Ix3>()?;
            if a.dim() != v.dim() {
                bail!(
                    "'{file}': target shape {:?} must equal the views' {:?} (the target network's output on the same views)",
                    a.dim(),
                    v.dim()
                );
            }
            Target::Views(a)
        }
        (3, None) => bail!("'{file}' is N×K×d: pass the matching online views with --views"),
        (2, _) => {
            let m = a.into_dimensionality::<ndarray::Ix2>()?;
            paired_rows(m.dim())?;
            Target::Views(m.insert_axis(Axis(1)))
        }
        (k, _) => bail!("'{file}': expected N×d or N×K×d, found a {k}-D array"),
    })
}
