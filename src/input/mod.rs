//! Input readers: embeddings, views and labels exported from PyTorch/NumPy.
//!
//! An INPUT on the command line is `PATH` or `PATH:KEY` (see [`spec`]):
//!
//! | format         | KEY                                             |
//! |----------------|-------------------------------------------------|
//! | `.npy`         | not allowed (one array per file)                |
//! | `.npz`         | array name; required when the archive holds more than one |
//! | `.safetensors` | tensor name; required when the file holds more than one   |
//! | `.csv`         | not allowed (numeric, exactly one header row)   |
//!
//! Entry points:
//! * [`read_matrix`]: an N×d embedding as [`Array2<f64>`];
//! * [`read_embedding`]: an N×d embedding in its stored precision (f32 or f64), streamed from
//!   disk for `.npy` and `.safetensors` (for `analyze` on large exports);
//! * [`read_views`]: N×K×d views (K augmented views of each of N inputs) as [`Array3<f64>`];
//! * [`read_labels`]: 1-D integer class ids as `Vec<i64>`;
//! * [`read_dataset`]: N×D or N×C×H×W training data, optionally flattened;
//! * [`read_array`]: any numeric array as [`ArrayD<f64>`], unchecked (NaN kept);
//! * [`fuzz_entry`]: parse bytes held in memory (for cargo-fuzz targets).
//!
//! Every reader validates sizes before allocating, never panics on malformed input and
//! returns an [`InputError`] whose message names the file and says what to do.
//! Accepted element types: f16, bf16, f32, f64, i8…i64, u8…u64 and bool, in either byte
//! order (npy) and in C or Fortran order (npy); all are converted to f64 exactly.

pub mod csv;
pub mod embedding;
pub mod npy;
pub mod npz;
pub mod safetensors;
pub mod spec;

use std::borrow::Cow;
use std::path::Path;

use ndarray::{Array2, Array3, Array4, ArrayD, Ix2, Ix3, Ix4, IxDyn, ShapeBuilder};

pub use embedding::read_embedding;
pub use spec::{ColRange, Format, InputSpec};

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

/// Element type of an array stored in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// Boolean, one byte (0 or 1).
    Bool,
    /// Unsigned integers.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 8-bit integer.
    I8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// IEEE half precision.
    F16,
    /// bfloat16 (upper half of an f32).
    BF16,
    /// IEEE single precision.
    F32,
    /// IEEE double precision.
    F64,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::U64 | DType::I64 | DType::F64 => 8,
        }
    }

    /// True for the floating-point types.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }
}

/// A decoded-header view of an array: shape, element type, layout and the raw data bytes.
///
/// Invariant (checked by the constructors in the format modules):
/// `data.len() == shape.product() * dtype.size()`.
#[derive(Debug, Clone)]
pub struct RawArray<'a> {
    /// Shape, outermost axis first.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Byte order of multi-byte elements.
    pub big_endian: bool,
    /// Column-major (Fortran) element order.
    pub fortran_order: bool,
    /// The element bytes.
    pub data: Cow<'a, [u8]>,
}

impl RawArray<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.size()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Converts every element to f64 (exactly for all types but 64-bit integers beyond 2^53),
    /// in the stored element order.
    fn values_f64(&self) -> Vec<f64> {
        let be = self.big_endian;
        let d: &[u8] = &self.data;
        match self.dtype {
            DType::Bool | DType::U8 => d.iter().map(|&b| f64::from(b)).collect(),
            DType::I8 => d.iter().map(|&b| f64::from(b as i8)).collect(),
            DType::U16 => map_chunks(d, |c: [u8; 2]| f64::from(u16_of(c, be))),
            DType::I16 => map_chunks(d, |c: [u8; 2]| f64::from(u16_of(c, be) as i16)),
            DType::F16 => map_chunks(d, |c: [u8; 2]| f16_to_f64(u16_of(c, be))),
            DType::BF16 => map_chunks(d, |c: [u8; 2]| bf16_to_f64(u16_of(c, be))),
            DType::U32 => map_chunks(d, |c: [u8; 4]| f64::from(u32_of(c, be))),
            DType::I32 => map_chunks(d, |c: [u8; 4]| f64::from(u32_of(c, be) as i32)),
            DType::F32 => map_chunks(d, |c: [u8; 4]| f64::from(f32::from_bits(u32_of(c, be)))),
            DType::U64 => map_chunks(d, |c: [u8; 8]| u64_of(c, be) as f64),
            DType::I64 => map_chunks(d, |c: [u8; 8]| u64_of(c, be) as i64 as f64),
            DType::F64 => map_chunks(d, |c: [u8; 8]| f64::from_bits(u64_of(c, be))),
        }
    }

    /// Converts to an n-D f64 array in standard (C) layout.
    pub fn to_f64(&self, file: &str) -> Result<ArrayD<f64>, InputError> {
        self.shaped(self.values_f64(), file)
    }

    /// The values as f32 when that is exact (f32, f16, bf16), in the stored element order.
    fn values_f32(&self) -> Option<Vec<f32>> {
        let be = self.big_endian;
        let d: &[u8] = &self.data;
        Some(match self.dtype {
            DType::F16 => map_chunks(d, |c: [u8; 2]| f16_to_f64(u16_of(c, be)) as f32),
            DType::BF16 => map_chunks(d, |c: [u8; 2]| bf16_to_f64(u16_of(c, be)) as f32),
            DType::F32 => map_chunks(d, |c: [u8; 4]| f32::from_bits(u32_of(c, be))),
            _ => return None,
        })
    }

    /// Converts to an n-D f32 array in standard (C) layout when that is exact (f32, f16,
    /// bf16); None for other element types.
    pub fn to_f32(&self, file: &str) -> Option<Result<ArrayD<f32>, InputError>> {
        self.values_f32().map(|v| self.shaped(v, file))
    }

    /// Values in the stored element order shaped as the array, in standard (C) layout.
    fn shaped<T: Clone>(&self, values: Vec<T>, file: &str) -> Result<ArrayD<T>, InputError> {
        let shape = IxDyn(&self.shape);
        let built = if self.fortran_order {
            ArrayD::from_shape_vec(shape.f(), values)
        } else {
            ArrayD::from_shape_vec(shape, values)
        };
        let arr = built.map_err(|e| InputError::Malformed {
            file: file.to_string(),
            format: "array",
            detail: format!(
                "shape {} does not fit the data: {e}",
                fmt_shape(&self.shape)
            ),
        })?;
        if self.fortran_order && arr.ndim() > 1 {
            Ok(arr.as_standard_layout().into_owned())
        } else {
            Ok(arr)
        }
    }

    /// Converts to integer labels in C order; floats must be finite and integral.
    pub fn to_labels(&self, file: &str) -> Result<Vec<i64>, InputError> {
        let not_int = |index: usize, value: String| InputError::NotInteger {
            file: file.to_string(),
            index,
            value,
        };
        let be = self.big_endian;
        let labels: Vec<i64> = match self.dtype {
            DType::U64 => {
                let raw = map_chunks(&self.data, |c: [u8; 8]| u64_of(c, be));
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.into_iter().enumerate() {
                    out.push(i64::try_from(v).map_err(|_| not_int(i, v.to_string()))?);
                }
                out
            }
            DType::I64 => map_chunks(&self.data, |c: [u8; 8]| u64_of(c, be) as i64),
            dt if dt.is_float() => {
                let vals = self.values_f64();
                let mut out = Vec::with_capacity(vals.len());
                // 2^63 as f64; values in [-2^63, 2^63) convert exactly.
                const LIM: f64 = 9_223_372_036_854_775_808.0;
                for (i, v) in vals.into_iter().enumerate() {
                    if !v.is_finite() || v.fract() != 0.0 || !(-LIM..LIM).contains(&v) {
                        return Err(not_int(i, format!("{v}")));
                    }
                    out.push(v as i64);
                }
                out
            }
            // Every remaining integer type fits in f64 exactly.
            _ => self.values_f64().into_iter().map(|v| v as i64).collect(),
        };
        if self.fortran_order && self.shape.len() > 1 {
            let arr = ArrayD::from_shape_vec(IxDyn(&self.shape).f(), labels).map_err(|e| {
                InputError::Malformed {
                    file: file.to_string(),
                    format: "array",
                    detail: e.to_string(),
                }
            })?;
            Ok(arr.iter().copied().collect())
        } else {
            Ok(labels)
        }
    }
}

fn map_chunks<const N: usize, T>(d: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    let (chunks, _rest) = d.as_chunks::<N>();
    chunks.iter().map(|c| f(*c)).collect()
}

fn u16_of(c: [u8; 2], be: bool) -> u16 {
    if be {
        u16::from_be_bytes(c)
    } else {
        u16::from_le_bytes(c)
    }
}

fn u32_of(c: [u8; 4], be: bool) -> u32 {
    if be {
        u32::from_be_bytes(c)
    } else {
        u32::from_le_bytes(c)
    }
}

fn u64_of(c: [u8; 8], be: bool) -> u64 {
    if be {
        u64::from_be_bytes(c)
    } else {
        u64::from_le_bytes(c)
    }
}

/// IEEE 754 binary16 → f64, exact (subnormals, ±inf and NaN included).
pub fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    let mag = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + mant) * 2f64.powi(exp - 25),
    };
    sign * mag
}

/// bfloat16 → f64, exact (bf16 is the upper half of an f32).
pub fn bf16_to_f64(bits: u16) -> f64 {
    f64::from(f32::from_bits(u32::from(bits) << 16))
}

/// Formats a shape the way NumPy prints it: `(10,)`, `(3, 4)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Checks that `shape` × `itemsize` bytes are exactly the `available` bytes, without overflow.
///
/// Returns the number of elements.
pub(crate) fn check_data_size(
    file: &str,
    shape: &[usize],
    itemsize: usize,
    available: usize,
) -> Result<usize, InputError> {
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let needed = count.and_then(|c| c.checked_mul(itemsize));
    match (count, needed) {
        (Some(c), Some(n)) if n == available => Ok(c),
        _ => Err(InputError::SizeMismatch {
            file: file.to_string(),
            shape: fmt_shape(shape),
            values: count.map_or_else(|| "more than 2^64".to_string(), |c| c.to_string()),
            needed: needed.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string()),
            bytes: available,
        }),
    }
}

/// Reads a whole file, mapping "not found" and "empty" to their own errors.
fn read_file(path: &Path, file: &str) -> Result<Vec<u8>, InputError> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            InputError::NotFound {
                file: file.to_string(),
            }
        } else {
            InputError::Io {
                file: file.to_string(),
                source,
            }
        }
    })?;
    if bytes.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    Ok(bytes)
}

/// Decodes the selected array of an in-memory file into an f64 array (no finiteness check).
///
/// `file` names the input in messages; `key` selects the array of an `.npz`/`.safetensors`.
pub fn parse_array(
    bytes: &[u8],
    format: Format,
    key: Option<&str>,
    file: &str,
) -> Result<ArrayD<f64>, InputError> {
    with_raw(bytes, format, key, file, |raw, name| raw.to_f64(name))
}

/// Runs `f` on the selected array of an in-memory file, with the name to use in messages.
fn with_raw<T>(
    bytes: &[u8],
    format: Format,
    key: Option<&str>,
    file: &str,
    f: impl FnOnce(&RawArray<'_>, &str) -> Result<T, InputError>,
) -> Result<T, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    let no_key = |format: &'static str| match key {
        Some(k) => Err(InputError::KeyNotAllowed {
            file: file.to_string(),
            format,
            key: k.to_string(),
        }),
        None => Ok(()),
    };
    match format {
        Format::Npy => {
            no_key(".npy")?;
            let raw = npy::parse(bytes, file)?;
            f(&raw, file)
        }
        Format::Npz => {
            let (name, member) = npz::read_member(bytes, key, file)?;
            let label = format!("{file}:{name}");
            let raw = npy::parse(&member, &label)?;
            f(&raw, &label)
        }
        Format::Safetensors => {
            let raw = safetensors::parse(bytes, key, file)?;
            f(&raw, file)
        }
        Format::Csv => {
            no_key(".csv")?;
            let m = csv::parse(bytes, file)?;
            let raw = RawArray {
                shape: vec![m.nrows(), m.ncols()],
                dtype: DType::F64,
                big_endian: false,
                fortran_order: false,
                data: Cow::Owned(m.iter().flat_map(|v| v.to_le_bytes()).collect()),
            };
            f(&raw, file)
        }
    }
}

/// Reads the array named by `spec` and runs `f` on it.
fn read_raw<T>(
    spec: &InputSpec,
    f: impl FnOnce(&RawArray<'_>, &str) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let file = spec.path.display().to_string();
    let bytes = read_file(&spec.path, &file)?;
    with_raw(&bytes, spec.format, spec.key.as_deref(), &file, f)
}

/// Reads any numeric array as f64 in C order. NaN/inf are kept; no shape check.
pub fn read_array(spec: &InputSpec) -> Result<ArrayD<f64>, InputError> {
    read_raw(spec, |raw, name| raw.to_f64(name))
}

/// Errors unless every value is finite; reports the count and the first position.
pub fn check_finite(a: &ArrayD<f64>, file: &str) -> Result<(), InputError> {
    check_finite_flags(a.iter().map(|v| v.is_finite()), a.shape(), file)
}

/// [`check_finite`] over the finiteness of the values in logical (C) order of `shape`.
fn check_finite_flags(
    finite: impl Iterator<Item = bool>,
    shape: &[usize],
    file: &str,
) -> Result<(), InputError> {
    let mut first = None;
    let mut count = 0usize;
    let mut total = 0usize;
    for (i, ok) in finite.enumerate() {
        total += 1;
        if !ok {
            count += 1;
            if first.is_none() {
                first = Some(i);
            }
        }
    }
    let Some(flat) = first else { return Ok(()) };
    // Flat C-order index → multi-index (the array iterates in logical order).
    let mut idx = vec![0usize; shape.len()];
    let mut rem = flat;
    for (axis, &len) in shape.iter().enumerate().rev() {
        if len > 0 {
            idx[axis] = rem % len;
            rem /= len;
        }
    }
    let location = match idx.as_slice() {
        [r, c] => format!("row {r}, column {c} (0-based)"),
        [i] => format!("index {i} (0-based)"),
        _ => {
            let parts: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
            format!("index [{}] (0-based)", parts.join(", "))
        }
    };
    Err(InputError::NonFinite {
        file: file.to_string(),
        count,
        total,
        location,
    })
}

/// Errors when an axis has length zero.
fn check_nonempty(a: &ArrayD<f64>, file: &str) -> Result<(), InputError> {
    check_nonempty_shape(a.shape(), file)
}

fn check_nonempty_shape(shape: &[usize], file: &str) -> Result<(), InputError> {
    if let Some(axis) = shape.iter().position(|&d| d == 0) {
        let what = match axis {
            0 => "zero rows",
            _ if axis + 1 == shape.len() => "zero columns",
            _ => "a zero-length axis",
        };
        return Err(InputError::EmptyArray {
            file: file.to_string(),
            shape: fmt_shape(shape),
            what,
        });
    }
    Ok(())
}

fn wrong_ndim(file: &str, expected: &'static str, shape: &[usize], hint: &str) -> InputError {
    InputError::WrongNdim {
        file: file.to_string(),
        expected,
        shape: fmt_shape(shape),
        hint: hint.to_string(),
    }
}

/// Validates an n-D array as an N×d embedding matrix.
pub fn into_matrix(a: ArrayD<f64>, file: &str) -> Result<Array2<f64>, InputError> {
    check_matrix_shape(a.shape(), file)?;
    check_finite(&a, file)?;
    Ok(a.into_dimensionality::<Ix2>().expect("checked to be 2-D"))
}

/// Errors unless `shape` is 2-D (N×d) without an empty axis.
fn check_matrix_shape(shape: &[usize], file: &str) -> Result<(), InputError> {
    let hint = match shape.len() {
        2 => return check_nonempty_shape(shape, file),
        0 => "pass an array of N rows, not a scalar",
        1 => "reshape to (N, 1) or pass the 2-D export",
        3 => "N×K×d views belong in --views; otherwise reshape to (N, d)",
        4 => "flatten images to (N, C·H·W), e.g. arr.reshape(len(arr), -1)",
        _ => "reshape to (N, d)",
    };
    Err(wrong_ndim(file, "a 2-D array (N×d)", shape, hint))
}

/// Reads an N×d embedding (2-D, non-empty, finite) as f64.
pub fn read_matrix(spec: &InputSpec) -> Result<Array2<f64>, InputError> {
    let file = spec.display_name();
    into_matrix(read_array(spec)?, &file)
}

/// Reads N×K×d views (K augmented views of each of N inputs; 3-D, non-empty, finite).
pub fn read_views(spec: &InputSpec) -> Result<Array3<f64>, InputError> {
    const EXPECTED: &str = "a 3-D array of views (N×K×d)";
    let file = spec.display_name();
    let a = read_array(spec)?;
    if a.ndim() != 3 {
        let hint = match a.ndim() {
            2 => {
                "views are K augmented views of each of N inputs; a 2-D N×d array belongs in \
                  INPUT or --target, or reshape to (N, K, d)"
            }
            _ => "reshape to (N, K, d): K augmented views of each of N inputs",
        };
        return Err(wrong_ndim(&file, EXPECTED, a.shape(), hint));
    }
    check_nonempty(&a, &file)?;
    check_finite(&a, &file)?;
    a.into_dimensionality::<Ix3>()
        .map_err(|_| wrong_ndim(&file, EXPECTED, &[], "reshape to (N, K, d)"))
}

/// Reads 1-D integer labels (any integer dtype, bool, or floats with integral values).
///
/// An (N, 1) column is accepted as well, since CSV exports always have two dimensions.
pub fn read_labels(spec: &InputSpec) -> Result<Vec<i64>, InputError> {
    let file = spec.display_name();
    read_raw(spec, |raw, _| labels_from_raw(raw, &file))
}

fn labels_from_raw(raw: &RawArray<'_>, file: &str) -> Result<Vec<i64>, InputError> {
    match raw.shape.as_slice() {
        [_] | [_, 1] => {}
        s => {
            return Err(wrong_ndim(
                file,
                "a 1-D array of labels (N,)",
                s,
                "pass a 1-D array of integer class ids, e.g. labels.reshape(-1)",
            ))
        }
    }
    if raw.is_empty() {
        return Err(InputError::EmptyArray {
            file: file.to_string(),
            shape: fmt_shape(&raw.shape),
            what: "zero labels",
        });
    }
    raw.to_labels(file)
}

/// Training data: N×D rows, or N×C×H×W images.
#[derive(Debug, Clone)]
pub enum Dataset {
    /// N×D rows (also flattened images).
    Matrix(Array2<f64>),
    /// N×C×H×W images, kept 4-D.
    Images(Array4<f64>),
}

impl Dataset {
    /// Number of samples N.
    pub fn len(&self) -> usize {
        match self {
            Dataset::Matrix(m) => m.nrows(),
            Dataset::Images(a) => a.shape()[0],
        }
    }

    /// True when there are no samples (never the case for a dataset returned by a reader).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shape of one sample: `[D]` or `[C, H, W]`.
    pub fn sample_shape(&self) -> Vec<usize> {
        match self {
            Dataset::Matrix(m) => vec![m.ncols()],
            Dataset::Images(a) => a.shape()[1..].to_vec(),
        }
    }

    /// N×(features) view of the data, flattening images in C order (C, then H, then W).
    pub fn into_matrix(self) -> Array2<f64> {
        match self {
            Dataset::Matrix(m) => m,
            Dataset::Images(a) => {
                let n = a.shape()[0];
                let d: usize = a.shape()[1..].iter().product();
                let (v, _offset) = a
                    .as_standard_layout()
                    .into_owned()
                    .into_raw_vec_and_offset();
                // Same number of elements in standard layout: cannot fail.
                Array2::from_shape_vec((n, d), v).unwrap_or_else(|_| Array2::zeros((0, 0)))
            }
        }
    }
}

/// Validates an n-D array as training data (N×D, or N×C×H×W flattened when `flatten`).
pub fn into_dataset(a: ArrayD<f64>, file: &str, flatten: bool) -> Result<Dataset, InputError> {
    const EXPECTED: &str = "a 2-D (N×D) or 4-D (N×C×H×W) array";
    match a.ndim() {
        2 => into_matrix(a, file).map(Dataset::Matrix),
        4 => {
            check_nonempty(&a, file)?;
            check_finite(&a, file)?;
            let a = a
                .into_dimensionality::<Ix4>()
                .map_err(|_| wrong_ndim(file, EXPECTED, &[], "reshape to (N, D)"))?;
            let ds = Dataset::Images(a);
            Ok(if flatten {
                Dataset::Matrix(ds.into_matrix())
            } else {
                ds
            })
        }
        _ => Err(wrong_ndim(
            file,
            EXPECTED,
            a.shape(),
            "reshape to (N, D) or (N, C, H, W)",
        )),
    }
}

/// Reads training data: N×D, or N×C×H×W (returned flattened to N×(C·H·W) when `flatten`).
pub fn read_dataset(spec: &InputSpec, flatten: bool) -> Result<Dataset, InputError> {
    let file = spec.display_name();
    into_dataset(read_array(spec)?, &file, flatten)
}

/// Parses a whole in-memory file of the given format and decodes every array in it.
///
/// For fuzzing: must return `Err` (never panic, never allocate beyond a small multiple of the
/// input) on any malformed input. Returns `(name, array)` pairs; `.npy`/`.csv` give one array
/// named `""`.
pub fn fuzz_entry(bytes: &[u8], format: Format) -> Result<Vec<(String, ArrayD<f64>)>, InputError> {
    const FILE: &str = "<memory>";
    let names = match format {
        Format::Npy | Format::Csv => vec![None],
        Format::Npz => npz::array_names(bytes, FILE)?
            .into_iter()
            .map(Some)
            .collect(),
        Format::Safetensors => safetensors::tensor_names(bytes, FILE)?
            .into_iter()
            .map(Some)
            .collect(),
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let a = with_raw(bytes, format, name.as_deref(), FILE, |raw, f| {
            // Exercise the label path too (its errors are expected for float data).
            let _ = raw.to_labels(f);
            raw.to_f64(f)
        })?;
        out.push((name.unwrap_or_default(), a));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::npy::test_util::npy_bytes;
    use super::*;

    fn spec_for(dir: &Path, name: &str, bytes: &[u8], key: Option<&str>) -> InputSpec {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        let s = match key {
            Some(k) => format!("{}:{k}", p.display()),
            None => p.display().to_string(),
        };
        InputSpec::parse(&s).expect("spec")
    }

    fn f64s(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn f16_and_bf16_conversion() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x0400), 2f64.powi(-14));
        assert_eq!(f16_to_f64(0x3555), 0.333_251_953_125);
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert_eq!(f16_to_f64(0xfc00), f64::NEG_INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
        assert_eq!(f16_to_f64(0x8000).to_bits(), (-0.0f64).to_bits());
        assert_eq!(bf16_to_f64(0x3f80), 1.0);
        assert_eq!(bf16_to_f64(0xc0a0), -5.0);
        assert_eq!(bf16_to_f64(0x3e20), 0.15625);
    }

    #[test]
    fn fmt_shape_like_numpy() {
        assert_eq!(fmt_shape(&[]), "()");
        assert_eq!(fmt_shape(&[10]), "(10,)");
        assert_eq!(fmt_shape(&[3, 4]), "(3, 4)");
    }

    #[test]
    fn matrix_rejects_wrong_ndim_with_hint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let one_d = npy_bytes("<f8", false, &[10], &f64s(&[0.5; 10]));
        let s = spec_for(dir.path(), "emb.npy", &one_d, None);
        let e = read_matrix(&s).expect_err("1-D").to_string();
        assert!(
            e.contains("emb.npy': expected a 2-D array (N×d), found shape (10,)"),
            "{e}"
        );
        assert!(e.contains("reshape to (N, 1)"), "{e}");

        let four_d = npy_bytes("<f8", false, &[1, 1, 1, 2], &f64s(&[1.0, 2.0]));
        let s = spec_for(dir.path(), "img.npy", &four_d, None);
        let e = read_matrix(&s).expect_err("4-D").to_string();
        assert!(
            e.contains("found shape (1, 1, 1, 2)") && e.contains("flatten"),
            "{e}"
        );

        let two_d = npy_bytes("<f8", false, &[1, 2], &f64s(&[1.0, 2.0]));
        let s = spec_for(dir.path(), "two.npy", &two_d, None);
        let e = read_views(&s).expect_err("2-D views").to_string();
        assert!(
            e.contains("expected a 3-D array of views (N×K×d), found shape (1, 2)"),
            "{e}"
        );
    }

    #[test]
    fn zero_rows_and_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = spec_for(
            dir.path(),
            "r.npy",
            &npy_bytes("<f4", false, &[0, 3], &[]),
            None,
        );
        let e = read_matrix(&s).expect_err("zero rows").to_string();
        assert!(e.contains("shape (0, 3): zero rows"), "{e}");
        let s = spec_for(
            dir.path(),
            "c.npy",
            &npy_bytes("<f4", false, &[3, 0], &[]),
            None,
        );
        let e = read_matrix(&s).expect_err("zero cols").to_string();
        assert!(e.contains("shape (3, 0): zero columns"), "{e}");
        let s = spec_for(
            dir.path(),
            "l.npy",
            &npy_bytes("<i8", false, &[0], &[]),
            None,
        );
        let e = read_labels(&s).expect_err("zero labels").to_string();
        assert!(e.contains("zero labels"), "{e}");
    }

    #[test]
    fn non_finite_reports_first_and_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = [1.0, 2.0, 3.0, f64::NAN, 5.0, f64::INFINITY];
        let s = spec_for(
            dir.path(),
            "n.npy",
            &npy_bytes("<f8", false, &[3, 2], &f64s(&v)),
            None,
        );
        let e = read_matrix(&s).expect_err("nan").to_string();
        assert!(e.contains("2 non-finite value(s)"), "{e}");
        assert!(e.contains("first at row 1, column 1 (0-based)"), "{e}");
        assert!(e.contains("remove or impute non-finite rows"), "{e}");
        // read_array keeps them.
        let a = read_array(&s).expect("raw");
        assert!(a[[1, 1]].is_nan());
        // Views report a 3-D index.
        let s = spec_for(
            dir.path(),
            "v.npy",
            &npy_bytes("<f8", false, &[1, 3, 2], &f64s(&v)),
            None,
        );
        let e = read_views(&s).expect_err("nan").to_string();
        assert!(e.contains("index [0, 1, 1]"), "{e}");
    }

    #[test]
    fn views_and_labels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v: Vec<f64> = (0..12).map(f64::from).collect();
        let s = spec_for(
            dir.path(),
            "v.npy",
            &npy_bytes("<f8", false, &[2, 3, 2], &f64s(&v)),
            None,
        );
        let a = read_views(&s).expect("views");
        assert_eq!(a.shape(), &[2, 3, 2]);
        assert_eq!(a[[1, 2, 1]], 11.0);

        let lab: Vec<u8> = [3i32, -1, 7].iter().flat_map(|x| x.to_be_bytes()).collect();
        let s = spec_for(
            dir.path(),
            "l.npy",
            &npy_bytes(">i4", false, &[3], &lab),
            None,
        );
        assert_eq!(read_labels(&s).expect("labels"), vec![3, -1, 7]);

        let lab = f64s(&[1.0, 2.0, 0.0]);
        let s = spec_for(
            dir.path(),
            "lf.npy",
            &npy_bytes("<f8", false, &[3, 1], &lab),
            None,
        );
        assert_eq!(read_labels(&s).expect("float labels"), vec![1, 2, 0]);

        let lab = f64s(&[1.0, 2.5]);
        let s = spec_for(
            dir.path(),
            "lb.npy",
            &npy_bytes("<f8", false, &[2], &lab),
            None,
        );
        let e = read_labels(&s).expect_err("non-integral").to_string();
        assert!(e.contains("found 2.5 at index 1"), "{e}");

        let lab: Vec<u8> = [u64::MAX].iter().flat_map(|x| x.to_le_bytes()).collect();
        let s = spec_for(
            dir.path(),
            "lu.npy",
            &npy_bytes("<u8", false, &[1], &lab),
            None,
        );
        assert!(read_labels(&s).is_err());

        let s = spec_for(
            dir.path(),
            "l2.npy",
            &npy_bytes("|u1", false, &[2, 2], &[1, 2, 3, 4]),
            None,
        );
        let e = read_labels(&s).expect_err("2-D labels").to_string();
        assert!(
            e.contains("expected a 1-D array of labels (N,), found shape (2, 2)"),
            "{e}"
        );

        let s = spec_for(
            dir.path(),
            "lbool.npy",
            &npy_bytes("|b1", false, &[3], &[1, 0, 1]),
            None,
        );
        assert_eq!(read_labels(&s).expect("bool labels"), vec![1, 0, 1]);
    }

    #[test]
    fn dataset_flattens_images() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v: Vec<f64> = (0..24).map(f64::from).collect();
        let s = spec_for(
            dir.path(),
            "img.npy",
            &npy_bytes("<f8", false, &[2, 3, 2, 2], &f64s(&v)),
            None,
        );
        let ds = read_dataset(&s, false).expect("images");
        assert_eq!(ds.sample_shape(), vec![3, 2, 2]);
        assert!(matches!(ds, Dataset::Images(_)));
        let m = match read_dataset(&s, true).expect("flat") {
            Dataset::Matrix(m) => m,
            Dataset::Images(_) => panic!("expected a matrix"),
        };
        assert_eq!(m.shape(), &[2, 12]);
        assert_eq!(m[[1, 0]], 12.0);
        assert_eq!(m[[1, 11]], 23.0);
        // Fortran-ordered images flatten in logical C order too.
        let fv: Vec<f64> = {
            let a = ArrayD::from_shape_vec(IxDyn(&[2, 3, 2, 2]), v.clone()).expect("shape");
            a.t().iter().copied().collect()
        };
        let s = spec_for(
            dir.path(),
            "imgf.npy",
            &npy_bytes("<f8", true, &[2, 3, 2, 2], &f64s(&fv)),
            None,
        );
        let m = read_dataset(&s, true).expect("flat").into_matrix();
        assert_eq!(m.iter().copied().collect::<Vec<_>>(), v);

        let s = spec_for(
            dir.path(),
            "three.npy",
            &npy_bytes("<f8", false, &[2, 3, 4], &f64s(&v)),
            None,
        );
        let e = read_dataset(&s, true).expect_err("3-D").to_string();
        assert!(
            e.contains("expected a 2-D (N×D) or 4-D (N×C×H×W) array"),
            "{e}"
        );
    }

    #[test]
    fn missing_and_empty_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("nope.npy");
        let s = InputSpec::parse(&p.display().to_string()).expect("spec");
        let e = read_matrix(&s).expect_err("missing").to_string();
        assert!(e.contains("nope.npy': no such file"), "{e}");
        for name in ["e.npy", "e.npz", "e.safetensors", "e.csv"] {
            let s = spec_for(dir.path(), name, &[], None);
            let e = read_matrix(&s).expect_err("empty").to_string();
            assert!(e.contains("the file is empty"), "{name}: {e}");
        }
    }

    #[test]
    fn key_not_allowed_for_npy_and_csv() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = spec_for(dir.path(), "x.csv", b"a,b\n1,2\n", Some("emb"));
        let e = read_matrix(&s).expect_err("key on csv").to_string();
        assert!(
            e.contains("a .csv file holds a single array, but KEY 'emb' was given"),
            "{e}"
        );
        let s = spec_for(
            dir.path(),
            "x.npy",
            &npy_bytes("<f8", false, &[1, 1], &f64s(&[1.0])),
            Some("k"),
        );
        let e = read_matrix(&s).expect_err("key on npy").to_string();
        assert!(e.contains("KEY 'k'"), "{e}");
    }

    #[test]
    fn fuzz_entry_smoke() {
        let bytes = npy_bytes("<f4", false, &[2, 2], &[0; 16]);
        let out = fuzz_entry(&bytes, Format::Npy).expect("valid");
        assert_eq!(out.len(), 1);
        for f in [Format::Npy, Format::Npz, Format::Safetensors] {
            assert!(fuzz_entry(b"\x00\x01garbage", f).is_err());
            assert!(fuzz_entry(b"", f).is_err());
        }
        assert!(fuzz_entry(b"", Format::Csv).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        // xorshift64*: deterministic, no dependency.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let prefixes: [&[u8]; 5] = [
            b"",
            b"\x93NUMPY\x01\x00",
            b"\x93NUMPY\x02\x00",
            b"PK\x03\x04",
            b"a,b\n",
        ];
        for round in 0..3000 {
            let len = (next() % 200) as usize;
            let mut bytes = prefixes[round % prefixes.len()].to_vec();
            bytes.extend((0..len).map(|_| (next() & 0xff) as u8));
            for f in [Format::Npy, Format::Npz, Format::Safetensors, Format::Csv] {
                let _ = fuzz_entry(&bytes, f);
            }
            // Safetensors: a plausible header length followed by noise.
            let mut st = (len as u64).to_le_bytes().to_vec();
            st.extend_from_slice(&bytes);
            let _ = fuzz_entry(&st, Format::Safetensors);
        }
    }
}
