//! The run directory (ARCHITECTURE.md §2): creating it, writing its files atomically, reading
//! its `run.json` back.

use crate::files::{shown, shown_path};
use anyhow::{anyhow, bail, Context, Result};
use ib_reports::record::{RunRecord, SCHEMA_VERSION};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Write bytes by the rule of `ib_reports::atomic` (ARCHITECTURE.md §2): a regular file or a new
/// path atomically (a temporary file beside it, fsync'ed and renamed over it; a crash never
/// leaves a truncated `path`), a symlink through to its target, a device or FIFO directly.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    ib_reports::atomic::write(path, bytes)?;
    Ok(())
}

/// A run directory created by [`create_run_dir`], with what the call created, so that a run
/// that fails before it finishes can remove its leftovers ([`RunDir::discard`]).
#[derive(Debug)]
pub struct RunDir {
    /// The directory.
    pub path: PathBuf,
    /// The directories the call created, `path` first then its parents outwards (such as
    /// `runs/`); empty when `path` existed (empty) before.
    created: Vec<PathBuf>,
}

impl RunDir {
    /// Remove what this invocation wrote: the output directory with everything in it when the
    /// call created it, then the parents it created while they are empty (another run may have
    /// written into `runs/` meanwhile); for an output directory that existed (it was empty, see
    /// [`create_run_dir`]), only its content. Best effort: a failure to remove is reported on
    /// stderr and never hides the error that caused the removal.
    pub fn discard(&self) {
        let result = match self.created.split_first() {
            Some((dir, parents)) => std::fs::remove_dir_all(dir).map(|()| {
                for p in parents {
                    if std::fs::remove_dir(p).is_err() {
                        break;
                    }
                }
            }),
            None => std::fs::read_dir(&self.path).and_then(|entries| {
                for entry in entries {
                    let entry = entry?;
                    let p = entry.path();
                    if entry.file_type()?.is_dir() {
                        std::fs::remove_dir_all(&p)?;
                    } else {
                        std::fs::remove_file(&p)?;
                    }
                }
                Ok(())
            }),
        };
        if let Err(e) = result {
            eprintln!(
                "warning: could not remove the incomplete output in '{}': {e}",
                shown_path(&self.path)
            );
        }
    }
}

/// Create the output directory: `out` if given (it must not exist or be empty), else
/// `runs/<name>-<yyyymmdd-hhmmss>`; `name` must be a plain file name
/// ([`crate::config::check_plain_name`]), so the default directory stays under `runs/`.
pub fn create_run_dir(out: Option<&Path>, name: &str) -> Result<RunDir> {
    crate::config::check_plain_name(name, "name")?;
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
            .with_context(|| format!("'{}' exists but cannot be read", shown_path(&dir)))?
            .next()
            .is_some();
        if non_empty {
            bail!(
                "output directory '{}' already exists and is not empty: pass a new --out, or remove it",
                shown_path(&dir)
            );
        }
    }
    // The missing directories are what this call creates (and what `discard` removes).
    let mut created = Vec::new();
    let mut probe = Some(dir.as_path());
    while let Some(p) = probe {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        created.push(p.to_path_buf());
        probe = p.parent();
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("could not create output directory '{}'", shown_path(&dir)))?;
    Ok(RunDir { path: dir, created })
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
    // A signal while the report was written: stop before the file that marks the run complete.
    crate::interrupt::check()?;
    atomic_write(&out.join("run.json"), &serde_json::to_vec_pretty(record)?)?;
    Ok(())
}

/// `metrics.csv`, long format: `run,epoch,tensor,metric,scale,value` (scale empty where a metric
/// has none; the loss has an empty tensor; value empty for a null metric).
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
                // A null metric (its input missing) has an empty value; run.json gives the reason.
                for (metric, v) in &t.metrics {
                    let value = v.map_or_else(String::new, |v| v.to_string());
                    w.write_record([&run.name, &epoch, tensor, metric, "", &value])?;
                }
            }
        }
    }
    w.into_inner().context("csv buffer")
}

/// The largest `run.json` [`read_record`] reads: 1 GiB. A record of a long training run with
/// every information row is a few MB; a larger file is not one the tool wrote.
pub const MAX_RECORD_BYTES: u64 = 1 << 30;

/// Read `run.json` from a run directory or a path to the file itself, and check it
/// ([`parse_record`]). The file must be a regular file of at most [`MAX_RECORD_BYTES`] (a device
/// or a FIFO, `/dev/zero`, is refused before it is read).
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
                shown_path(path)
            );
        }
        bail!(
            "'{}' does not exist: give a run directory or its run.json",
            shown_path(path)
        );
    }
    let bytes = crate::files::read_regular(&file, MAX_RECORD_BYTES).map_err(|e| {
        // The guards of `files` name the file themselves; other I/O errors do not.
        if matches!(
            e.kind(),
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData
        ) {
            anyhow!(e)
        } else {
            anyhow!(e).context(format!("could not read '{}'", shown_path(&file)))
        }
    })?;
    let record = parse_record(&bytes, &file.display().to_string())?;
    Ok((file, record))
}

/// The first look at a `run.json`: its version, before the layout that depends on it.
#[derive(serde::Deserialize)]
struct RecordHeader {
    schema_version: Option<serde_json::Value>,
    tool: Option<serde_json::Value>,
}

/// Parse and check the bytes of a `run.json` (`name` is the file, for messages): strict JSON of
/// [`RunRecord`] whose `schema_version` is the one this build reads
/// ([`ib_reports::record::SCHEMA_VERSION`]; a record of another version is refused, not judged
/// as if it were this one). Errors quote the record's text with control characters escaped.
pub fn parse_record(bytes: &[u8], name: &str) -> Result<RunRecord> {
    let name = shown(name);
    let invalid = |e: serde_json::Error| {
        anyhow!(
            "'{name}' is not a valid ib-analyze run.json: {}",
            shown(&e.to_string())
        )
    };
    let header: RecordHeader = serde_json::from_slice(bytes).map_err(invalid)?;
    let wrote = match header.tool {
        Some(serde_json::Value::String(t)) => format!(" (written by {})", shown(&t)),
        _ => String::new(),
    };
    match header.schema_version {
        None => bail!("'{name}' has no schema_version: it is not an ib-analyze run.json{wrote}"),
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(v) => bail!(
            "'{name}' has schema_version {}{wrote}, but this ib-analyze ({}) reads only \
             schema_version {SCHEMA_VERSION}: judge it with the ib-analyze version that wrote \
             it, or re-create it with this one",
            shown(&v.to_string()),
            env!("CARGO_PKG_VERSION")
        ),
    }
    serde_json::from_slice(bytes).map_err(invalid)
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

    #[test]
    fn refuses_names_that_are_not_plain_file_names() {
        for name in ["../../x", "a/b", "a\\b", "..", ".", "", "a\nb", "\0"] {
            let err = create_run_dir(None, name).unwrap_err();
            assert!(format!("{err:#}").contains("plain file name"), "{name:?}");
        }
    }

    #[test]
    fn discard_removes_what_the_call_created_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        // A new directory two levels deep: both levels go.
        let deep = tmp.path().join("a").join("b");
        let run = create_run_dir(Some(&deep), "t").unwrap();
        assert_eq!(run.path, deep);
        std::fs::create_dir_all(deep.join("snapshots/x")).unwrap();
        std::fs::write(deep.join("manifest.json"), b"{}").unwrap();
        run.discard();
        assert!(!tmp.path().join("a").exists());
        assert!(tmp.path().exists());
        // An existing empty directory keeps existing; its new content goes.
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let run = create_run_dir(Some(&empty), "t").unwrap();
        std::fs::create_dir_all(empty.join("snapshots/x")).unwrap();
        std::fs::write(empty.join("manifest.json"), b"{}").unwrap();
        run.discard();
        assert!(empty.is_dir());
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    }
}
