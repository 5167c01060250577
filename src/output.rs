//! The run directory (ARCHITECTURE.md §2): creating it, writing its files atomically, reading
//! its `run.json` back.

use anyhow::{anyhow, bail, Context, Result};
use ib_reports::record::RunRecord;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Write bytes atomically (`ib_reports::atomic`: a temporary file beside `path`, fsync'ed and
/// renamed over it; a crash never leaves a truncated `path`).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    ib_reports::atomic::write(path, bytes)?;
    Ok(())
}

/// Create the output directory: `out` if given (it must not exist or be empty), else
/// `runs/<name>-<yyyymmdd-hhmmss>`.
pub fn create_run_dir(out: Option<&Path>, name: &str) -> Result<PathBuf> {
    let dir = match out {
        Some(p) => p.to_path_buf(),
        None => {
            let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
            let mut dir = PathBuf::from("runs").join(format!("{name}-{stamp}"));
            let mut i = 2;
            while dir.exists() {
                dir = PathBuf::from("runs").join(format!("{name}-{stamp}-{i}"));
                i += 1;
            }
            dir
        }
    };
    if dir.exists() {
        let non_empty = std::fs::read_dir(&dir)
            .with_context(|| format!("'{}' exists but cannot be read", dir.display()))?
            .next()
            .is_some();
        if non_empty {
            bail!(
                "output directory '{}' already exists and is not empty: pass a new --out, or remove it",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("could not create output directory '{}'", dir.display()))?;
    Ok(dir)
}

/// Write `manifest.json` (keys in alphabetical order, see [`crate::records`]).
pub fn write_manifest(out: &Path, manifest: &impl Serialize) -> Result<()> {
    let value = crate::records::canonical(manifest)?;
    atomic_write(
        &out.join("manifest.json"),
        &serde_json::to_vec_pretty(&value)?,
    )
}

/// Write metrics.csv, the charts and report.html, then run.json last: a directory with run.json
/// is complete.
pub fn write_record(record: &RunRecord, out: &Path) -> Result<()> {
    atomic_write(&out.join("metrics.csv"), &metrics_csv(record)?)?;
    ib_reports::write_report(record, out)
        .map_err(|e| anyhow!(e))
        .with_context(|| format!("could not write the report into '{}'", out.display()))?;
    atomic_write(&out.join("run.json"), &serde_json::to_vec_pretty(record)?)?;
    Ok(())
}

/// `metrics.csv`, long format: `run,epoch,tensor,metric,scale,value` (scale empty where a metric
/// has none; the loss has an empty tensor).
pub fn metrics_csv(record: &RunRecord) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["run", "epoch", "tensor", "metric", "scale", "value"])?;
    for run in &record.runs {
        for e in &run.epochs {
            let epoch = e.epoch.to_string();
            if let Some(loss) = e.loss {
                w.write_record([&run.name, &epoch, "", "loss", "", &loss.to_string()])?;
            }
            for (tensor, t) in &e.tensors {
                for (metric, v) in &t.metrics {
                    w.write_record([&run.name, &epoch, tensor, metric, "", &v.to_string()])?;
                }
            }
        }
    }
    w.into_inner().context("csv buffer")
}

/// Read `run.json` from a run directory or a path to the file itself.
pub fn read_record(path: &Path) -> Result<(PathBuf, RunRecord)> {
    let file = if path.is_dir() {
        path.join("run.json")
    } else {
        path.to_path_buf()
    };
    if !file.exists() {
        if path.is_dir() {
            bail!(
                "'{}' has no run.json: is it a finished run directory? (a run writes run.json last)",
                path.display()
            );
        }
        bail!(
            "'{}' does not exist: give a run directory or its run.json",
            path.display()
        );
    }
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("could not read '{}'", file.display()))?;
    let record: RunRecord = serde_json::from_str(&text)
        .with_context(|| format!("'{}' is not a valid ib-analyze run.json", file.display()))?;
    Ok((file, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_non_empty_output_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), b"").unwrap();
        let err = create_run_dir(Some(dir.path()), "t").unwrap_err();
        assert!(format!("{err:#}").contains("--out"));
    }
}
