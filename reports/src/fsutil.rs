//! Atomic file writes: write a temporary file in the target's directory, then rename it.
//! An interrupted write never leaves a truncated file under the final name (DESIGN §2).

use crate::error::ReportError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique temporary path next to `path`, keeping its extension (plotters' PNG encoder picks
/// the format from the extension).
pub(crate) fn temp_path_for(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!(".{stem}.tmp-{}-{n}", std::process::id());
    if let Some(ext) = path.extension() {
        name.push('.');
        name.push_str(&ext.to_string_lossy());
    }
    dir.join(name)
}

/// Move a finished temporary file onto its final name; removes the temporary file on failure.
pub(crate) fn commit(tmp: &Path, path: &Path) -> Result<(), ReportError> {
    std::fs::rename(tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        ReportError::io(path, e)
    })
}

/// Write `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_path_for(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ReportError::io(path, e));
    }
    commit(&tmp, path)
}

/// Create `dir` and its parents.
pub(crate) fn create_dir_all(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))
}
