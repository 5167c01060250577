//! Snapshot files: `snapshots/<run>/epoch-NNNN.safetensors` with the tensor names of ARCHITECTURE.md §2,
//! f32 (labels i64), readable by Python's `safetensors`. Written atomically.

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::output::atomic_write_with;
use crate::train::Snapshot;

/// File name of the snapshot of `epoch`.
pub fn file_name(epoch: usize) -> String {
    format!("epoch-{epoch:04}.safetensors")
}

/// Write `snap` into `dir` (created if needed); returns the path.
pub fn write(dir: &Path, snap: &Snapshot) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create '{}'", dir.display()))?;
    let mut map: HashMap<String, Tensor> = snap
        .tensors
        .iter()
        .map(|(name, t)| (name.to_string(), t.clone()))
        .collect();
    if let Some(labels) = &snap.labels {
        map.insert(
            "labels".into(),
            Tensor::from_vec(labels.clone(), labels.len(), &Device::Cpu)?,
        );
    }
    let path = dir.join(file_name(snap.epoch));
    atomic_write_with(&path, |tmp| {
        candle_core::safetensors::save(&map, tmp).map_err(anyhow::Error::from)
    })?;
    Ok(path)
}
