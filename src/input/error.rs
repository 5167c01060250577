//! The one error type of the input readers.
//!
//! Policy: every message starts with the file as the user wrote it (`PATH` or `PATH:KEY`) and
//! ends with what to do about it; readers never panic on malformed input.

//! Every piece of text that comes from the user or from a file (file names, keys, member
//! names, dtype strings, CSV fields) is quoted through [`shown`], so control characters are
//! printed as escapes and cannot move the terminal's cursor or forge a log line. An error
//! carries the operating system's message in its own text and has no `source()`, so a caller
//! that prints the whole chain (`{:#}`) shows it once.

use crate::files::shown;

/// `names` joined with ", ", control characters escaped.
fn list(names: &[String]) -> String {
    shown(&names.join(", ")).into_owned()
}

/// The first of `names`, or "NAME".
fn first(names: &[String]) -> std::borrow::Cow<'_, str> {
    shown(names.first().map(String::as_str).unwrap_or("NAME"))
}

/// Everything that can go wrong while reading an input.
///
/// Every message starts with the file (as the user wrote it) and ends with what to do.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path does not exist.
    #[error("'{}': no such file — check the path (INPUT is PATH or PATH:KEY)", shown(.file))]
    NotFound {
        /// The path as given.
        file: String,
    },
    /// The path is a device, a FIFO, a socket or a directory (or a symlink to one): refused
    /// before it is opened, since reading it would not end or would block.
    #[error("{}", shown(.detail))]
    NotRegular {
        /// The path as given.
        file: String,
        /// The message, naming the path and what it is.
        detail: String,
    },
    /// The file exists but could not be read.
    #[error("'{}': cannot read the file: {error}", shown(.file))]
    Io {
        /// The path as given.
        file: String,
        /// The underlying error (its text is part of this message; it is not a `source()`).
        error: std::io::Error,
    },
    /// The extension is none of `.npy`, `.npz`, `.safetensors`, `.csv`.
    #[error(
        "'{}': unknown input format {} — use a .npy, .npz, .safetensors or .csv file \
         (optionally PATH:KEY for .npz/.safetensors)",
        shown(.file), shown(.ext)
    )]
    UnknownExtension {
        /// The path as given.
        file: String,
        /// The extension found, quoted, or "(no extension)".
        ext: String,
    },
    /// The INPUT argument is empty or has an empty KEY.
    #[error("'{}': {}", shown(.input), shown(.problem))]
    BadSpec {
        /// The argument as given.
        input: String,
        /// What is wrong and what to write instead.
        problem: String,
    },
    /// A KEY was given for a format that holds exactly one array.
    #[error(
        "'{f}': a {format} file holds a single array, but KEY '{k}' was given — \
         pass '{f}' without ':{k}'",
        f = shown(.file), k = shown(.key)
    )]
    KeyNotAllowed {
        /// The path as given.
        file: String,
        /// Format name (".csv", ".npy").
        format: &'static str,
        /// The key given.
        key: String,
    },
    /// The KEY names no array in the container.
    #[error(
        "'{f}': no array '{}' (available: {}) — use {f}:{}",
        shown(.key), list(.available), first(.available), f = shown(.file)
    )]
    MissingKey {
        /// The path as given.
        file: String,
        /// The key asked for.
        key: String,
        /// The array names present, sorted.
        available: Vec<String>,
    },
    /// The container holds several arrays and no KEY was given.
    #[error(
        "'{f}': holds {} arrays ({}) — choose one with {f}:{}",
        available.len(), list(.available), first(.available), f = shown(.file)
    )]
    KeyRequired {
        /// The path as given.
        file: String,
        /// The array names present, sorted.
        available: Vec<String>,
    },
    /// The container holds no array at all.
    #[error("'{}': holds no arrays — re-export it with the array inside", shown(.file))]
    NoArrays {
        /// The path as given.
        file: String,
    },
    /// The file has zero bytes.
    #[error("'{}': the file is empty — re-export the data", shown(.file))]
    Empty {
        /// The path as given.
        file: String,
    },
    /// The bytes are not a valid file of the format (bad magic, truncated, corrupt header…).
    #[error(
        "'{}': not a valid {format} file: {} — re-export it (the file may be truncated or corrupt)",
        shown(.file), shown(.detail)
    )]
    Malformed {
        /// The path as given (or `PATH:KEY` for an archive member).
        file: String,
        /// Format name.
        format: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The header promises more data bytes than the file holds (or a size beyond 2^64).
    #[error(
        "'{}': header declares shape {shape} = {values} values ({needed} bytes) but the file \
         holds {bytes} bytes — the file is truncated or corrupt; re-export it",
        shown(.file)
    )]
    SizeMismatch {
        /// The path as given.
        file: String,
        /// Declared shape, Python-style.
        shape: String,
        /// Declared number of values (or "more than 2^64" on overflow).
        values: String,
        /// Declared number of data bytes (or "more than 2^64").
        needed: String,
        /// Data bytes actually present.
        bytes: u64,
    },
    /// The file holds more bytes than the header declares.
    #[error(
        "'{}': {extra} trailing {} after the {needed} bytes of data the header declares \
         (shape {shape}) — the file is corrupt or has something appended; re-export it",
        shown(.file), if *extra == 1 { "byte" } else { "bytes" }
    )]
    TrailingBytes {
        /// The path as given.
        file: String,
        /// Declared shape, Python-style.
        shape: String,
        /// Declared number of data bytes.
        needed: u64,
        /// Bytes after them.
        extra: u64,
    },
    /// What the file declares cannot be held in this machine's memory.
    #[error(
        "'{}': {} needs {needed} bytes of memory, more than the {limit} bytes this machine \
         has — subsample the rows or export fewer columns",
        shown(.file), shown(.what)
    )]
    TooLarge {
        /// The path as given.
        file: String,
        /// What would be held, e.g. "the array of shape (10, 3) as f64".
        what: String,
        /// Bytes needed (or "more than 2^64").
        needed: String,
        /// Bytes of memory available to the process (physical memory, or the cgroup limit).
        limit: u64,
    },
    /// The element type cannot be read as numbers.
    #[error(
        "'{}': unsupported dtype {} ({why}) — export a real-valued numeric array, \
         e.g. arr.astype(np.float32) / tensor.float()",
        shown(.file), shown(.dtype)
    )]
    UnsupportedDtype {
        /// The path as given.
        file: String,
        /// The dtype as written in the file.
        dtype: String,
        /// Why it is not supported.
        why: &'static str,
    },
    /// The array has the wrong number of dimensions.
    #[error("'{}': expected {expected}, found shape {shape} — {hint}", shown(.file))]
    WrongNdim {
        /// The path as given.
        file: String,
        /// What was expected, e.g. "a 2-D array (N×d)".
        expected: &'static str,
        /// The shape found, Python-style.
        shape: String,
        /// How to fix it.
        hint: String,
    },
    /// The array has zero rows or zero columns (or another zero-length axis).
    #[error(
        "'{}': the array has shape {shape}: {what} — pass a non-empty array",
        shown(.file)
    )]
    EmptyArray {
        /// The path as given.
        file: String,
        /// The shape found.
        shape: String,
        /// "zero rows", "zero columns", …
        what: &'static str,
    },
    /// NaN or ±inf values.
    #[error(
        "'{}': {count} non-finite value(s) (NaN or ±inf) out of {total}, the first at {location} \
         — remove or impute non-finite rows (e.g. arr[np.isfinite(arr).all(axis=1)])",
        shown(.file)
    )]
    NonFinite {
        /// The path as given.
        file: String,
        /// Number of non-finite values.
        count: usize,
        /// Number of values.
        total: usize,
        /// Where the first one is, e.g. "row 4, column 2 (0-based)".
        location: String,
    },
    /// A CSV field is not a number.
    #[error(
        "'{}' row {row} column {column}: '{}' is not a number — the CSV must be numeric \
         with exactly one header row (rows and columns counted from 1 after the header; line {line} of the file)",
        shown(.file), shown(.value)
    )]
    CsvNotNumber {
        /// The path as given.
        file: String,
        /// 1-based data row (the header is not counted).
        row: usize,
        /// 1-based column.
        column: usize,
        /// 1-based line of the file.
        line: u64,
        /// The offending field (shortened).
        value: String,
    },
    /// A CSV row has a different number of fields than the header.
    #[error(
        "'{}' row {row}: {found} fields but the header has {expected} — make every row \
         the same length (line {line} of the file)",
        shown(.file)
    )]
    CsvRagged {
        /// The path as given.
        file: String,
        /// 1-based data row.
        row: usize,
        /// 1-based line of the file.
        line: u64,
        /// Fields in this row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A column-range flag is not of the form `A:B`.
    #[error(
        "{flag} '{}': {} — write A:B (half-open, 0-based), e.g. {flag} 0:4",
        shown(.text), shown(.problem)
    )]
    BadColumnRange {
        /// The flag, e.g. "--x-cols".
        flag: String,
        /// The text given.
        text: String,
        /// What is wrong.
        problem: String,
    },
    /// A column range does not fit the data.
    #[error(
        "{flag} {start}:{end}: out of range for '{}', which has {ncols} columns \
         — use A:B with 0 ≤ A < B ≤ {ncols}",
        shown(.file)
    )]
    ColumnRangeOutOfBounds {
        /// The flag, e.g. "--x-cols".
        flag: String,
        /// Range start.
        start: usize,
        /// Range end (exclusive).
        end: usize,
        /// The file the columns belong to.
        file: String,
        /// Number of columns available.
        ncols: usize,
    },
    /// Labels that are not integers.
    #[error(
        "'{}': labels must be integer class ids, found {} at index {index} \
         — pass integer labels (e.g. labels.astype(np.int64))",
        shown(.file), shown(.value)
    )]
    NotInteger {
        /// The path as given.
        file: String,
        /// 0-based position of the first bad label.
        index: usize,
        /// The value found.
        value: String,
    },
    /// An integer label outside the range of the label type (i64).
    #[error(
        "'{}': label {value} at index {index} is out of range: class ids must lie in \
         [-9223372036854775808, 9223372036854775807] (64-bit signed) — number the classes \
         0…C−1 (e.g. np.unique(labels, return_inverse=True)[1])",
        shown(.file)
    )]
    LabelOutOfRange {
        /// The path as given.
        file: String,
        /// 0-based position of the first such label.
        index: usize,
        /// The value found.
        value: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_every_message() {
        let f = "a\nb\x1b[2J.npz".to_string();
        let errors = [
            InputError::NotFound { file: f.clone() },
            InputError::MissingKey {
                file: f.clone(),
                key: "k\0".into(),
                available: vec!["x\ry".into(), "z\t".into()],
            },
            InputError::KeyRequired {
                file: f.clone(),
                available: vec!["\u{202e}gpj".into(), "b".into()],
            },
            InputError::KeyNotAllowed {
                file: f.clone(),
                format: ".npy",
                key: "\x07".into(),
            },
            InputError::Malformed {
                file: f.clone(),
                format: ".npz",
                detail: "member 'q\nr.npy': bad".into(),
            },
            InputError::UnsupportedDtype {
                file: f.clone(),
                dtype: "'<f\n4'".into(),
                why: "x",
            },
            InputError::CsvNotNumber {
                file: f.clone(),
                row: 1,
                column: 1,
                line: 2,
                value: "\x1b]0;title\x07".into(),
            },
            InputError::BadColumnRange {
                flag: "--x-cols".into(),
                text: "1\n:2".into(),
                problem: "p".into(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert!(text.contains('\\'), "{text:?}");
        }
        let e = InputError::Io {
            file: "x.npy".into(),
            error: std::io::Error::other("disk on fire"),
        };
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(e.to_string(), "'x.npy': cannot read the file: disk on fire");
    }
}
