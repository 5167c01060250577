//! An N×d embedding in its stored precision, for `analyze`: f32, f16 and bf16 files are held as
//! f32 (exact), every other element type as f64.
//!
//! A C-order floating-point `.npy`, a floating-point tensor of a `.safetensors`, or a C-order
//! floating-point member of an `.npz` (decompressed on the fly) is streamed from disk straight
//! into the array, a megabyte at a time, so reading a 1,000,000 × 128 f32 file (512 MB) peaks
//! at about the array's own 512 MB instead of the file's bytes plus an f64 copy (1.5 GB).
//! Anything else — `.csv`, Fortran order, integer types — goes through the in-memory readers,
//! which give the same values. What a header declares is checked against the file (or the
//! archive's declared member size) and against memory before the array is allocated.

use std::io::{Read, Seek, SeekFrom};

use ndarray::Array2;

use super::checks::{
    bytes_of, check_data_size, check_finite_flags, check_fits, check_matrix_shape, fmt_shape,
    matrix, memory_limit, vec_for,
};
use super::dtype::{bf16_of, f16_of, u32_of, u64_of};
use super::npy;
use super::npz;
use super::read::{open_input, read_raw};
use super::safetensors;
use super::{DType, Format, InputError, InputSpec, RawArray};
use crate::analysis::Embedding;

/// Bytes read from disk per step of the streaming reader.
const STREAM_CHUNK: usize = 1 << 20;

/// Values reserved up front when the count comes from a declaration that the data have not
/// confirmed yet (an archive member); beyond this the array grows as the data arrive.
const UNCONFIRMED_VALUES: usize = 1 << 24;

/// Reads the N×d embedding named by `spec` (2-D, non-empty, finite).
pub fn read_embedding(spec: &InputSpec) -> Result<Embedding, InputError> {
    let file = spec.display_name();
    let streamed = match spec.format {
        Format::Npy if spec.key.is_none() => stream_npy(spec, &file)?,
        Format::Npz => stream_npz(spec)?,
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
    let embedding = match raw.to_f32(file) {
        Some(a) => Embedding::F32(matrix(a?, file)?),
        None => Embedding::F64(matrix(raw.to_f64(file)?, file)?),
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

fn io_error(file: &str) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |error| InputError::Io {
        file: file.to_string(),
        error,
    }
}

/// True when the streaming readers take an array of this layout: C order, 2-D, floating point.
fn streamable(dtype: DType, fortran_order: bool, shape: &[usize]) -> bool {
    dtype.is_float() && !fortran_order && shape.len() == 2
}

/// A `.npy` opened for streaming: its header read and checked against the file's size and
/// the shape against a matrix (the same errors as the in-memory reader). Returns the file,
/// its length, the header and where the data start; `Ok(None)` when the array is not a
/// C-order 2-D floating-point one (the in-memory path then reads it). Shared by
/// [`stream_npy`] and [`super::NpyBlocks::open`].
pub(super) fn open_streamable_npy(
    spec: &InputSpec,
    file: &str,
) -> Result<Option<(std::fs::File, u64, npy::Header, usize)>, InputError> {
    let (mut f, len) = open_input(&spec.path, file)?;
    if len == 0 {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    let (header, offset) = npy::read_header(&mut f, len, file)?;
    check_data_size(
        file,
        &header.shape,
        header.dtype.size(),
        len.saturating_sub(offset as u64),
    )?;
    check_matrix_shape(&header.shape, file)?;
    if !streamable(header.dtype, header.fortran_order, &header.shape) {
        return Ok(None);
    }
    Ok(Some((f, len, header, offset)))
}

/// The `.npy` streaming path ([`open_streamable_npy`], then the data straight into the
/// array); `Ok(None)` when the array is not a C-order 2-D floating-point one.
fn stream_npy(spec: &InputSpec, file: &str) -> Result<Option<Embedding>, InputError> {
    let Some((mut f, _, header, offset)) = open_streamable_npy(spec, file)? else {
        return Ok(None);
    };
    f.seek(SeekFrom::Start(offset as u64))
        .map_err(io_error(file))?;
    let (n, d) = (header.shape[0], header.shape[1]);
    read_matrix(
        &mut f,
        header.dtype,
        header.big_endian,
        (n, d),
        true,
        file,
        &io_error(file),
    )
    .map(Some)
}

/// The `.npz` streaming path: the selected member's header is read and checked against the
/// member's declared size ([`npz::stream_member`]), its shape against a matrix, and a C-order
/// 2-D floating-point member is decompressed straight into the array. `Ok(None)` for other
/// members (the in-memory path then decompresses the member and reads it).
fn stream_npz(spec: &InputSpec) -> Result<Option<Embedding>, InputError> {
    let file = spec.path.display().to_string();
    let mut archive = npz::open_file(&spec.path, &file)?;
    npz::stream_member(&mut archive, spec.key.as_deref(), &file, |m| {
        let h = m.header.clone();
        check_matrix_shape(&h.shape, &m.label)?;
        if !streamable(h.dtype, h.fortran_order, &h.shape) {
            return Ok(None);
        }
        let label = m.label.clone();
        let member = m.member.clone();
        let on_error = |e| npz::read_error(&file, &member, e);
        // The count is the archive's declaration, not yet confirmed by the data.
        let dim = (h.shape[0], h.shape[1]);
        let e = read_matrix(
            &mut *m.reader,
            h.dtype,
            h.big_endian,
            dim,
            false,
            &label,
            &on_error,
        )?;
        Ok(Some(e))
    })
}

/// The `.safetensors` streaming path: the JSON header is read and validated by the
/// safetensors crate's own `Metadata` (as `SafeTensors::deserialize` does, including that the
/// tensors cover the rest of the file exactly), then only the selected tensor's bytes are read.
/// `Ok(None)` for anything else (the in-memory path reads it or reports what is wrong).
fn stream_safetensors(spec: &InputSpec, file: &str) -> Result<Option<Embedding>, InputError> {
    let (mut f, len) = open_input(&spec.path, file)?;
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
    if !streamable(dtype, false, &info.shape) {
        return Ok(None);
    }
    check_matrix_shape(&info.shape, file)?;
    let offset = 8 + n + info.data_offsets.0 as u64;
    f.seek(SeekFrom::Start(offset)).map_err(io_error(file))?;
    let dim = (info.shape[0], info.shape[1]);
    read_matrix(&mut f, dtype, false, dim, true, file, &io_error(file)).map(Some)
}

/// Reads a C-order n×d floating-point array from `r` (positioned at its first element),
/// held as f32 for f32/f16/bf16 and as f64 for f64, and checks that every value is finite.
///
/// `confirmed`: the caller has checked that the source holds exactly these bytes (a file's
/// size), so the array is allocated at once; otherwise (an archive's declaration) it grows
/// with the data. Either way it must fit in memory first ([`check_fits`]). `on_error` maps a
/// failed read.
fn read_matrix(
    r: &mut dyn Read,
    dtype: DType,
    be: bool,
    (n, d): (usize, usize),
    confirmed: bool,
    file: &str,
    on_error: &dyn Fn(std::io::Error) -> InputError,
) -> Result<Embedding, InputError> {
    let embedding = match dtype {
        DType::F32 => Embedding::F32(read_values(
            r,
            n,
            d,
            confirmed,
            file,
            on_error,
            |c: [u8; 4]| f32::from_bits(u32_of(c, be)),
        )?),
        DType::F16 => Embedding::F32(read_values(
            r,
            n,
            d,
            confirmed,
            file,
            on_error,
            |c: [u8; 2]| f16_of(c, be).to_f32(),
        )?),
        DType::BF16 => Embedding::F32(read_values(
            r,
            n,
            d,
            confirmed,
            file,
            on_error,
            |c: [u8; 2]| bf16_of(c, be).to_f32(),
        )?),
        DType::F64 => Embedding::F64(read_values(
            r,
            n,
            d,
            confirmed,
            file,
            on_error,
            |c: [u8; 8]| f64::from_bits(u64_of(c, be)),
        )?),
        other => {
            return Err(InputError::Malformed {
                file: file.to_string(),
                format: "array",
                detail: format!("{other:?} is not a floating-point type"),
            })
        }
    };
    check_finite(&embedding, file)?;
    Ok(embedding)
}

/// Reads n·d elements of `N` bytes each, converting with `convert`, into an n×d array (see
/// [`read_matrix`] for `confirmed`).
fn read_values<const N: usize, T>(
    r: &mut dyn Read,
    n: usize,
    d: usize,
    confirmed: bool,
    file: &str,
    on_error: &dyn Fn(std::io::Error) -> InputError,
    convert: impl Fn([u8; N]) -> T,
) -> Result<Array2<T>, InputError> {
    let type_name = if std::mem::size_of::<T>() == 4 {
        "f32"
    } else {
        "f64"
    };
    let what = format!("the array of shape {} as {type_name}", fmt_shape(&[n, d]));
    let too_large = |bytes: Option<u64>| InputError::TooLarge {
        file: file.to_string(),
        what: what.clone(),
        needed: bytes.map_or_else(|| "more than 2^64".to_string(), |b| b.to_string()),
        limit: memory_limit(),
    };
    let total = n.checked_mul(d).ok_or_else(|| too_large(None))?;
    check_fits(file, &what, bytes_of(total, std::mem::size_of::<T>()))?;
    let first = if confirmed {
        total
    } else {
        total.min(UNCONFIRMED_VALUES)
    };
    let mut values: Vec<T> = vec_for(file, &what, first)?;
    let mut buf = vec![0u8; STREAM_CHUNK];
    while values.len() < total {
        let count = (total - values.len()).min(STREAM_CHUNK / N);
        r.read_exact(&mut buf[..count * N]).map_err(on_error)?;
        if values.capacity() - values.len() < count {
            // Double, up to the declared total.
            let more = values.len().max(count).min(total - values.len());
            values
                .try_reserve_exact(more)
                .map_err(|_| too_large(bytes_of(total, std::mem::size_of::<T>())))?;
        }
        let (chunks, _) = buf[..count * N].as_chunks::<N>();
        values.extend(chunks.iter().map(|&c| convert(c)));
    }
    Array2::from_shape_vec((n, d), values).map_err(|e| InputError::Malformed {
        file: file.to_string(),
        format: "array",
        detail: format!("shape {}: {e}", fmt_shape(&[n, d])),
    })
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

    fn npz_file(dir: &tempfile::TempDir, name: &str, members: &[(&str, &[u8])]) -> InputSpec {
        use zip::write::SimpleFileOptions;
        let path = dir.path().join(name);
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (i, (member, data)) in members.iter().enumerate() {
            let method = if i % 2 == 0 {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let opts = SimpleFileOptions::default().compression_method(method);
            w.start_file(*member, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        InputSpec::parse(path.to_str().unwrap()).unwrap()
    }

    fn keyed(spec: &InputSpec, key: &str) -> InputSpec {
        InputSpec::parse(&format!("{}:{key}", spec.path.display())).unwrap()
    }

    #[test]
    fn npz_members_are_streamed_like_the_in_memory_reader() {
        let dir = tempfile::tempdir().unwrap();
        // More than one streaming chunk, and more than the values reserved before the data
        // confirm the declaration would not matter: growth is checked as well.
        let (n, d) = (3 * (STREAM_CHUNK / 4) / 8 + 5, 8);
        let vals: Vec<f32> = (0..n * d).map(|i| (i as f32).cos() * 2.0).collect();
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        let shape = format!("({n}, {d})");
        let f64s: Vec<u8> = (0..12)
            .flat_map(|i| (i as f64 / 7.0).to_le_bytes())
            .collect();
        let f16s: Vec<u8> = [0x3c00u16, 0xc000, 0x3800, 0x0001]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let ints: Vec<u8> = (0..6i32).flat_map(|i| i.to_le_bytes()).collect();
        let f32s: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let members: Vec<(&str, Vec<u8>)> = vec![
            ("le.npy", npy("<f4", false, &shape, &le)),
            ("be.npy", npy(">f4", false, &shape, &be)),
            ("d.npy", npy("<f8", false, "(4, 3)", &f64s)),
            ("h.npy", npy(">f2", false, "(2, 2)", &f16s)),
            ("i.npy", npy("<i4", false, "(3, 2)", &ints)),
            ("f.npy", npy("<f4", true, "(2, 3)", &f32s)),
        ];
        let refs: Vec<(&str, &[u8])> = members.iter().map(|(m, b)| (*m, b.as_slice())).collect();
        let archive = npz_file(&dir, "a.npz", &refs);
        for (key, streams) in [
            ("le", true),
            ("be", true),
            ("d", true),
            ("h", true),
            ("i", false),
            ("f", false),
        ] {
            let spec = keyed(&archive, key);
            let streamed = stream_npz(&spec).unwrap();
            assert_eq!(streamed.is_some(), streams, "{key}");
            let in_memory = read_raw(&spec, from_raw).unwrap();
            assert_eq!(
                values(&read_embedding(&spec).unwrap()),
                values(&in_memory),
                "{key}"
            );
            if let Some(e) = streamed {
                assert_eq!(values(&e), values(&in_memory), "{key}");
            }
        }
        let e = read_embedding(&keyed(&archive, "le")).unwrap();
        assert_eq!(values(&e).0[9], f64::from(vals[9]));
        assert!(values(&e).2);
        let e = read_embedding(&keyed(&archive, "h")).unwrap();
        assert_eq!(values(&e).0, vec![1.0, -2.0, 0.5, 2f64.powi(-24)]);
        let e = read_embedding(&keyed(&archive, "f")).unwrap();
        assert_eq!(values(&e).0, vec![0.0, 2.0, 4.0, 1.0, 3.0, 5.0]);
    }

    #[test]
    fn npz_members_that_disagree_with_their_headers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let mut long = npy("<f4", false, "(2, 3)", &data);
        long.extend([0u8; 3]);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "trunc",
                npy("<f4", false, "(3, 3)", &data),
                "header declares shape (3, 3) = 9 values (36 bytes) but the file holds 24 bytes",
            ),
            (
                "long",
                long,
                "3 trailing bytes after the 24 bytes of data the header declares",
            ),
            (
                "huge",
                npy("<f4", false, "(4294967296, 4294967296)", &data),
                "more than 2^64",
            ),
            (
                "oned",
                npy("<f4", false, "(6,)", &data),
                "expected a 2-D array",
            ),
            ("magic", b"not an npy file".to_vec(), "bad magic"),
            (
                "cut",
                npy("<f4", false, "(2, 3)", &data)[..20].to_vec(),
                "header declares",
            ),
        ];
        for (key, bytes, expect) in cases {
            let spec = npz_file(&dir, &format!("{key}.npz"), &[("emb.npy", &bytes)]);
            let err = read_embedding(&spec).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{key}.npz:emb'")) && err.contains(expect),
                "{key}: {err}"
            );
            // The in-memory reader agrees (it reads any number of dimensions).
            if key != "oned" {
                let err = crate::input::read_array(&spec)
                    .map(|_| ())
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(expect), "{key}: {err}");
            }
        }
        let mut nan = data.clone();
        nan[16..20].copy_from_slice(&f32::NAN.to_le_bytes());
        let spec = npz_file(
            &dir,
            "nan.npz",
            &[("e.npy", &npy("<f4", false, "(2, 3)", &nan))],
        );
        let err = read_embedding(&spec).unwrap_err().to_string();
        assert!(
            err.contains("nan.npz:e'") && err.contains("row 1, column 1"),
            "{err}"
        );
    }

    /// Offsets of the uncompressed-size fields (local header, central directory) of the only
    /// member of a zip written without zip64.
    fn size_fields(zip: &[u8]) -> [usize; 2] {
        let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        [22, central + 24]
    }

    #[test]
    fn npz_members_are_read_no_further_than_they_declare() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let member = npy("<f4", false, "(2, 3)", &data);
        // 64 kB more than declared (a bomb), and 4 bytes fewer.
        let mut bomb = member.clone();
        bomb.extend(vec![0u8; 1 << 16]);
        for (name, content, declared) in [
            ("bomb.npz", &bomb, member.len() as u32),
            ("short.npz", &member, member.len() as u32 + 4),
        ] {
            let spec = npz_file(&dir, name, &[("emb.npy", content)]);
            let mut bytes = std::fs::read(&spec.path).unwrap();
            for at in size_fields(&bytes) {
                bytes[at..at + 4].copy_from_slice(&declared.to_le_bytes());
            }
            std::fs::write(&spec.path, &bytes).unwrap();
            for err in [
                read_embedding(&spec).unwrap_err().to_string(),
                crate::input::read_array(&spec)
                    .map(|_| ())
                    .unwrap_err()
                    .to_string(),
                crate::input::fuzz_entry(&bytes, Format::Npz)
                    .map(|_| ())
                    .unwrap_err()
                    .to_string(),
            ] {
                assert!(err.contains("emb"), "{name}: {err}");
                if name == "bomb.npz" {
                    assert!(
                        err.contains("declared") || err.contains("more than"),
                        "{err}"
                    );
                }
            }
        }
    }
}
