//! A C-order 2-D floating-point `.npy` read from disk block by block, never whole: the two
//! passes of the streamed moments (`analyze --spectrum-only`, ARCHITECTURE.md §1 `analyze`,
//! §4 "Streamed") each read the file once, so memory holds one f64 block of rows instead of
//! the N×d array.
//!
//! The header is read and checked as [`super::embedding`]'s streaming reader checks it (the
//! same errors: size against the header, 2-D, non-empty). The blocks are those of
//! [`crate::analysis::rows::block_rows`] and their values those of the in-memory path (f32,
//! f16 and bf16 through f32, then f64: exact), so the moments have the same bits. Non-finite
//! values are the in-memory reader's error (their count and the first one's row and column),
//! found by the first pass; a file whose size changes between or during the passes is an
//! error naming it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use ndarray::ArrayView2;

use super::checks::non_finite;
use super::dtype::{bf16_of, f16_of, u32_of, u64_of};
use super::embedding::open_streamable_npy;
use super::{DType, Format, InputError, InputSpec};
use crate::analysis::rows::block_rows;

/// Bytes read from disk per step (as the whole-array streaming reader).
const STREAM_CHUNK: usize = 1 << 20;

/// An open `.npy` of N×d floating-point values in C order.
#[derive(Debug)]
pub struct NpyBlocks {
    file: File,
    name: String,
    /// Bytes of the whole file when it was opened.
    len: u64,
    /// Where the data start.
    offset: u64,
    dtype: DType,
    big_endian: bool,
    n: usize,
    d: usize,
}

impl NpyBlocks {
    /// Opens `spec` when it is a `.npy` (no KEY) holding a C-order 2-D floating-point array;
    /// `Ok(None)` for any other file (read it with [`super::read_embedding`]). Errors are those
    /// of the whole-array reader for the same file (missing, empty, bad header, truncated,
    /// trailing bytes, not 2-D, an empty axis).
    pub fn open(spec: &InputSpec) -> Result<Option<NpyBlocks>, InputError> {
        if spec.format != Format::Npy || spec.key.is_some() {
            return Ok(None);
        }
        let name = spec.display_name();
        let Some((file, len, header, offset)) = open_streamable_npy(spec, &name)? else {
            return Ok(None);
        };
        Ok(Some(NpyBlocks {
            file,
            name,
            len,
            offset: offset as u64,
            dtype: header.dtype,
            big_endian: header.big_endian,
            n: header.shape[0],
            d: header.shape[1],
        }))
    }

    /// (N, d).
    pub fn dim(&self) -> (usize, usize) {
        (self.n, self.d)
    }

    /// The file as named in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the file once from its first value, calling `f` on consecutive blocks of
    /// [`block_rows`]`(d)` rows as f64, in row order; stops at the first error. A non-finite
    /// value stops the calls and the rest of the file is scanned for the error's count (the
    /// in-memory reader's [`InputError::NonFinite`]). Errors when the file's size is no longer
    /// the size it had when it was opened.
    pub fn for_each_block<E: From<InputError>>(
        &mut self,
        mut f: impl FnMut(ArrayView2<f64>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.check_size()?;
        self.file
            .seek(SeekFrom::Start(self.offset))
            .map_err(|e| self.io(e))?;
        let (n, d) = (self.n, self.d);
        let rows = block_rows(d);
        let mut block = vec![0.0f64; rows.min(n) * d];
        let mut bytes = vec![0u8; STREAM_CHUNK];
        // Non-finite values: how many, and the flat index of the first.
        let (mut bad, mut first) = (0usize, None);
        let mut start = 0;
        while start < n {
            let b = rows.min(n - start);
            let values = &mut block[..b * d];
            self.fill(values, &mut bytes)?;
            let count = values.iter().filter(|v| !v.is_finite()).count();
            if count > 0 && first.is_none() {
                let at = values.iter().position(|v| !v.is_finite()).unwrap_or(0);
                first = Some(start * d + at);
            }
            bad += count;
            if first.is_none() {
                let view = ArrayView2::from_shape((b, d), &*values)
                    .unwrap_or_else(|_| unreachable!("b·d values"));
                f(view)?;
            }
            start += b;
        }
        if let Some(flat) = first {
            return Err(non_finite(&self.name, &[n, d], bad, n * d, flat).into());
        }
        self.check_size()?;
        Ok(())
    }

    /// Reads `out.len()` values from the file's current position.
    fn fill(&mut self, out: &mut [f64], bytes: &mut [u8]) -> Result<(), InputError> {
        let be = self.big_endian;
        match self.dtype {
            DType::F32 => self.fill_with(out, bytes, |c: [u8; 4]| {
                f64::from(f32::from_bits(u32_of(c, be)))
            }),
            DType::F16 => {
                self.fill_with(out, bytes, |c: [u8; 2]| f64::from(f16_of(c, be).to_f32()))
            }
            DType::BF16 => {
                self.fill_with(out, bytes, |c: [u8; 2]| f64::from(bf16_of(c, be).to_f32()))
            }
            DType::F64 => self.fill_with(out, bytes, |c: [u8; 8]| f64::from_bits(u64_of(c, be))),
            other => Err(InputError::Malformed {
                file: self.name.clone(),
                format: "array",
                detail: format!("{other:?} is not a floating-point type"),
            }),
        }
    }

    /// [`Self::fill`] for elements of `N` bytes converted by `convert`, a megabyte at a time.
    fn fill_with<const N: usize>(
        &mut self,
        out: &mut [f64],
        bytes: &mut [u8],
        convert: impl Fn([u8; N]) -> f64,
    ) -> Result<(), InputError> {
        for piece in out.chunks_mut(STREAM_CHUNK / N) {
            let raw = &mut bytes[..piece.len() * N];
            if let Err(e) = self.file.read_exact(raw) {
                return Err(self.io(e));
            }
            let (chunks, _) = raw.as_chunks::<N>();
            for (o, &c) in piece.iter_mut().zip(chunks) {
                *o = convert(c);
            }
        }
        Ok(())
    }

    /// Errors unless the file still has the size it had when it was opened.
    fn check_size(&self) -> Result<(), InputError> {
        let now = self.file.metadata().map_err(|e| self.io(e))?.len();
        if now != self.len {
            return Err(self.io(std::io::Error::other(format!(
                "its size changed from {} to {now} bytes while it was read; analyse it once it is \
                 completely written",
                self.len
            ))));
        }
        Ok(())
    }

    fn io(&self, error: std::io::Error) -> InputError {
        InputError::Io {
            file: self.name.clone(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::npy;
    use super::*;
    use crate::analysis::Embedding;

    fn npy_file(
        dir: &tempfile::TempDir,
        name: &str,
        descr: &str,
        shape: &str,
        data: &[u8],
    ) -> InputSpec {
        let mut bytes = npy::encode_header(descr, shape);
        bytes.extend(data);
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        InputSpec::parse(path.to_str().unwrap()).unwrap()
    }

    /// Every block as the in-memory path gives it, and as the block reader gives it.
    fn blocks_of(spec: &InputSpec) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
        let bits = |b: ArrayView2<f64>| b.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let whole = super::super::read_embedding(spec).unwrap();
        let mut expected = Vec::new();
        whole
            .rows()
            .for_each_block(|b| {
                expected.push(bits(b));
                Ok::<(), InputError>(())
            })
            .unwrap();
        let mut got = Vec::new();
        let mut r = NpyBlocks::open(spec)
            .unwrap()
            .expect("a float C-order .npy");
        for _ in 0..2 {
            got.clear();
            r.for_each_block(|b| {
                got.push(bits(b));
                Ok::<(), InputError>(())
            })
            .unwrap();
        }
        assert!(matches!(whole, Embedding::F32(_) | Embedding::F64(_)));
        (expected, got)
    }

    #[test]
    fn blocks_are_those_of_the_in_memory_path() {
        let dir = tempfile::tempdir().unwrap();
        // d = 3: blocks of 4096 rows, the last one partial.
        let n = 4096 * 2 + 17;
        let vals: Vec<f32> = (0..n * 3).map(|i| (i as f32 * 0.37).sin() * 1e3).collect();
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        let f64s: Vec<u8> = vals
            .iter()
            .flat_map(|&v| (f64::from(v) / 7.0).to_le_bytes())
            .collect();
        let f16s: Vec<u8> = (0..n * 3)
            .flat_map(|i| half::f16::from_f32((i % 97) as f32 - 40.5).to_le_bytes())
            .collect();
        let shape = format!("({n}, 3)");
        for (name, descr, data) in [
            ("le.npy", "<f4", &le),
            ("be.npy", ">f4", &be),
            ("d.npy", "<f8", &f64s),
            ("h.npy", "<f2", &f16s),
        ] {
            let spec = npy_file(&dir, name, descr, &shape, data);
            let (expected, got) = blocks_of(&spec);
            assert_eq!(expected.len(), 3, "{name}");
            assert_eq!(expected, got, "{name}");
        }
    }

    #[test]
    fn other_files_are_not_taken_and_bad_ones_get_the_readers_errors() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let ints: Vec<u8> = (0..6i32).flat_map(|i| i.to_le_bytes()).collect();
        let spec = npy_file(&dir, "i.npy", "<i4", "(3, 2)", &ints);
        assert!(NpyBlocks::open(&spec).unwrap().is_none());
        let spec = npy_file(&dir, "t.npy", "<f4", "(3, 3)", &data);
        let err = NpyBlocks::open(&spec).unwrap_err().to_string();
        assert!(err.contains("t.npy") && err.contains("truncated"), "{err}");
        // NaN: the count and the first position, as the in-memory reader says.
        let mut nan = data.clone();
        nan[16..20].copy_from_slice(&f32::NAN.to_le_bytes());
        nan[20..24].copy_from_slice(&f32::INFINITY.to_le_bytes());
        let spec = npy_file(&dir, "nan.npy", "<f4", "(2, 3)", &nan);
        let whole = super::super::read_embedding(&spec).unwrap_err().to_string();
        let mut r = NpyBlocks::open(&spec).unwrap().unwrap();
        let mut calls = 0;
        let err = r
            .for_each_block(|_| {
                calls += 1;
                Ok::<(), InputError>(())
            })
            .unwrap_err()
            .to_string();
        assert_eq!(err, whole);
        assert!(err.contains("row 1, column 1"), "{err}");
        assert_eq!(calls, 0);
        // The file grows between two passes.
        let spec = npy_file(&dir, "g.npy", "<f4", "(2, 3)", &data);
        let mut r = NpyBlocks::open(&spec).unwrap().unwrap();
        r.for_each_block(|_| Ok::<(), InputError>(())).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&spec.path)
            .unwrap();
        std::io::Write::write_all(&mut f, &[0u8; 4]).unwrap();
        let err = r
            .for_each_block(|_| Ok::<(), InputError>(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("g.npy") && err.contains("size changed"),
            "{err}"
        );
    }
}
