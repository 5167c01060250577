//! From a file (or bytes in memory) to a checked array: the format is chosen by the INPUT's
//! extension, the KEY selects the array of an `.npz`/`.safetensors`, and the entry points
//! check the number of dimensions, empty axes and finiteness.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use ndarray::{Array2, Array3, ArrayD, Ix3};

use super::checks::{check_finite, check_nonempty, into_matrix, vec_for, wrong_ndim};
use super::dtype::{DType, RawArray};
use super::{csv, npy, npz, safetensors};
use super::{fmt_shape, Format, InputError, InputSpec};

/// Opens the input file `path` (named `file` in messages) with its size in bytes.
///
/// Only a regular file (or a symlink to one) is opened: a device such as `/dev/zero`, a FIFO,
/// a socket or a directory is refused from its metadata, before it is opened (opening a FIFO
/// would block), with [`InputError::NotRegular`]. Every read of the file is then bounded by
/// the size returned here.
pub(super) fn open_input(path: &Path, file: &str) -> Result<(File, u64), InputError> {
    crate::files::open_regular(path).map_err(open_error(file))
}

/// The [`InputError`] of an I/O error on `file`: a missing file, a path that is not a regular
/// file ([`crate::files::open_regular`]'s `InvalidInput`), or any other I/O failure.
pub(super) fn open_error(file: &str) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |error| match error.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound {
            file: file.to_string(),
        },
        std::io::ErrorKind::InvalidInput => InputError::NotRegular {
            file: file.to_string(),
            detail: error.to_string(),
        },
        _ => InputError::Io {
            file: file.to_string(),
            error,
        },
    }
}

/// Reads a whole regular file ([`open_input`]), no more bytes than its size, after checking
/// that they fit in memory; "empty" is its own error.
fn read_file(path: &Path, file: &str) -> Result<Vec<u8>, InputError> {
    let (f, len) = open_input(path, file)?;
    if len == 0 {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    let count = usize::try_from(len).unwrap_or(usize::MAX);
    let mut bytes: Vec<u8> = vec_for(file, "the file", count)?;
    f.take(len)
        .read_to_end(&mut bytes)
        .map_err(|error| InputError::Io {
            file: file.to_string(),
            error,
        })?;
    if bytes.len() as u64 != len {
        return Err(InputError::Io {
            file: file.to_string(),
            error: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the file shrank while it was read ({} of {len} bytes)",
                    bytes.len()
                ),
            ),
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
pub(super) fn with_raw<T>(
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
            with_member(&name, &member, file, f)
        }
        Format::Safetensors => {
            let raw = safetensors::parse(bytes, key, file)?;
            f(&raw, file)
        }
        Format::Csv => {
            no_key(".csv")?;
            let (shape, data) = csv::parse_le_bytes(bytes, file)?;
            let raw = RawArray {
                shape: shape.to_vec(),
                dtype: DType::F64,
                big_endian: false,
                fortran_order: false,
                data: Cow::Owned(data),
            };
            f(&raw, file)
        }
    }
}

/// Runs `f` on the `.npy` bytes `member` of the array `name` of the archive `file`.
fn with_member<T>(
    name: &str,
    member: &[u8],
    file: &str,
    f: impl FnOnce(&RawArray<'_>, &str) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let label = format!("{file}:{name}");
    let raw = npy::parse(member, &label)?;
    f(&raw, &label)
}

/// Reads the array named by `spec` and runs `f` on it.
pub(super) fn read_raw<T>(
    spec: &InputSpec,
    f: impl FnOnce(&RawArray<'_>, &str) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let file = spec.path.display().to_string();
    if spec.format == Format::Npz {
        // Only the selected member is decompressed, not the whole archive read.
        let mut archive = npz::open_file(&spec.path, &file)?;
        let (name, member) = npz::read_member_from(&mut archive, spec.key.as_deref(), &file)?;
        return with_member(&name, &member, &file, f);
    }
    let bytes = read_file(&spec.path, &file)?;
    with_raw(&bytes, spec.format, spec.key.as_deref(), &file, f)
}

/// Reads any numeric array as f64 in C order. NaN/inf are kept; no shape check.
pub fn read_array(spec: &InputSpec) -> Result<ArrayD<f64>, InputError> {
    read_raw(spec, |raw, name| raw.to_f64(name))
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
    use super::super::npy::test_util::{f64s, npy_bytes, spec_for};
    use super::*;

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

        let lab: Vec<u8> = [1, i64::MAX as u64, u64::MAX]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let s = spec_for(
            dir.path(),
            "lu.npy",
            &npy_bytes("<u8", false, &[3], &lab),
            None,
        );
        let e = read_labels(&s).expect_err("u64 beyond i64").to_string();
        assert!(
            e.contains("label 18446744073709551615 at index 2 is out of range"),
            "{e}"
        );
        assert!(!e.contains("integer class ids, found"), "{e}");
        let lab = f64s(&[1.0, 1e19]);
        let s = spec_for(
            dir.path(),
            "lbig.npy",
            &npy_bytes("<f8", false, &[2], &lab),
            None,
        );
        let e = read_labels(&s).expect_err("float beyond i64").to_string();
        assert!(
            e.contains("label 10000000000000000000 at index 1 is out of range"),
            "{e}"
        );
        let lab = f64s(&[f64::NAN]);
        let s = spec_for(
            dir.path(),
            "lnan.npy",
            &npy_bytes("<f8", false, &[1], &lab),
            None,
        );
        let e = read_labels(&s).expect_err("nan").to_string();
        assert!(e.contains("found NaN at index 0"), "{e}");

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

    #[cfg(unix)]
    #[test]
    fn non_regular_files_are_refused_without_opening_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("f.npy");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("path");
        // SAFETY: a NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let d = dir.path().join("d.csv");
        std::fs::create_dir(&d).expect("dir");
        for (path, kind) in [(&fifo, "a FIFO"), (&d, "a directory")] {
            // Past InputSpec::parse (which refuses them too), straight to the readers.
            for format in [Format::Npy, Format::Npz, Format::Safetensors, Format::Csv] {
                let spec = InputSpec {
                    path: path.clone(),
                    key: None,
                    format,
                };
                let e = read_array(&spec).expect_err("refused");
                assert!(matches!(e, InputError::NotRegular { .. }), "{e:?}");
                let e = e.to_string();
                assert!(e.contains(kind) && e.contains("not a regular file"), "{e}");
                let e = crate::input::read_embedding(&spec)
                    .expect_err("refused")
                    .to_string();
                assert!(e.contains(kind), "{e}");
            }
            let e = InputSpec::parse(path.to_str().expect("utf-8"))
                .expect_err("refused at parse")
                .to_string();
            assert!(e.contains(kind), "{e}");
        }
        let e = InputSpec::parse("/dev/null")
            .expect_err("device")
            .to_string();
        assert!(e.contains("'/dev/null' is a character device"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_os_error_is_in_the_message_not_a_source() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("loop.npy");
        std::os::unix::fs::symlink(&p, &p).expect("symlink");
        let s = InputSpec::parse(p.to_str().expect("utf-8")).expect("spec");
        for e in [
            read_matrix(&s).expect_err("loop"),
            crate::input::read_embedding(&s).expect_err("loop"),
        ] {
            assert!(matches!(e, InputError::Io { .. }), "{e:?}");
            assert!(std::error::Error::source(&e).is_none());
            let chain = format!("{:#}", anyhow::Error::from(e));
            assert_eq!(chain.matches("os error").count(), 1, "{chain}");
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
