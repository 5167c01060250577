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
//! * [`read_matrix`]: an N×d embedding as [`Array2<f64>`](ndarray::Array2);
//! * [`read_embedding`]: an N×d embedding in its stored precision (f32 or f64), streamed from
//!   disk for `.npy`, `.npz` members (decompressed on the fly) and `.safetensors` (for
//!   `analyze` on large exports);
//! * [`read_views`]: N×K×d views (K augmented views of each of N inputs) as
//!   [`Array3<f64>`](ndarray::Array3);
//! * [`read_labels`]: 1-D integer class ids as `Vec<i64>`;
//! * [`read_dataset`]: N×D or N×C×H×W training data, optionally flattened;
//! * [`read_array`]: any numeric array as [`ArrayD<f64>`](ndarray::ArrayD), unchecked (NaN
//!   kept);
//! * [`fuzz_entry`]: parse bytes held in memory (for cargo-fuzz targets).
//!
//! Element types: f16, bf16, f32, f64, i8…i64, u8…u64 and bool, in either byte order (npy)
//! and in C or Fortran order (npy); all are converted to f64 exactly (64-bit integers up to
//! 2^53 in magnitude).
//!
//! Error policy: every reader validates sizes before allocating, never panics on malformed
//! input and returns an [`InputError`] whose message names the file (`PATH` or `PATH:KEY`)
//! and says how to fix it.
//!
//! Files are untrusted: only regular files are opened (a device, FIFO, socket or directory is
//! refused from its metadata, before it is opened); no read goes past the file's size (or an
//! `.npz` member's declared size); what a header declares must account for exactly the bytes
//! present and fit in memory before it is allocated; messages quote names, keys and fields
//! with control characters escaped ([`crate::files::shown`]).
//!
//! One concept a file: `spec` (the INPUT argument and column ranges), `error`
//! ([`InputError`]), `dtype` (element types, byte order and the raw array [`RawArray`]), one
//! reader per format (`npy`, `npz`, `safetensors`, `csv`), `read` (format dispatch and the
//! checked entry points), `checks` (shape, size and finiteness checks), `embedding` (the
//! streaming reader for `analyze`) and `dataset` (training data).

mod checks;
pub mod csv;
mod dataset;
mod dtype;
pub mod embedding;
mod error;
pub mod members;
pub mod npy;
pub mod npy_blocks;
pub mod npz;
mod read;
pub mod safetensors;
pub mod spec;

pub use checks::{check_finite, check_matrix_shape, fmt_shape, into_matrix};
pub use dataset::{into_dataset, read_dataset, Dataset};
pub use dtype::{DType, RawArray};
pub use embedding::read_embedding;
pub use error::InputError;
pub use npy_blocks::NpyBlocks;
pub use read::{fuzz_entry, parse_array, read_array, read_labels, read_matrix, read_views};
pub use spec::{ColRange, Format, InputSpec};
