//! `.safetensors` files (the snapshot format of `ib-analyze run`, and of `safetensors.torch`).
//! The KEY is the tensor name.

use std::borrow::Cow;

use ::safetensors::{Dtype, SafeTensors};

use super::checks::check_data_size;
use super::{DType, InputError, RawArray};

const FORMAT: &str = ".safetensors";

fn malformed(file: &str, detail: impl Into<String>) -> InputError {
    InputError::Malformed {
        file: file.to_string(),
        format: FORMAT,
        detail: detail.into(),
    }
}

/// Largest JSON header the safetensors crate accepts (its `MAX_HEADER_SIZE`).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Checks the JSON header for integers larger than the file before the safetensors crate
/// sees it: no valid offset or dimension can exceed the file size, and refusing them here
/// keeps the crate's own size arithmetic far from overflow.
fn prescan_header(bytes: &[u8], file: &str) -> Result<(), InputError> {
    let len_bytes: [u8; 8] = match bytes.get(..8) {
        Some(&[a, b, c, d, e, f, g, h]) => [a, b, c, d, e, f, g, h],
        _ => {
            return Err(malformed(
                file,
                format!(
                    "{} bytes is shorter than the 8-byte header length",
                    bytes.len()
                ),
            ))
        }
    };
    let n = u64::from_le_bytes(len_bytes);
    let rest = bytes.len() - 8;
    let header = usize::try_from(n)
        .ok()
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
        .ok_or_else(|| {
            malformed(
                file,
                format!("header declares {n} bytes but only {rest} bytes follow"),
            )
        })?;
    prescan_numbers(header, bytes.len() as u64, file)
}

/// The number check of [`prescan_header`] on the header text alone, for a file of
/// `file_len` bytes.
pub fn prescan_numbers(header: &[u8], file_len: u64, file: &str) -> Result<(), InputError> {
    let limit = u128::from(file_len);
    let mut in_string = false;
    let mut escaped = false;
    let mut number: Option<u128> = None;
    for &c in header {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'0'..=b'9' => {
                let v = number
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u128::from(c - b'0'));
                if v > limit {
                    return Err(malformed(
                        file,
                        format!(
                            "header declares a size or offset larger than the file ({file_len} bytes)"
                        ),
                    ));
                }
                number = Some(v);
            }
            b'"' => {
                in_string = true;
                number = None;
            }
            _ => number = None,
        }
    }
    Ok(())
}

fn open<'a>(bytes: &'a [u8], file: &str) -> Result<SafeTensors<'a>, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    prescan_header(bytes, file)?;
    SafeTensors::deserialize(bytes).map_err(|e| malformed(file, e.to_string()))
}

/// Tensor names in an in-memory `.safetensors`, sorted.
pub fn tensor_names(bytes: &[u8], file: &str) -> Result<Vec<String>, InputError> {
    let st = open(bytes, file)?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    Ok(names)
}

/// Maps a safetensors dtype to ours, or explains why it is unsupported.
pub fn dtype(d: Dtype, file: &str) -> Result<DType, InputError> {
    let unsupported = |why: &'static str| InputError::UnsupportedDtype {
        file: file.to_string(),
        dtype: d.to_string(),
        why,
    };
    Ok(match d {
        Dtype::BOOL => DType::Bool,
        Dtype::U8 => DType::U8,
        Dtype::I8 => DType::I8,
        Dtype::U16 => DType::U16,
        Dtype::I16 => DType::I16,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::U32 => DType::U32,
        Dtype::I32 => DType::I32,
        Dtype::F32 => DType::F32,
        Dtype::U64 => DType::U64,
        Dtype::I64 => DType::I64,
        Dtype::F64 => DType::F64,
        Dtype::C64 => return Err(unsupported("complex numbers")),
        _ => return Err(unsupported("an 8-bit or smaller float format")),
    })
}

/// Selects the tensor named `key` (or the only tensor) of an in-memory `.safetensors`.
pub fn parse<'a>(
    bytes: &'a [u8],
    key: Option<&str>,
    file: &str,
) -> Result<RawArray<'a>, InputError> {
    let st = open(bytes, file)?;
    let mut available: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    available.sort();
    let name = match (key, available.as_slice()) {
        (Some(k), _) => k.to_string(),
        (None, []) => {
            return Err(InputError::NoArrays {
                file: file.to_string(),
            })
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(InputError::KeyRequired {
                file: file.to_string(),
                available,
            })
        }
    };
    let view = st.tensor(&name).map_err(|_| InputError::MissingKey {
        file: file.to_string(),
        key: name.clone(),
        available: available.clone(),
    })?;
    let dt = dtype(view.dtype(), file)?;
    let shape = view.shape().to_vec();
    let data = view.data();
    check_data_size(file, &shape, dt.size(), data.len() as u64)?;
    Ok(RawArray {
        shape,
        dtype: dt,
        big_endian: false,
        fortran_order: false,
        data: Cow::Borrowed(data),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{fuzz_entry, read_labels, read_matrix, read_views, Format, InputSpec};
    use super::*;
    use ::safetensors::tensor::TensorView;
    use ndarray::array;

    pub(crate) fn st(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let views: Vec<(String, TensorView<'_>)> = tensors
            .iter()
            .map(|(n, d, s, b)| {
                (
                    n.to_string(),
                    TensorView::new(*d, s.clone(), b).expect("view"),
                )
            })
            .collect();
        ::safetensors::serialize(views, None).expect("serialize")
    }

    fn snapshot() -> Vec<u8> {
        let proj: Vec<u8> = [0.1f32, -2.0, 3.5, 1e-40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let views: Vec<u8> = (0..12).flat_map(|v| (v as f32).to_le_bytes()).collect();
        let labels: Vec<u8> = [4i64, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
        let half: Vec<u8> = [0x3c00u16, 0xc000]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let bhalf: Vec<u8> = [0x3f80u16, 0x3e20]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let dbl: Vec<u8> = [0.1f64, 1.0 / 3.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        st(&[
            ("online.projector", Dtype::F32, vec![2, 2], proj),
            ("views.projector", Dtype::F32, vec![2, 3, 2], views),
            ("labels", Dtype::I64, vec![2], labels),
            ("half", Dtype::F16, vec![1, 2], half),
            ("bhalf", Dtype::BF16, vec![2, 1], bhalf),
            ("dbl", Dtype::F64, vec![1, 2], dbl),
            ("u8", Dtype::U8, vec![1, 2], vec![7, 255]),
            ("cplx", Dtype::C64, vec![1, 1], vec![0; 8]),
        ])
    }

    fn spec(p: &str, key: &str) -> InputSpec {
        InputSpec::parse(&format!("{p}:{key}")).expect("spec")
    }

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("epoch-0001.safetensors");
        std::fs::write(&p, snapshot()).expect("write");
        let p = p.display().to_string();
        let m = read_matrix(&spec(&p, "online.projector")).expect("f32");
        let want = [0.1f32, -2.0, 3.5, 1e-40];
        for (g, w) in m.iter().zip(want) {
            assert_eq!(g.to_bits(), f64::from(w).to_bits());
        }
        let v = read_views(&spec(&p, "views.projector")).expect("views");
        assert_eq!(v.shape(), &[2, 3, 2]);
        assert_eq!(v[[1, 0, 1]], 7.0);
        assert_eq!(
            read_labels(&spec(&p, "labels")).expect("labels"),
            vec![4, 2]
        );
        assert_eq!(
            read_matrix(&spec(&p, "half")).expect("f16"),
            array![[1.0, -2.0]]
        );
        assert_eq!(
            read_matrix(&spec(&p, "bhalf")).expect("bf16"),
            array![[1.0], [0.15625]]
        );
        let d = read_matrix(&spec(&p, "dbl")).expect("f64");
        assert_eq!(d[[0, 1]].to_bits(), (1.0f64 / 3.0).to_bits());
        assert_eq!(
            read_matrix(&spec(&p, "u8")).expect("u8"),
            array![[7.0, 255.0]]
        );
    }

    #[test]
    fn errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.safetensors");
        std::fs::write(&p, snapshot()).expect("write");
        let p = p.display().to_string();
        let e = read_matrix(&spec(&p, "cplx"))
            .expect_err("complex")
            .to_string();
        assert!(e.contains("unsupported dtype C64 (complex numbers)"), "{e}");
        let e = read_matrix(&spec(&p, "nope"))
            .expect_err("missing")
            .to_string();
        assert!(
            e.contains("no array 'nope' (available: bhalf, cplx, dbl, half, labels, online.projector, u8, views.projector)"),
            "{e}"
        );
        let e = read_matrix(&InputSpec::parse(&p).expect("spec"))
            .expect_err("no key")
            .to_string();
        assert!(
            e.contains("holds 8 arrays") && e.contains(&format!("choose one with {p}:bhalf")),
            "{e}"
        );
        let e = read_matrix(&spec(&p, "labels"))
            .expect_err("1-D")
            .to_string();
        assert!(
            e.contains("expected a 2-D array (N×d), found shape (2,)"),
            "{e}"
        );

        // A single tensor needs no key.
        let one = st(&[("x", Dtype::F32, vec![1, 1], vec![0, 0, 128, 63])]);
        let p1 = dir.path().join("one.safetensors");
        std::fs::write(&p1, one).expect("write");
        let m =
            read_matrix(&InputSpec::parse(&p1.display().to_string()).expect("spec")).expect("one");
        assert_eq!(m, array![[1.0]]);

        // Bad header length and huge offsets are refused before the crate parses them.
        let mut bad = 1_000_000u64.to_le_bytes().to_vec();
        bad.extend_from_slice(b"{}");
        let e = fuzz_entry(&bad, Format::Safetensors)
            .expect_err("len")
            .to_string();
        assert!(
            e.contains("header declares 1000000 bytes but only 2 bytes follow"),
            "{e}"
        );
        let h = br#"{"a":{"dtype":"U8","shape":[2305843009213693951],"data_offsets":[0,2305843009213693951]}}"#;
        let mut bad = (h.len() as u64).to_le_bytes().to_vec();
        bad.extend_from_slice(h);
        let e = fuzz_entry(&bad, Format::Safetensors)
            .expect_err("huge")
            .to_string();
        assert!(e.contains("larger than the file"), "{e}");
        // Digits inside strings are not sizes.
        let h = br#"{"__metadata__":{"note":"99999999999999999999999"},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#;
        let mut ok = (h.len() as u64).to_le_bytes().to_vec();
        ok.extend_from_slice(h);
        ok.push(3);
        assert_eq!(
            fuzz_entry(&ok, Format::Safetensors)
                .expect("metadata")
                .len(),
            1
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let ok = snapshot();
        // Every tensor but the complex one decodes.
        let valid = st(&[
            ("a", Dtype::F32, vec![2, 2], vec![1; 16]),
            ("b", Dtype::BF16, vec![3], vec![2; 6]),
        ]);
        assert_eq!(
            fuzz_entry(&valid, Format::Safetensors)
                .expect("valid")
                .len(),
            2
        );
        for bytes in [&ok, &valid] {
            for n in 0..bytes.len() {
                assert!(
                    fuzz_entry(&bytes[..n], Format::Safetensors).is_err(),
                    "prefix {n}"
                );
            }
            for i in 0..bytes.len() {
                let mut b = bytes.clone();
                b[i] ^= 0x41;
                let _ = fuzz_entry(&b, Format::Safetensors);
            }
        }
    }
}
