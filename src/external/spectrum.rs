//! `analyze --spectrum-only`: the streamed collapse signals of one embedding and the verdict,
//! nothing else (ARCHITECTURE.md §1 `analyze`, §4 "Spectral and std metrics", §6).
//!
//! Measured: everything [`analysis::signals`] takes from the two passes of
//! [`ib_estimators::Moments`] — std_l2, the raw and centred effective ranks and their ratios,
//! the spectrum, the channel std, the angular and relative spread, the zero rows and the
//! N ≤ d warning. Not measured: the information estimates, the collapse-metric panel and the
//! kNN accuracy (`--views`, `--target` and `--labels` are refused before anything is read,
//! by `commands::analyze`).
//! The verdict's rules use only these signals (§6); the panel's uniformity is advisory and
//! simply absent from the evidence.
//!
//! A C-order 2-D float `.npy` is never loaded: each pass reads it from disk in the blocks of
//! [`crate::analysis::rows::block_rows`] ([`NpyBlocks`]), the blocks the in-memory path feeds
//! the passes, so the values have the same bits; memory is the d×d Gram matrix and a few
//! blocks. Every other input is read whole by [`input::read_embedding`] and measured by the
//! same passes.

use anyhow::{bail, Context, Result};
use ib_estimators::moments::MomentsPass1;
use ib_reports::record::{EpochRecord, RunRecord};
use std::collections::BTreeMap;

use super::{one_epoch_record, quoted, spec, AnalyzeInputs, OneFile};
use crate::analysis;
use crate::config::RunConfig;
use crate::input::{self, NpyBlocks};

/// Measures and judges INPUT's collapse signals alone; the record of
/// [`super::analyze_as`] without information rows, panel metrics or kNN accuracy, its config
/// marked `spectrum_only`. The judged tensor (and the run) is named `tensor` when given, else
/// after the input's KEY or stem.
pub fn analyze_spectrum(
    inputs: &AnalyzeInputs,
    tensor: Option<&str>,
    cfg: &RunConfig,
) -> Result<RunRecord> {
    if inputs.views.is_some() || inputs.target.is_some() || inputs.labels.is_some() {
        bail!("--spectrum-only measures INPUT alone: drop --views, --target and --labels");
    }
    let main = spec(&inputs.input, "INPUT")?;
    let name = tensor.map_or_else(|| main.tensor_name(), str::to_string);
    let few_rows = |n: usize| -> Result<()> {
        if n < 2 {
            bail!(
                "'{}': {n} row(s): at least 2 embeddings are needed",
                quoted(&main)
            );
        }
        Ok(())
    };
    let (record, (n, d)) = match NpyBlocks::open(&main)? {
        Some(mut blocks) => {
            let dim = blocks.dim();
            few_rows(dim.0)?;
            let mut first = MomentsPass1::new(dim.1);
            blocks.for_each_block(|b| first.add(b).map_err(anyhow::Error::from))?;
            let max_abs = first.max_abs();
            let mut second = first.finish()?;
            blocks
                .for_each_block(|b| second.add(b).map_err(anyhow::Error::from))
                .with_context(|| format!("second pass over '{}'", quoted(&main)))?;
            let moments = second.finish()?;
            let record = analysis::signals(&moments, None, || max_abs)
                .with_context(|| format!("metrics of {name}"))?;
            (record, dim)
        }
        None => {
            let z = input::read_embedding(&main)?;
            let rows = z.rows();
            few_rows(rows.nrows())?;
            let moments = analysis::moments(rows)?;
            let record = analysis::signals(&moments, None, || rows.max_abs())
                .with_context(|| format!("metrics of {name}"))?;
            (record, rows.dim())
        }
    };
    let epochs = vec![EpochRecord {
        epoch: 0,
        loss: None,
        lr: None,
        tensors: BTreeMap::from([(name.clone(), record)]),
        info: Vec::new(),
        lagrangian: Vec::new(),
        knn_accuracy: None,
        knn_subsample: None,
    }];
    let file = OneFile {
        inputs,
        dataset: main.display_name(),
        shape: (n, d),
        k_views: None,
        h_t: None,
        views_n: None,
        spectrum_only: true,
    };
    one_epoch_record(file, name, epochs, cfg)
}
