//! Atomic file writes, the one implementation for the whole workspace (ARCHITECTURE.md §2).
//!
//! A file is written to a hidden temporary file in the same directory as its final path, flushed
//! to disk (`fsync`), then renamed over the final path. Rename within one directory is atomic on
//! POSIX file systems, so a reader (or a run interrupted at any point) sees either the old file or
//! the complete new one, never a truncated file. On any failure the temporary file is removed and
//! the final path is left as it was.
//!
//! The temporary file is named `.NAME.XXXXXX.tmp` (`XXXXXX` random, from the `tempfile` crate), so
//! that a file left behind by a killed process neither looks like a finished file nor matches its
//! extension (`*.safetensors`, `*.json`). [`write_with_extension`] names it `.STEM.XXXXXX.tmp.EXT`
//! instead, for writers that pick the format from the extension (plotters' PNG encoder does). On Unix it is created with the
//! permissions `File::create` would give (0o666 less the umask), not `tempfile`'s private 0o600.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! let path = dir.path().join("run.json");
//! ib_reports::atomic::write(&path, b"{}")?;
//! // A writer that wants a path rather than bytes fills the temporary file itself.
//! ib_reports::atomic::write_with(&path, |tmp| std::fs::write(tmp, b"{\"v\": 2}"))?;
//! assert_eq!(std::fs::read(&path)?, b"{\"v\": 2}");
//! # Ok(()) }
//! ```

use std::io::{self, Write};
use std::path::Path;
use tempfile::{NamedTempFile, TempPath};

/// Write `bytes` to `path` atomically: a temporary file beside it, written, fsync'ed, then renamed
/// over `path`. Errors name `path`; on error `path` is untouched and no temporary file remains.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_file(path, false)?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fill_error(path, tmp.path(), e))?;
    persist(tmp.into_temp_path(), path)
}

/// Write `path` atomically through `fill`, which receives the path of an empty temporary file in
/// the same directory and writes the content there, e.g. a library
/// writer that only takes a path. The file is then fsync'ed and renamed over `path`. If `fill`
/// fails, its error is returned (with both paths added) and the temporary file is removed.
pub fn write_with(path: &Path, fill: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
    fill_and_persist(path, false, fill)
}

/// [`write_with`], with a temporary file that ends in `path`'s extension, for writers that pick
/// the format from it.
pub fn write_with_extension(
    path: &Path,
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    fill_and_persist(path, true, fill)
}

fn fill_and_persist(
    path: &Path,
    keep_extension: bool,
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = temp_file(path, keep_extension)?.into_temp_path();
    fill(&tmp)
        .and_then(|()| sync(&tmp))
        .map_err(|e| fill_error(path, &tmp, e))?;
    persist(tmp, path)
}

/// An empty hidden temporary file in `path`'s directory; removed when dropped.
fn temp_file(path: &Path, keep_extension: bool) -> io::Result<NamedTempFile> {
    let name = Path::new(path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "could not write '{}': the path has no file name",
                path.display()
            ),
        )
    })?);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let ext = name.extension().filter(|_| keep_extension);
    let stem = match ext {
        Some(_) => name.file_stem().unwrap_or(name.as_os_str()),
        None => name.as_os_str(),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(stem);
    prefix.push(".");
    let mut suffix = std::ffi::OsString::from(".tmp");
    if let Some(ext) = ext {
        suffix.push(".");
        suffix.push(ext);
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(&suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir).map_err(|e| {
        context(
            e,
            format!(
                "could not create a temporary file in '{}' for '{}'",
                dir.display(),
                path.display()
            ),
        )
    })
}

/// Flush a file that `fill` wrote by path (it may have reopened or recreated it).
fn sync(tmp: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(tmp)?
        .sync_all()
}

/// Rename the finished temporary file over `path`; on failure it is removed.
fn persist(tmp: TempPath, path: &Path) -> io::Result<()> {
    tmp.persist(path).map_err(|e| {
        let message = format!(
            "could not rename '{}' to '{}'",
            e.path.display(),
            path.display()
        );
        // Dropping the returned temporary path removes the file.
        drop(e.path);
        context(e.error, message)
    })
}

fn fill_error(path: &Path, tmp: &Path, e: io::Error) -> io::Error {
    context(
        e,
        format!(
            "could not write '{}' (temporary file '{}')",
            path.display(),
            tmp.display()
        ),
    )
}

/// `e` with `message` in front, keeping its kind.
fn context(e: io::Error, message: String) -> io::Error {
    io::Error::new(e.kind(), format!("{message}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Every file name in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_the_complete_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        write(&path, &bytes).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(names(dir.path()), ["report.html"]);
    }

    #[test]
    fn replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        std::fs::write(&path, b"old content, longer than the new one").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        write_with(&path, |tmp| std::fs::write(tmp, b"filled")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"filled");
        assert_eq!(names(dir.path()), ["run.json"]);
    }

    #[test]
    fn the_temporary_file_is_hidden_beside_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("epoch-0005.safetensors");
        let mut seen = PathBuf::new();
        write_with(&path, |tmp| {
            seen = tmp.to_path_buf();
            std::fs::write(tmp, b"st")
        })
        .unwrap();
        assert_eq!(seen.parent(), Some(dir.path()));
        let name = seen.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".epoch-0005.safetensors.") && name.ends_with(".tmp"),
            "{name}"
        );
        assert!(!seen.exists());
    }

    #[test]
    fn with_extension_the_temporary_file_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("std_l2.png");
        let mut seen = PathBuf::new();
        write_with_extension(&path, |tmp| {
            seen = tmp.to_path_buf();
            assert!(tmp.is_file(), "the temporary file exists and is empty");
            std::fs::write(tmp, b"png")
        })
        .unwrap();
        assert_eq!(seen.parent(), Some(dir.path()));
        let name = seen.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".std_l2.") && name.ends_with(".tmp.png"),
            "{name}"
        );
        assert!(!seen.exists());
    }

    #[test]
    fn a_failing_fill_leaves_the_target_untouched_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        std::fs::write(&path, b"previous").unwrap();
        let err = write_with(&path, |tmp| {
            std::fs::write(tmp, b"half a fi")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("disk full"), "{message}");
        assert_eq!(std::fs::read(&path).unwrap(), b"previous");
        assert_eq!(names(dir.path()), ["model.safetensors"]);
    }

    #[test]
    fn a_failing_rename_leaves_no_temporary_file() {
        // A non-empty directory under the final name: the rename over it fails.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("charts");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), b"x").unwrap();
        let err = write(&path, b"bytes").unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert_eq!(names(dir.path()), ["charts"]);
        assert_eq!(names(&path), ["keep"]);
    }

    #[test]
    fn a_missing_directory_or_file_name_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("run.json");
        let err = write(&path, b"{}").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert!(names(dir.path()).is_empty());
        let err = write(Path::new("/"), b"{}").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_file_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let atomic = dir.path().join("atomic");
        write(&atomic, b"x").unwrap();
        let mode = |p: &Path| p.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
    }
}
