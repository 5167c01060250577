//! Shape, size and value checks shared by the readers, with the messages they give.
//!
//! Shapes are printed the way NumPy prints them, so a message can be compared with
//! `arr.shape` in Python.

use ndarray::{Array2, ArrayBase, ArrayD, Data, Dimension, Ix2};

use super::InputError;

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

/// Checks that `shape` × `itemsize` bytes are exactly the `available` bytes, without overflow:
/// fewer is [`InputError::SizeMismatch`] (truncated), more is [`InputError::TrailingBytes`].
///
/// Returns the number of elements.
pub(super) fn check_data_size(
    file: &str,
    shape: &[usize],
    itemsize: usize,
    available: u64,
) -> Result<usize, InputError> {
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let needed = count
        .and_then(|c| c.checked_mul(itemsize))
        .and_then(|n| u64::try_from(n).ok());
    match (count, needed) {
        (Some(c), Some(n)) if n == available => Ok(c),
        (Some(_), Some(n)) if n < available => Err(InputError::TrailingBytes {
            file: file.to_string(),
            shape: fmt_shape(shape),
            needed: n,
            extra: available - n,
        }),
        _ => Err(InputError::SizeMismatch {
            file: file.to_string(),
            shape: fmt_shape(shape),
            values: count.map_or_else(|| "more than 2^64".to_string(), |c| c.to_string()),
            needed: needed.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string()),
            bytes: available,
        }),
    }
}

/// Bytes of memory the process can use ([`crate::memory::limit`]). A reader refuses to hold more
/// than this for one input ([`check_fits`]): what a header declares is checked against it before
/// anything of that size is allocated.
pub(super) fn memory_limit() -> u64 {
    crate::memory::limit()
}

/// Errors with [`InputError::TooLarge`] unless `bytes` (None: beyond 2^64) fit in memory
/// ([`memory_limit`]); `what` says what would be held.
pub(super) fn check_fits(file: &str, what: &str, bytes: Option<u64>) -> Result<(), InputError> {
    let limit = memory_limit();
    match bytes {
        Some(b) if b <= limit => Ok(()),
        _ => Err(InputError::TooLarge {
            file: file.to_string(),
            what: what.to_string(),
            needed: bytes.map_or_else(|| "more than 2^64".to_string(), |b| b.to_string()),
            limit,
        }),
    }
}

/// Bytes of `count` values of `size` bytes each (None on overflow).
pub(super) fn bytes_of(count: usize, size: usize) -> Option<u64> {
    count.checked_mul(size).and_then(|b| u64::try_from(b).ok())
}

/// An empty vector with room for `count` values, after checking that they fit in memory
/// ([`check_fits`]); an allocation the system refuses is the same error, not an abort.
pub(super) fn vec_for<T>(file: &str, what: &str, count: usize) -> Result<Vec<T>, InputError> {
    let bytes = bytes_of(count, std::mem::size_of::<T>());
    check_fits(file, what, bytes)?;
    let mut v = Vec::new();
    v.try_reserve_exact(count)
        .map_err(|_| InputError::TooLarge {
            file: file.to_string(),
            what: what.to_string(),
            needed: bytes.map_or_else(|| "more than 2^64".to_string(), |b| b.to_string()),
            limit: memory_limit(),
        })?;
    Ok(v)
}

/// Errors unless every value is finite; reports the count and the first position.
pub fn check_finite<S, D>(a: &ArrayBase<S, D>, file: &str) -> Result<(), InputError>
where
    S: Data<Elem = f64>,
    D: Dimension,
{
    check_finite_flags(a.iter().map(|v| v.is_finite()), a.shape(), file)
}

/// [`check_finite`] over the finiteness of the values in logical (C) order of `shape`.
pub(super) fn check_finite_flags(
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
    Err(non_finite(file, shape, count, total, flat))
}

/// The error of [`check_finite`]: `count` of the `total` values of an array of `shape` are not
/// finite, the first at the flat C-order index `flat`.
pub(super) fn non_finite(
    file: &str,
    shape: &[usize],
    count: usize,
    total: usize,
    flat: usize,
) -> InputError {
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
    InputError::NonFinite {
        file: file.to_string(),
        count,
        total,
        location,
    }
}

/// Errors when an axis has length zero.
pub(super) fn check_nonempty(a: &ArrayD<f64>, file: &str) -> Result<(), InputError> {
    check_nonempty_shape(a.shape(), file)
}

/// Errors when an axis of `shape` has length zero.
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

/// The error for an array of the wrong number of dimensions.
pub(super) fn wrong_ndim(
    file: &str,
    expected: &'static str,
    shape: &[usize],
    hint: &str,
) -> InputError {
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
    matrix(a, file)
}

/// `a` as a 2-D array; an error (not a panic) if it is not 2-D.
pub(super) fn matrix<T>(a: ArrayD<T>, file: &str) -> Result<Array2<T>, InputError> {
    let shape = fmt_shape(a.shape());
    a.into_dimensionality::<Ix2>()
        .map_err(|e| InputError::Malformed {
            file: file.to_string(),
            format: "array",
            detail: format!("shape {shape}: {e}"),
        })
}

/// Errors unless `shape` is 2-D (N×d) without an empty axis.
pub fn check_matrix_shape(shape: &[usize], file: &str) -> Result<(), InputError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_beyond_memory_are_errors_not_aborts() {
        let e = vec_for::<u64>("x.npy", "the array", usize::MAX / 4).unwrap_err();
        assert!(matches!(e, InputError::TooLarge { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("'x.npy': the array needs") && text.contains("bytes of memory"),
            "{text}"
        );
        let e = check_fits("y.npz:emb", "member", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs more than 2^64 bytes"), "{e}");
        assert!(check_fits("z", "w", Some(1 << 20)).is_ok());
        assert!(memory_limit() > 1 << 20);
        let v: Vec<f32> = vec_for("x", "the array", 1000).unwrap();
        assert!(v.capacity() >= 1000 && v.is_empty());
    }

    #[test]
    fn data_sizes() {
        assert_eq!(check_data_size("f", &[2, 3], 4, 24).unwrap(), 6);
        let e = check_data_size("f", &[2, 3], 4, 20)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("(24 bytes) but the file holds 20 bytes") && e.contains("truncated"),
            "{e}"
        );
        let e = check_data_size("f", &[2, 3], 4, 30)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("6 trailing bytes after the 24 bytes") && !e.contains("truncated"),
            "{e}"
        );
        let e = check_data_size("f", &[usize::MAX, 3], 4, 30)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 2^64 values"), "{e}");
    }

    #[test]
    fn fmt_shape_like_numpy() {
        assert_eq!(fmt_shape(&[]), "()");
        assert_eq!(fmt_shape(&[10]), "(10,)");
        assert_eq!(fmt_shape(&[3, 4]), "(3, 4)");
    }
}
