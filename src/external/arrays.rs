//! In-memory arrays for `analyze` (the Python package's `ib_analyze.analyze`, ARCHITECTURE.md
//! §3): the checks [`super::analyze`] makes on the files it reads, made on the arrays, with
//! messages that name the arguments (`z`, `views`, `target`, `labels`); then the same
//! [`super::measure`].

use anyhow::{bail, Result};
use ib_reports::record::RunRecord;
use ndarray::{Array3, ArrayView, Axis, Dimension};

use super::{measure, AnalyzeInputs, HtRequest, Loaded, Target};
use crate::analysis::Embedding;
use crate::config::RunConfig;
use crate::input::{self, fmt_shape};

/// Errors unless `a` has no empty axis and only finite values; `name` is the argument.
fn check_values<D: Dimension>(a: ArrayView<'_, f64, D>, name: &str) -> Result<()> {
    if a.shape().contains(&0) {
        bail!(
            "'{name}' has shape {}: an axis of length zero — pass a non-empty array",
            fmt_shape(a.shape())
        );
    }
    input::check_finite(&a, name)?;
    Ok(())
}

/// [`check_values`] of an embedding in its stored precision (f32 values are exact in f64).
fn check_embedding(e: &Embedding, name: &str) -> Result<()> {
    match e {
        Embedding::F32(a) => check_values(a.mapv(f64::from).view(), name),
        Embedding::F64(a) => check_values(a.view(), name),
    }
}

/// Measure and judge `z` (N×d), with optional `views` (N'×K×d), `target` (the views' shape, or
/// N×d paired with `z`; an N'×d target with views is taken as N'×1×d) and `labels` (N class
/// ids): the record `analyze` writes for files holding these arrays. The inputs are named
/// `z`, `views`, `target` and `labels` in the record and in messages.
pub fn analyze_arrays(
    z: Embedding,
    views: Option<Array3<f64>>,
    target: Option<Target>,
    labels: Option<Vec<i64>>,
    h_t: HtRequest,
    cfg: &RunConfig,
) -> Result<RunRecord> {
    if views.is_none() {
        h_t.resolve(None, "pass views (K views of each of N' inputs, N'×K×d)")?;
    }
    check_embedding(&z, "z")?;
    let (n, d) = z.rows().dim();
    if n < 2 {
        bail!("'z': {n} row(s): at least 2 embeddings are needed");
    }
    if let Some(v) = &views {
        check_values(v.view(), "views")?;
        let (nv, _, dv) = v.dim();
        if dv != d {
            bail!(
                "'views' of shape {:?} have d = {dv} but 'z' has shape ({n}, {d}), d = {d}: \
                 export the same layer for both",
                v.dim()
            );
        }
        if nv < 2 {
            bail!(
                "'views' of shape {:?} cover {nv} input: at least 2 are needed (N'×K×d, N' ≥ 2; \
                 'z' has shape ({n}, {d}))",
                v.dim()
            );
        }
    }
    let target = match (target, &views) {
        (None, _) => None,
        (Some(Target::Rows(t)), None) => {
            check_embedding(&t, "target")?;
            let dim = t.rows().dim();
            if dim != (n, d) {
                bail!(
                    "'target': shape {dim:?} must equal the shape ({n}, {d}) of 'z': row i of the \
                     target is the target network's output for row i of z"
                );
            }
            Some(Target::Rows(t))
        }
        (Some(Target::Views(_)), None) => {
            bail!("'target' is N×K×d: pass the matching online views with views=")
        }
        (Some(t), Some(v)) => {
            let a = match t {
                Target::Views(a) => a,
                Target::Rows(Embedding::F64(a)) => a.insert_axis(Axis(1)),
                Target::Rows(Embedding::F32(a)) => a.mapv(f64::from).insert_axis(Axis(1)),
            };
            check_values(a.view(), "target")?;
            if a.dim() != v.dim() {
                bail!(
                    "'target': shape {} must equal the shape {:?} of 'views' (the target \
                     network's output on the same views)",
                    fmt_shape(a.shape()),
                    v.dim()
                );
            }
            Some(Target::Views(a))
        }
    };
    if let Some(y) = &labels {
        if y.len() != n {
            bail!(
                "'labels' holds {} labels but 'z' has {n} rows: labels must be paired with the rows",
                y.len()
            );
        }
    }
    let inputs = AnalyzeInputs {
        input: "z".into(),
        target: target.as_ref().map(|_| "target".into()),
        views: views.as_ref().map(|_| "views".into()),
        labels: labels.as_ref().map(|_| "labels".into()),
    };
    let loaded = Loaded {
        name: "z".into(),
        dataset: "z".into(),
        z,
        views,
        target,
        labels,
    };
    measure(&inputs, loaded, h_t, cfg)
}
