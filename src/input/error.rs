//! The one error type of the input readers.
//!
//! Policy: every message starts with the file as the user wrote it (`PATH` or `PATH:KEY`) and
//! ends with what to do about it; readers never panic on malformed input.

/// Everything that can go wrong while reading an input.
///
/// Every message starts with the file (as the user wrote it) and ends with what to do.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path does not exist.
    #[error("'{file}': no such file — check the path (INPUT is PATH or PATH:KEY)")]
    NotFound {
        /// The path as given.
        file: String,
    },
    /// The file exists but could not be read.
    #[error("'{file}': cannot read the file: {source}")]
    Io {
        /// The path as given.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The extension is none of `.npy`, `.npz`, `.safetensors`, `.csv`.
    #[error(
        "'{file}': unknown input format {ext} — use a .npy, .npz, .safetensors or .csv file \
         (optionally PATH:KEY for .npz/.safetensors)"
    )]
    UnknownExtension {
        /// The path as given.
        file: String,
        /// The extension found, quoted, or "(no extension)".
        ext: String,
    },
    /// The INPUT argument is empty or has an empty KEY.
    #[error("'{input}': {problem}")]
    BadSpec {
        /// The argument as given.
        input: String,
        /// What is wrong and what to write instead.
        problem: String,
    },
    /// A KEY was given for a format that holds exactly one array.
    #[error(
        "'{file}': a {format} file holds a single array, but KEY '{key}' was given — \
         pass '{file}' without ':{key}'"
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
        "'{file}': no array '{key}' (available: {}) — use {file}:{}",
        available.join(", "),
        available.first().map(String::as_str).unwrap_or("NAME")
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
        "'{file}': holds {} arrays ({}) — choose one with {file}:{}",
        available.len(),
        available.join(", "),
        available.first().map(String::as_str).unwrap_or("NAME")
    )]
    KeyRequired {
        /// The path as given.
        file: String,
        /// The array names present, sorted.
        available: Vec<String>,
    },
    /// The container holds no array at all.
    #[error("'{file}': holds no arrays — re-export it with the array inside")]
    NoArrays {
        /// The path as given.
        file: String,
    },
    /// The file has zero bytes.
    #[error("'{file}': the file is empty — re-export the data")]
    Empty {
        /// The path as given.
        file: String,
    },
    /// The bytes are not a valid file of the format (bad magic, truncated, corrupt header…).
    #[error("'{file}': not a valid {format} file: {detail} — re-export it (the file may be truncated or corrupt)")]
    Malformed {
        /// The path as given (or `PATH:KEY` for an archive member).
        file: String,
        /// Format name.
        format: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The header promises more (or fewer) data bytes than the file holds.
    #[error(
        "'{file}': header declares shape {shape} = {values} values ({needed} bytes) but the file \
         holds {bytes} bytes — the file is truncated or corrupt; re-export it"
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
        bytes: usize,
    },
    /// The element type cannot be read as numbers.
    #[error(
        "'{file}': unsupported dtype {dtype} ({why}) — export a real-valued numeric array, \
         e.g. arr.astype(np.float32) / tensor.float()"
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
    #[error("'{file}': expected {expected}, found shape {shape} — {hint}")]
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
    #[error("'{file}': the array has shape {shape}: {what} — pass a non-empty array")]
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
        "'{file}': {count} non-finite value(s) (NaN or ±inf) out of {total}, the first at {location} \
         — remove or impute non-finite rows (e.g. arr[np.isfinite(arr).all(axis=1)])"
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
        "'{file}' row {row} column {column}: '{value}' is not a number — the CSV must be numeric \
         with exactly one header row (rows and columns counted from 1 after the header; line {line} of the file)"
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
        "'{file}' row {row}: {found} fields but the header has {expected} — make every row \
         the same length (line {line} of the file)"
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
    #[error("{flag} '{text}': {problem} — write A:B (half-open, 0-based), e.g. {flag} 0:4")]
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
        "{flag} {start}:{end}: out of range for '{file}', which has {ncols} columns \
         — use A:B with 0 ≤ A < B ≤ {ncols}"
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
        "'{file}': labels must be integer class ids, found {value} at index {index} \
         — pass integer labels (e.g. labels.astype(np.int64))"
    )]
    NotInteger {
        /// The path as given.
        file: String,
        /// 0-based position of the first bad label.
        index: usize,
        /// The value found.
        value: String,
    },
}
