//! Guards for what the tool reads and quotes (ARCHITECTURE.md §3, "untrusted input").
//!
//! * Every input file is a **regular file**: a device (`/dev/zero`, `/dev/urandom`), a FIFO, a
//!   socket or a directory, or a symlink to one, is refused before it is opened for reading, and
//!   every read is bounded by the size the file system reports, so no input can make a read run
//!   without end.
//! * Text from files, configs and command lines is quoted through [`shown`]: control characters
//!   (ESC, NUL, CR, LF, …) are printed as escapes, so a file name or a CSV field cannot move the
//!   terminal's cursor, forge a line of a CI log or start a GitHub workflow command.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// What a path is, for messages: "a directory", "a character device", ….
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "'{}' is {}, not a regular file: give a file (save a stream to a file first)",
            shown_path(path),
            kind_of(meta)
        ),
    )
}

/// Errors unless `path` is a regular file (after following symlinks), from its metadata alone:
/// an `InvalidInput` error naming the path and what it is, or the error of `stat` (`NotFound`).
pub fn check_regular(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok(())
}

/// Opens `path` for reading if it is a regular file (after following symlinks), with its size in
/// bytes. Anything else is refused with an `InvalidInput` error naming the path and what it is,
/// without opening it (opening a FIFO would block).
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    check_regular(path)?;
    let f = File::open(path)?;
    // The path may have been replaced between the two looks: judge what was opened.
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok((f, meta.len()))
}

/// The whole content of the regular file `path`, refusing files larger than `max` bytes (an
/// `InvalidData` error naming the path, the size and the limit). The read is bounded by the size
/// the file system reported when the file was opened.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let (f, len) = open_regular(path)?;
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "'{}' is {len} bytes, more than the {max} bytes this file can sensibly hold",
                shown_path(path)
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text (an `InvalidData` error when it is not).
pub fn read_regular_to_string(path: &Path, max: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, max)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("'{}' is not UTF-8 text", shown_path(path)),
        )
    })
}

/// `s` with every control character (C0, DEL, C1, and the bidirectional overrides that reorder
/// what a terminal shows) replaced by an escape: `\n`, `\r`, `\t`, `\0`, `\e`, or `\u{…}`.
/// Borrowed when there is nothing to escape.
///
/// ```
/// use ib_analyze::files::shown;
/// assert_eq!(shown("emb.npy"), "emb.npy");
/// assert_eq!(shown("a\nb\x1b[31m\0"), "a\\nb\\e[31m\\0");
/// ```
pub fn shown(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            '\x1b' => out.push_str("\\e"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path for a message: its display form through [`shown`].
pub fn shown_path(path: &Path) -> String {
    shown(&path.display().to_string()).into_owned()
}

/// [`shown`] except line feeds and tabs, for whole messages the tool composed (whose line breaks
/// are its own) that may quote user data.
pub fn shown_message(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && c != '\t' && needs_escape(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for line in s.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        for part in body.split_inclusive('\t') {
            let (text, tab) = match part.strip_suffix('\t') {
                Some(t) => (t, "\t"),
                None => (part, ""),
            };
            out.push_str(&shown(text));
            out.push_str(tab);
        }
        out.push_str(nl);
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(shown("plain/path.npy"), "plain/path.npy");
        assert!(matches!(shown("plain"), Cow::Borrowed(_)));
        assert_eq!(shown("a\r\n\t\0\x1b\x7f"), "a\\r\\n\\t\\0\\e\\u{7f}");
        assert_eq!(shown("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(shown("ünïcödé"), "ünïcödé");
        assert_eq!(
            shown_message("line 1\n\tline 2 \x1b[2J"),
            "line 1\n\tline 2 \\e[2J"
        );
    }

    #[test]
    fn regular_files_are_read_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_regular(&p, 5).unwrap(), b"hello");
        let err = read_regular(&p, 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("5 bytes"), "{err}");
        assert_eq!(read_regular_to_string(&p, 100).unwrap(), "hello");
    }

    #[test]
    fn directories_and_devices_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = open_regular(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("a directory"), "{err}");
        #[cfg(unix)]
        {
            let err = read_regular(Path::new("/dev/zero"), u64::MAX).unwrap_err();
            assert!(err.to_string().contains("character device"), "{err}");
            let link = dir.path().join("zero.npy");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            let err = open_regular(&link).unwrap_err();
            assert!(err.to_string().contains("zero.npy"), "{err}");
            assert!(err.to_string().contains("character device"), "{err}");
        }
    }
}
