//! An N×d embedding in its stored precision, for `analyze`: f32, f16 and bf16 files are held as
//! f32 (exact), every other element type as f64.
//!
//! A C-order floating-point `.npy`, or a floating-point tensor of a `.safetensors`, is streamed
//! from disk straight into the array, a megabyte at a time, so reading a 1,000,000 × 128 f32
//! file (512 MB) peaks at about the array's own 512 MB instead of the file's bytes plus an f64
//! copy (1.5 GB). Anything else — `.npz`, `.csv`, Fortran order, integer types, and every
//! malformed file — goes through the in-memory readers, which give the same values and the
//! canonical error messages.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use ndarray::{Array2, Ix2};

use super::checks::{check_data_size, check_finite_flags, check_matrix_shape};
use super::dtype::{bf16_of, f16_of, u32_of, u64_of};
use super::npy::{self, Header};
use super::read::read_raw;
use super::safetensors;
use super::{DType, Format, InputError, InputSpec, RawArray};
use crate::analysis::Embedding;

/// Bytes read from disk per step of the streaming reader.
const STREAM_CHUNK: usize = 1 << 20;

/// Bytes read to find a `.npy` header (real headers are well under 1 KB).
const HEADER_PREFIX: u64 = 1 << 16;

/// Reads the N×d embedding named by `spec` (2-D, non-empty, finite).
pub fn read_embedding(spec: &InputSpec) -> Result<Embedding, InputError> {
    let file = spec.display_name();
    let streamed = match spec.format {
        Format::Npy if spec.key.is_none() => stream_npy(spec, &file)?,
        Format::Safetensors => stream_safetensors(spec, &file)?,
        _ => None,
    };
    if let Some(e) = streamed {
        return Ok(e);
    }
    read_raw(spec, from_raw)
}

/// The in-memory path: f32 when exact, f64 otherwise.
fn from_raw(raw: &RawArray<'_>, file: &str) -> Result<Embedding, InputError> {
    check_matrix_shape(&raw.shape, file)?;
    let as_matrix = "checked to be 2-D";
    let embedding = match raw.to_f32(file) {
        Some(a) => Embedding::F32(a?.into_dimensionality::<Ix2>().expect(as_matrix)),
        None => Embedding::F64(
            raw.to_f64(file)?
                .into_dimensionality::<Ix2>()
                .expect(as_matrix),
        ),
    };
    check_finite(&embedding, file)?;
    Ok(embedding)
}

/// Errors unless every value of `e` is finite (the count and first position, as for f64 input).
fn check_finite(e: &Embedding, file: &str) -> Result<(), InputError> {
    match e {
        Embedding::F32(a) => check_finite_flags(a.iter().map(|v| v.is_finite()), a.shape(), file),
        Embedding::F64(a) => check_finite_flags(a.iter().map(|v| v.is_finite()), a.shape(), file),
    }
}

/// Opens `path` for streaming; None when it cannot be opened (the in-memory path reports why).
fn open(path: &std::path::Path) -> Option<(File, u64)> {
    let f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    Some((f, len))
}

fn io_error(file: &str) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |source| InputError::Io {
        file: file.to_string(),
        source,
    }
}

/// The `.npy` streaming path; `Ok(None)` when the file is not a well-formed, C-order, 2-D
/// floating-point `.npy` (the in-memory path then reads it or reports what is wrong).
fn stream_npy(spec: &InputSpec, file: &str) -> Result<Option<Embedding>, InputError> {
    let Some((mut f, len)) = open(&spec.path) else {
        return Ok(None);
    };
    let mut prefix = Vec::new();
    (&mut f)
        .take(HEADER_PREFIX.min(len))
        .read_to_end(&mut prefix)
        .map_err(io_error(file))?;
    let Ok((header, offset)) = npy::parse_header(&prefix, file) else {
        return Ok(None);
    };
    let Header {
        dtype,
        big_endian,
        fortran_order,
        shape,
    } = header;
    let Ok(available) = usize::try_from(len - offset as u64) else {
        return Ok(None);
    };
    if fortran_order || check_data_size(file, &shape, dtype.size(), available).is_err() {
        return Ok(None);
    }
    read_matrix_at(&mut f, offset as u64, dtype, big_endian, &shape, file)
}

/// The `.safetensors` streaming path: the JSON header is read and validated by the
/// safetensors crate's own `Metadata` (as `SafeTensors::deserialize` does, including that the
/// tensors cover the rest of the file exactly), then only the selected tensor's bytes are read.
/// `Ok(None)` for anything else (the in-memory path reads it or reports what is wrong).
fn stream_safetensors(spec: &InputSpec, file: &str) -> Result<Option<Embedding>, InputError> {
    let Some((mut f, len)) = open(&spec.path) else {
        return Ok(None);
    };
    let mut n_bytes = [0u8; 8];
    if len < 8 || f.read_exact(&mut n_bytes).is_err() {
        return Ok(None);
    }
    let n = u64::from_le_bytes(n_bytes);
    if n > safetensors::MAX_HEADER_BYTES || n > len - 8 {
        return Ok(None);
    }
    let mut header = Vec::new();
    (&mut f)
        .take(n)
        .read_to_end(&mut header)
        .map_err(io_error(file))?;
    if safetensors::prescan_numbers(&header, len, file).is_err() {
        return Ok(None);
    }
    let Some(meta) = std::str::from_utf8(&header)
        .ok()
        .and_then(|text| serde_json::from_str::<::safetensors::tensor::Metadata>(text).ok())
    else {
        return Ok(None);
    };
    if 8 + n + meta.data_len() as u64 != len {
        return Ok(None);
    }
    let name = match (&spec.key, meta.offset_keys().as_slice()) {
        (Some(k), _) => k.clone(),
        (None, [only]) => only.clone(),
        _ => return Ok(None),
    };
    let Some(info) = meta.info(&name) else {
        return Ok(None);
    };
    let Ok(dtype) = safetensors::dtype(info.dtype, file) else {
        return Ok(None);
    };
    let offset = 8 + n + info.data_offsets.0 as u64;
    read_matrix_at(&mut f, offset, dtype, false, &info.shape, file)
}

/// Reads a C-order 2-D floating-point array of `shape` stored at `offset` of `f` (whose size
/// the caller has checked); `Ok(None)` for other element types and numbers of dimensions.
fn read_matrix_at(
    f: &mut File,
    offset: u64,
    dtype: DType,
    be: bool,
    shape: &[usize],
    file: &str,
) -> Result<Option<Embedding>, InputError> {
    if !dtype.is_float() || shape.len() != 2 {
        return Ok(None);
    }
    check_matrix_shape(shape, file)?;
    let (n, d) = (shape[0], shape[1]);
    let io = io_error(file);
    f.seek(SeekFrom::Start(offset)).map_err(&io)?;
    let embedding = match dtype {
        DType::F32 => Embedding::F32(
            read_values(f, n, d, |c: [u8; 4]| f32::from_bits(u32_of(c, be))).map_err(&io)?,
        ),
        DType::F16 => {
            Embedding::F32(read_values(f, n, d, |c: [u8; 2]| f16_of(c, be).to_f32()).map_err(&io)?)
        }
        DType::BF16 => {
            Embedding::F32(read_values(f, n, d, |c: [u8; 2]| bf16_of(c, be).to_f32()).map_err(&io)?)
        }
        DType::F64 => Embedding::F64(
            read_values(f, n, d, |c: [u8; 8]| f64::from_bits(u64_of(c, be))).map_err(&io)?,
        ),
        _ => return Ok(None),
    };
    check_finite(&embedding, file)?;
    Ok(Some(embedding))
}

/// Reads n·d elements of `N` bytes each, converting with `convert`, into an n×d array.
fn read_values<const N: usize, T>(
    f: &mut File,
    n: usize,
    d: usize,
    convert: impl Fn([u8; N]) -> T,
) -> std::io::Result<Array2<T>> {
    let total = n * d;
    let mut values = Vec::with_capacity(total);
    let mut buf = vec![0u8; STREAM_CHUNK];
    while values.len() < total {
        let want = ((total - values.len()) * N).min(STREAM_CHUNK);
        f.read_exact(&mut buf[..want])?;
        let (chunks, _) = buf[..want].as_chunks::<N>();
        values.extend(chunks.iter().map(|&c| convert(c)));
    }
    Ok(Array2::from_shape_vec((n, d), values).expect("n·d values"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut out = npy::encode_header(descr, shape);
        if fortran {
            // Same length: 'False' → 'True ' keeps the padding valid.
            let at = out.windows(5).position(|w| w == b"False").unwrap();
            out[at..at + 5].copy_from_slice(b"True ");
        }
        out.extend(data);
        out
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> InputSpec {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        InputSpec::parse(path.to_str().unwrap()).unwrap()
    }

    fn values(e: &Embedding) -> (Vec<f64>, (usize, usize), bool) {
        match e {
            Embedding::F32(a) => (a.iter().map(|&v| f64::from(v)).collect(), a.dim(), true),
            Embedding::F64(a) => (a.iter().copied().collect(), a.dim(), false),
        }
    }

    #[test]
    fn streaming_and_in_memory_paths_agree() {
        let dir = tempfile::tempdir().unwrap();
        // More than one streaming chunk: 3 × (2^20 / 4) + 5 values.
        let (n, d) = (3 * (STREAM_CHUNK / 4) / 8 + 5, 8);
        let vals: Vec<f32> = (0..n * d).map(|i| (i as f32).sin() * 3.0).collect();
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        let shape = format!("({n}, {d})");
        for (descr, data) in [("<f4", &le), (">f4", &be)] {
            let spec = write(&dir, "a.npy", &npy(descr, false, &shape, data));
            let streamed = stream_npy(&spec, "a.npy").unwrap().expect("streamed");
            let in_memory = read_raw(&spec, from_raw).unwrap();
            assert_eq!(values(&streamed), values(&in_memory));
            let (v, dim, is_f32) = values(&streamed);
            assert!(is_f32 && dim == (n, d));
            assert_eq!(v[9], f64::from(vals[9]));
        }
        let f64s: Vec<u8> = (0..12)
            .flat_map(|i| (i as f64 / 7.0).to_le_bytes())
            .collect();
        let spec = write(&dir, "b.npy", &npy("<f8", false, "(4, 3)", &f64s));
        let e = read_embedding(&spec).unwrap();
        assert_eq!(values(&e).0[11], 11.0 / 7.0);
        assert!(!values(&e).2);
        let f16s: Vec<u8> = [0x3c00u16, 0xc000, 0x3800, 0x0001]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let spec = write(&dir, "h.npy", &npy("<f2", false, "(2, 2)", &f16s));
        let e = stream_npy(&spec, "h.npy").unwrap().unwrap();
        assert_eq!(values(&e).0, vec![1.0, -2.0, 0.5, 2f64.powi(-24)]);
    }

    #[test]
    fn other_layouts_fall_back_to_the_in_memory_reader() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        // Fortran order: read in memory, transposed into C order.
        let spec = write(&dir, "f.npy", &npy("<f4", true, "(2, 3)", &data));
        assert!(stream_npy(&spec, "f.npy").unwrap().is_none());
        let e = read_embedding(&spec).unwrap();
        assert_eq!(values(&e).0, vec![0.0, 2.0, 4.0, 1.0, 3.0, 5.0]);
        // Integers: f64.
        let ints: Vec<u8> = (0..6i32).flat_map(|i| i.to_le_bytes()).collect();
        let spec = write(&dir, "i.npy", &npy("<i4", false, "(3, 2)", &ints));
        assert!(stream_npy(&spec, "i.npy").unwrap().is_none());
        assert!(!values(&read_embedding(&spec).unwrap()).2);
    }

    #[test]
    fn bad_files_get_the_canonical_errors() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("trunc.npy", npy("<f4", false, "(3, 3)", &data), "bytes"),
            ("oned.npy", npy("<f4", false, "(6,)", &data), "2-D"),
            ("empty.npy", npy("<f4", false, "(0, 3)", &[]), "zero rows"),
            ("nothing.npy", Vec::new(), "empty"),
            ("magic.npy", b"not an npy file".to_vec(), "magic"),
        ];
        for (name, bytes, expect) in cases {
            let spec = write(&dir, name, &bytes);
            let err = read_embedding(&spec).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        }
        let mut nan = data.clone();
        nan[16..20].copy_from_slice(&f32::NAN.to_le_bytes());
        let spec = write(&dir, "nan.npy", &npy("<f4", false, "(2, 3)", &nan));
        let err = read_embedding(&spec).unwrap_err().to_string();
        assert!(err.contains("row 1, column 1"), "{err}");
    }

    #[test]
    fn safetensors_tensors_are_streamed_like_the_in_memory_reader() {
        use ::safetensors::Dtype;
        let st = super::super::safetensors::tests::st;
        let dir = tempfile::tempdir().unwrap();
        let (n, d) = (STREAM_CHUNK / 4 / 16 + 3, 16);
        let a: Vec<u8> = (0..n * d)
            .flat_map(|i| ((i as f32) * 0.37).cos().to_le_bytes())
            .collect();
        let b: Vec<u8> = (0..6)
            .flat_map(|i| (i as f64 / 3.0).to_le_bytes())
            .collect();
        let ints: Vec<u8> = (0..6i32).flat_map(|i| i.to_le_bytes()).collect();
        let bytes = st(&[
            ("a", Dtype::F32, vec![n, d], a),
            ("b", Dtype::F64, vec![3, 2], b),
            ("c", Dtype::I32, vec![3, 2], ints),
        ]);
        let path = dir.path().join("m.safetensors");
        std::fs::write(&path, &bytes).unwrap();
        let spec = |key: &str| InputSpec::parse(&format!("{}:{key}", path.display())).unwrap();
        for key in ["a", "b"] {
            let streamed = stream_safetensors(&spec(key), "m")
                .unwrap()
                .expect("streamed");
            let in_memory = read_raw(&spec(key), from_raw).unwrap();
            assert_eq!(values(&streamed), values(&in_memory));
        }
        assert_eq!(values(&read_embedding(&spec("b")).unwrap()).0[5], 5.0 / 3.0);
        // Integers, a missing key, no key among several: the in-memory reader's answer.
        assert!(stream_safetensors(&spec("c"), "m").unwrap().is_none());
        assert!(!values(&read_embedding(&spec("c")).unwrap()).2);
        let err = read_embedding(&spec("zz")).unwrap_err().to_string();
        assert!(err.contains("zz"), "{err}");
        let whole = InputSpec::parse(path.to_str().unwrap()).unwrap();
        assert!(stream_safetensors(&whole, "m").unwrap().is_none());
        assert!(read_embedding(&whole).is_err());
        // Every truncation falls back, and then errors.
        for cut in [0, 5, 8, 40, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(
                stream_safetensors(&spec("a"), "m").unwrap().is_none(),
                "cut {cut}"
            );
            assert!(read_embedding(&spec("a")).is_err(), "cut {cut}");
        }
    }
}
