//! File writes, the one implementation for the whole workspace (ARCHITECTURE.md §2).
//!
//! What a write does depends on what the path names (checked with `lstat`, following symlinks
//! one by one):
//!
//! * **A regular file, or nothing yet**: the content goes to a hidden temporary file in the same
//!   directory, is flushed to disk (`fsync`) and renamed over the final path. Rename within one
//!   directory is atomic on POSIX file systems, so a reader (or a run interrupted at any point)
//!   sees either the old file or the complete new one, never a truncated file. On any failure the
//!   temporary file is removed and the final path is left as it was. An existing file keeps its
//!   permission bits.
//! * **A symlink**: it is written *through*: the chain of links is resolved and the rule applied
//!   to the file it ends at (a regular file there is replaced atomically in its own directory),
//!   so the link itself stays a link. A link into `/proc` (`/dev/stdout` → `/proc/self/fd/1`,
//!   `/dev/fd/N`) names a process's open file, not a directory entry, and is written directly.
//! * **A character or block device, a FIFO, a socket** (`/dev/stdout`'s terminal or pipe,
//!   `/dev/null`, `/dev/full`): opened and written directly, never replaced, so a device never
//!   turns into a regular file. Write errors (ENOSPC from `/dev/full`) are returned naming the path.
//! * **A regular file in a directory where no file can be created** (permission denied for the
//!   temporary file): written directly (truncated and rewritten), as `File::create` would.
//! * **A directory**: an error naming the path.
//!
//! The temporary file is named `.NAME.XXXXXX.tmp` (`XXXXXX` random, from the `tempfile` crate), so
//! that a file left behind by a killed process neither looks like a finished file nor matches its
//! extension (`*.safetensors`, `*.json`). [`write_with_extension`] names it `.STEM.XXXXXX.tmp.EXT`
//! instead, for writers that pick the format from the extension (plotters' PNG encoder does). On
//! Unix a new file is created with the permissions `File::create` would give (0o666 less the
//! umask), not `tempfile`'s private 0o600. A writer that fills a path ([`write_with`]) and whose
//! output is written directly fills a temporary file in the system's temporary directory, which is
//! then copied to the path.
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

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tempfile::{NamedTempFile, TempPath};

/// Write `bytes` to `path` by the rule of the module documentation: atomically for a regular
/// file or a new path, through a symlink to its target, directly to a device or FIFO. Errors
/// name `path`; on an error of an atomic write `path` is untouched and no temporary file remains.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (target, keep) = match plan(path)? {
        Plan::Direct => return write_direct(path, bytes),
        Plan::Stream(stream) => return write_stream(stream, path, bytes),
        Plan::Replace { target, keep } => (target, keep),
    };
    let mut tmp = match temp_file(&target, false) {
        Ok(tmp) => tmp,
        Err(e) if fall_back_to_direct(&e, keep.as_ref()) => return write_direct(&target, bytes),
        Err(e) => return Err(e),
    };
    tmp.write_all(bytes)
        .and_then(|()| match &keep {
            Some(perms) => tmp.as_file().set_permissions(perms.clone()),
            None => Ok(()),
        })
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fill_error(path, tmp.path(), e))?;
    persist(tmp.into_temp_path(), &target, path)
}

/// Write `path` through `fill`, which receives the path of an empty temporary file and writes
/// the content there, e.g. a library writer that only takes a path. For a regular file (or a new
/// path, or a symlink to one) the temporary file is in the target's directory and is then
/// fsync'ed and renamed over it; for a device or FIFO it is in the system's temporary directory
/// and its content is then copied to `path`. If `fill` fails, its error is returned (with both
/// paths added), the temporary file is removed and `path` is untouched.
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
    let (target, keep) = match plan(path)? {
        Plan::Direct => return fill_and_copy(path, None, keep_extension, fill),
        Plan::Stream(stream) => return fill_and_copy(path, Some(stream), keep_extension, fill),
        Plan::Replace { target, keep } => (target, keep),
    };
    let tmp = match temp_file(&target, keep_extension) {
        Ok(tmp) => tmp.into_temp_path(),
        Err(e) if fall_back_to_direct(&e, keep.as_ref()) => {
            return fill_and_copy(&target, None, keep_extension, fill)
        }
        Err(e) => return Err(e),
    };
    fill(&tmp)
        .and_then(|()| match &keep {
            Some(perms) => std::fs::set_permissions(&tmp, perms.clone()),
            None => Ok(()),
        })
        .and_then(|()| sync(&tmp))
        .map_err(|e| fill_error(path, &tmp, e))?;
    persist(tmp, &target, path)
}

/// How a path is written.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Replace `target` (a regular file, or a path that does not exist yet) by a temporary file
    /// renamed over it; `keep` holds the permissions of the file it replaces.
    Replace {
        target: PathBuf,
        keep: Option<Permissions>,
    },
    /// Open the path as given and write into it (a device, FIFO, socket or `/proc` link).
    Direct,
    /// The path is this process's own standard output or error (`/dev/stdout`,
    /// `/proc/self/fd/1`, `/dev/fd/2`): write to the stream, after what it already holds.
    Stream(Stream),
}

/// This process's standard streams.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stream {
    Stdout,
    Stderr,
}

/// Links followed before giving up, as the kernel's ELOOP limit.
const MAX_LINKS: usize = 40;

/// What `path` names, following symlinks one at a time (ARCHITECTURE.md §2).
fn plan(path: &Path) -> io::Result<Plan> {
    let mut current = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A new file (or the missing target of a dangling link, created as
                // `File::create` through the link would). A missing directory is reported
                // when the temporary file cannot be created in it.
                return Ok(Plan::Replace {
                    target: current,
                    keep: None,
                });
            }
            Err(e) => return Err(context(e, format!("could not write '{}'", path.display()))),
        };
        let kind = meta.file_type();
        if kind.is_file() {
            return Ok(Plan::Replace {
                target: current,
                keep: Some(meta.permissions()),
            });
        }
        if kind.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "could not write '{}': it is a directory; give a file name",
                    path.display()
                ),
            ));
        }
        if !kind.is_symlink() {
            // Character or block device, FIFO, socket.
            return Ok(Plan::Direct);
        }
        let parent = match current.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let dir = std::fs::canonicalize(parent)
            .map_err(|e| context(e, format!("could not write '{}'", path.display())))?;
        if dir.starts_with("/proc") {
            // `/proc/<pid>/fd/N` and the like: the "link" is an open file of a process (a pipe,
            // a terminal, a deleted file), which only opening the path reaches. Our own stdout
            // or stderr is written as the stream: reopening it would start at offset 0 and
            // truncate a regular file that stdout is redirected to.
            return Ok(own_stream(&dir, &current).map_or(Plan::Direct, Plan::Stream));
        }
        let link = std::fs::read_link(&current)
            .map_err(|e| context(e, format!("could not write '{}'", path.display())))?;
        // A relative link is relative to the directory holding it; `join` keeps an absolute one.
        current = dir.join(link);
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "could not write '{}': more than {MAX_LINKS} symbolic links (a loop?)",
            path.display()
        ),
    ))
}

/// `Some` when `dir`/`link` is `/proc/<our pid>/fd/1` or `…/2` (or a thread's `task/<tid>/fd`).
fn own_stream(dir: &Path, link: &Path) -> Option<Stream> {
    let ours = Path::new("/proc").join(std::process::id().to_string());
    let fd_dir = dir == ours.join("fd")
        || (dir.starts_with(ours.join("task")) && dir.file_name() == Some("fd".as_ref()));
    if !fd_dir {
        return None;
    }
    match link.file_name()?.to_str()? {
        "1" => Some(Stream::Stdout),
        "2" => Some(Stream::Stderr),
        _ => None,
    }
}

/// Write `bytes` to this process's stdout or stderr and flush it (`path` names it in errors).
fn write_stream(stream: Stream, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let written = match stream {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
        Stream::Stderr => {
            let mut out = io::stderr().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
    };
    written.map_err(|e| context(e, format!("could not write '{}'", path.display())))
}

/// A temporary file could not be created beside an existing regular file for lack of
/// permission on its directory: write the file itself, as `File::create` would.
fn fall_back_to_direct(e: &io::Error, existing: Option<&Permissions>) -> bool {
    existing.is_some() && e.kind() == io::ErrorKind::PermissionDenied
}

/// Open `path` (which exists: a device, FIFO, `/proc` link, or a regular file that cannot be
/// replaced) for writing, truncating a regular file, never creating one.
fn open_direct(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| {
            context(
                e,
                format!("could not open '{}' for writing", path.display()),
            )
        })
}

/// Write `bytes` into `path` as it is (no temporary file, no rename).
fn write_direct(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = open_direct(path)?;
    f.write_all(bytes)
        .and_then(|()| f.flush())
        .and_then(|()| sync_if_regular(&f))
        .map_err(|e| context(e, format!("could not write '{}'", path.display())))
}

/// Let `fill` write a temporary file in the system's temporary directory, then copy it into
/// `path` directly (or into `stream`, which `path` names).
fn fill_and_copy(
    path: &Path,
    stream: Option<Stream>,
    keep_extension: bool,
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ib-analyze.");
    let suffix = match path.extension().filter(|_| keep_extension) {
        Some(ext) => {
            let mut s = std::ffi::OsString::from(".tmp.");
            s.push(ext);
            s
        }
        None => ".tmp".into(),
    };
    builder.suffix(&suffix);
    let tmp = builder
        .tempfile()
        .map_err(|e| {
            context(
                e,
                format!(
                    "could not create a temporary file in '{}' for '{}'",
                    std::env::temp_dir().display(),
                    path.display()
                ),
            )
        })?
        .into_temp_path();
    fill(&tmp).map_err(|e| fill_error(path, &tmp, e))?;
    if let Some(stream) = stream {
        let bytes = std::fs::read(&tmp).map_err(|e| fill_error(path, &tmp, e))?;
        return write_stream(stream, path, &bytes);
    }
    let mut from = File::open(&tmp).map_err(|e| fill_error(path, &tmp, e))?;
    let mut to = open_direct(path)?;
    io::copy(&mut from, &mut to)
        .and_then(|_| to.flush())
        .and_then(|()| sync_if_regular(&to))
        .map_err(|e| context(e, format!("could not write '{}'", path.display())))?;
    Ok(())
}

/// `fsync` a regular file; devices and pipes have nothing to flush to disk (and refuse it).
fn sync_if_regular(f: &File) -> io::Result<()> {
    if f.metadata()?.is_file() {
        f.sync_all()?;
    }
    Ok(())
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

/// Rename the finished temporary file over `target` (`path`, or the file a symlink `path`
/// leads to); on failure it is removed.
fn persist(tmp: TempPath, target: &Path, path: &Path) -> io::Result<()> {
    tmp.persist(target).map_err(|e| {
        let mut message = format!(
            "could not rename '{}' to '{}'",
            e.path.display(),
            target.display()
        );
        if target != path {
            message.push_str(&format!(" (the target of '{}')", path.display()));
        }
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
        // A non-empty directory under the final name: refused before anything is written.
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

    #[cfg(unix)]
    fn is_symlink(p: &Path) -> bool {
        std::fs::symlink_metadata(p)
            .unwrap()
            .file_type()
            .is_symlink()
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real").join("out.xml");
        std::fs::write(&target, b"old").unwrap();
        // A relative link to a relative link.
        let inner = dir.path().join("inner.xml");
        symlink("real/out.xml", &inner).unwrap();
        let outer = dir.path().join("outer.xml");
        symlink("inner.xml", &outer).unwrap();
        write(&outer, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(is_symlink(&outer) && is_symlink(&inner));
        write_with_extension(&outer, |tmp| {
            assert_eq!(tmp.parent(), Some(dir.path().join("real").as_path()));
            std::fs::write(tmp, b"filled")
        })
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"filled");
        assert!(is_symlink(&outer) && is_symlink(&inner));
        assert_eq!(names(dir.path()), ["inner.xml", "outer.xml", "real"]);
        assert_eq!(names(&dir.path().join("real")), ["out.xml"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_creates_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(dir.path().join("new.json"), &link).unwrap();
        write(&link, b"{}").unwrap();
        assert!(is_symlink(&link));
        assert_eq!(std::fs::read(dir.path().join("new.json")).unwrap(), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = write(&a, b"x").unwrap_err();
        assert!(err.to_string().contains("symbolic links"), "{err}");
        assert!(is_symlink(&a) && is_symlink(&b));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_written_directly_and_stay_devices() {
        use std::os::unix::fs::FileTypeExt;
        let is_char = |p: &str| {
            std::fs::symlink_metadata(p)
                .unwrap()
                .file_type()
                .is_char_device()
        };
        write(Path::new("/dev/null"), b"discarded").unwrap();
        write_with_extension(Path::new("/dev/null"), |tmp| std::fs::write(tmp, b"png")).unwrap();
        assert!(is_char("/dev/null"));
        let err = write(Path::new("/dev/full"), b"no room").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{err}"); // ENOSPC
        assert!(err.to_string().contains("/dev/full"), "{err}");
        let err = write_with(Path::new("/dev/full"), |tmp| std::fs::write(tmp, b"x")).unwrap_err();
        assert!(err.to_string().contains("/dev/full"), "{err}");
        assert!(is_char("/dev/full"));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_directly_and_stays_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let link = dir.path().join("to-pipe.xml");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        write(&link, b"<xml/>").unwrap();
        assert_eq!(reader.join().unwrap(), b"<xml/>");
        assert!(is_symlink(&link));
        let t = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(t.is_fifo());
        assert_eq!(names(dir.path()), ["pipe", "to-pipe.xml"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&path, b"new").unwrap();
        let mode = |p: &Path| p.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        write_with(&path, |tmp| std::fs::write(tmp, b"newer")).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"newer");
    }
}
