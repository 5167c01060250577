//! NumPy `.npz` archives: a zip of `.npy` members, stored or deflated (`np.savez`,
//! `np.savez_compressed`). The KEY is the member name without `.npy`.
//!
//! An archive on disk is read through the zip's central directory, never whole: the selected
//! member is either decompressed into memory (up to its declared uncompressed size, checked
//! against memory first) or streamed (`stream_member`): its `.npy` header is read, the shape
//! it declares must account for exactly the member's declared size, and the element data are
//! decompressed straight into the caller's array. No more bytes are decompressed than the
//! archive declares (a zip bomb ends in an error after at most one byte more), and a member
//! that holds fewer bytes, or fails its CRC, is an error.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use super::checks::{check_data_size, check_fits};
use super::npy::{self, Header};
use super::read::open_input;
use super::InputError;

const FORMAT: &str = ".npz";

/// Bytes reserved up front for a member decompressed into memory; beyond this the buffer
/// grows with the data actually decompressed (the declared size is not trusted).
const INITIAL_MEMBER_BYTES: u64 = 1 << 26;

fn malformed(file: &str, detail: impl Into<String>) -> InputError {
    InputError::Malformed {
        file: file.to_string(),
        format: FORMAT,
        detail: detail.into(),
    }
}

/// Opens the archive held by `reader` (`len` bytes, starting with the bytes `start`).
fn open_archive<R: Read + Seek>(
    reader: R,
    len: u64,
    start: &[u8],
    file: &str,
) -> Result<zip::ZipArchive<R>, InputError> {
    if len == 0 {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    if start.starts_with(b"\x93NUMPY") {
        return Err(malformed(
            file,
            "this is a single .npy array, not a zip archive — rename it to .npy",
        ));
    }
    zip::ZipArchive::new(reader).map_err(|e| malformed(file, format!("zip: {e}")))
}

/// An archive held in memory.
fn open<'b>(bytes: &'b [u8], file: &str) -> Result<zip::ZipArchive<Cursor<&'b [u8]>>, InputError> {
    open_archive(Cursor::new(bytes), bytes.len() as u64, bytes, file)
}

/// The archive at `path` (a regular file: see [`open_input`]), read from disk as needed.
pub(super) fn open_file(
    path: &Path,
    file: &str,
) -> Result<zip::ZipArchive<BufReader<File>>, InputError> {
    let (mut f, len) = open_input(path, file)?;
    let io = |error| InputError::Io {
        file: file.to_string(),
        error,
    };
    let mut start = Vec::with_capacity(6);
    (&mut f).take(6).read_to_end(&mut start).map_err(io)?;
    f.seek(SeekFrom::Start(0)).map_err(io)?;
    open_archive(BufReader::new(f), len, &start, file)
}

/// Member names of the archive, in archive order (directories skipped).
fn member_names<R: Read + Seek>(
    archive: &zip::ZipArchive<R>,
    file: &str,
) -> Result<Vec<String>, InputError> {
    let mut names = Vec::with_capacity(archive.len());
    for name in archive.file_names() {
        let name = name.map_err(|e| malformed(file, format!("zip: {e}")))?;
        if !name.ends_with('/') {
            names.push(name.into_owned());
        }
    }
    Ok(names)
}

/// The array name of a member: its name without the `.npy` suffix.
fn array_name(member: &str) -> &str {
    member.strip_suffix(".npy").unwrap_or(member)
}

/// The array names in an in-memory `.npz`, sorted.
pub fn array_names(bytes: &[u8], file: &str) -> Result<Vec<String>, InputError> {
    let archive = open(bytes, file)?;
    let mut names: Vec<String> = member_names(&archive, file)?
        .iter()
        .map(|m| array_name(m).to_string())
        .collect();
    names.sort();
    Ok(names)
}

/// The member selected by `key` (an array name, or a whole member name); without a key the
/// archive must hold exactly one array.
fn select<R: Read + Seek>(
    archive: &zip::ZipArchive<R>,
    key: Option<&str>,
    file: &str,
) -> Result<String, InputError> {
    let members = member_names(archive, file)?;
    let mut available: Vec<String> = members.iter().map(|m| array_name(m).to_string()).collect();
    available.sort();
    let member = match key {
        Some(k) => members
            .iter()
            .find(|m| array_name(m) == k)
            .or_else(|| members.iter().find(|m| m.as_str() == k))
            .ok_or_else(|| InputError::MissingKey {
                file: file.to_string(),
                key: k.to_string(),
                available: available.clone(),
            })?,
        None => match members.as_slice() {
            [] => {
                return Err(InputError::NoArrays {
                    file: file.to_string(),
                })
            }
            [only] => only,
            _ => {
                return Err(InputError::KeyRequired {
                    file: file.to_string(),
                    available,
                })
            }
        },
    };
    Ok(member.clone())
}

/// Extracts the `.npy` bytes of the member selected by `key` from an in-memory `.npz`.
///
/// Without a key the archive must hold exactly one array. Returns `(array name, npy bytes)`.
/// The member is read up to its declared uncompressed size; a member that decompresses to
/// more or fewer bytes, or fails its CRC, is an error.
pub fn read_member(
    bytes: &[u8],
    key: Option<&str>,
    file: &str,
) -> Result<(String, Vec<u8>), InputError> {
    read_member_from(&mut open(bytes, file)?, key, file)
}

/// [`read_member`] from an opened archive. The declared uncompressed size must fit in memory
/// ([`check_fits`]) before anything is decompressed.
pub(super) fn read_member_from<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    key: Option<&str>,
    file: &str,
) -> Result<(String, Vec<u8>), InputError> {
    let member = select(archive, key, file)?;
    let name = array_name(&member).to_string();
    let mut entry = archive
        .by_name(&member)
        .map_err(|e| malformed(file, format!("member '{member}': {e}")))?;
    let declared = entry.size();
    check_fits(
        &format!("{file}:{name}"),
        &format!("member '{member}' decompressed"),
        Some(declared),
    )?;
    let mut buf = Vec::new();
    // Room for the declared size, capped: the declaration is not trusted, the buffer grows
    // with the bytes actually decompressed.
    buf.try_reserve_exact(usize::try_from(declared.min(INITIAL_MEMBER_BYTES)).unwrap_or(0))
        .map_err(|_| malformed(file, format!("member '{member}': out of memory")))?;
    (&mut entry)
        .take(declared.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| malformed(file, format!("member '{member}': {e}")))?;
    if buf.len() as u64 != declared {
        return Err(malformed(
            file,
            format!(
                "member '{member}' declares {declared} bytes but holds {}",
                if buf.len() as u64 > declared {
                    "more".to_string()
                } else {
                    buf.len().to_string()
                }
            ),
        ));
    }
    Ok((name, buf))
}

/// A member's `.npy` element data, for [`stream_member`]'s callback.
pub(super) struct MemberData<'r> {
    /// The decompressing reader, positioned at the first element byte.
    pub reader: &'r mut dyn Read,
    /// The member's `.npy` header (its shape accounts for exactly the member's data).
    pub header: Header,
    /// `PATH:NAME`, for messages.
    pub label: String,
    /// The member's name in the archive.
    pub member: String,
}

/// The error for a failed read of the element data of `member` (a short member, a bad CRC…).
pub(super) fn read_error(file: &str, member: &str, e: std::io::Error) -> InputError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        malformed(
            file,
            format!("member '{member}' ends before the data its .npy header declares"),
        )
    } else {
        malformed(file, format!("member '{member}': {e}"))
    }
}

/// Streams the member selected by `key`: reads its `.npy` header, checks that the shape it
/// declares accounts for exactly the member's declared uncompressed size
/// ([`InputError::SizeMismatch`], [`InputError::TrailingBytes`]), then calls `f` with the
/// reader at the element data. When `f` reads the data (returns `Some`), the member must end
/// there: one more byte is an error, and reaching its end checks the CRC. `f` returns `None`
/// to decline (the caller then reads the member another way).
pub(super) fn stream_member<R: Read + Seek, T>(
    archive: &mut zip::ZipArchive<R>,
    key: Option<&str>,
    file: &str,
    f: impl FnOnce(&mut MemberData<'_>) -> Result<Option<T>, InputError>,
) -> Result<Option<T>, InputError> {
    let member = select(archive, key, file)?;
    let label = format!("{file}:{}", array_name(&member));
    let mut entry = archive
        .by_name(&member)
        .map_err(|e| malformed(file, format!("member '{member}': {e}")))?;
    let declared = entry.size();
    let (header, offset) = npy::read_header(&mut entry, declared, &label)?;
    check_data_size(
        &label,
        &header.shape,
        header.dtype.size(),
        declared.saturating_sub(offset as u64),
    )?;
    let mut data = MemberData {
        reader: &mut entry,
        header,
        label,
        member,
    };
    let Some(out) = f(&mut data)? else {
        return Ok(None);
    };
    let mut one = [0u8; 1];
    match data.reader.read(&mut one) {
        Ok(0) => Ok(Some(out)),
        Ok(_) => Err(malformed(
            file,
            format!(
                "member '{}' holds more than the {declared} bytes it declares",
                data.member
            ),
        )),
        Err(e) => Err(read_error(file, &data.member, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::npy::test_util::npy_bytes;
    use super::super::{fuzz_entry, read_labels, read_matrix, Format, InputSpec};
    use super::*;
    use ndarray::array;
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    fn npz(members: &[(&str, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(method);
        for (name, data) in members {
            w.start_file(*name, opts).expect("start");
            w.write_all(data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    fn emb() -> Vec<u8> {
        let d: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 0.1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        npy_bytes("<f8", false, &[3, 2], &d)
    }

    fn labels() -> Vec<u8> {
        let d: Vec<u8> = [0i64, 1, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
        npy_bytes("<i8", false, &[3], &d)
    }

    fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write");
        p.display().to_string()
    }

    #[test]
    fn stored_and_deflated_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (i, method) in [CompressionMethod::Stored, CompressionMethod::Deflated]
            .into_iter()
            .enumerate()
        {
            let bytes = npz(&[("emb.npy", emb()), ("labels.npy", labels())], method);
            let p = write(dir.path(), &format!("x{i}.npz"), &bytes);
            let m =
                read_matrix(&InputSpec::parse(&format!("{p}:emb")).expect("spec")).expect("emb");
            assert_eq!(m, array![[1.0, 2.0], [3.0, 4.0], [5.0, 0.1]]);
            assert_eq!(m[[2, 1]].to_bits(), 0.1f64.to_bits());
            let l = read_labels(&InputSpec::parse(&format!("{p}:labels")).expect("spec"))
                .expect("labels");
            assert_eq!(l, vec![0, 1, 2]);
            // The full member name works as a key too.
            assert!(read_matrix(&InputSpec::parse(&format!("{p}:emb.npy")).expect("spec")).is_ok());
        }
    }

    #[test]
    fn single_array_needs_no_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "one.npz",
            &npz(&[("arr_0.npy", emb())], CompressionMethod::Deflated),
        );
        let m = read_matrix(&InputSpec::parse(&p).expect("spec")).expect("single");
        assert_eq!(m.shape(), &[3, 2]);
    }

    #[test]
    fn key_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = npz(
            &[("emb.npy", emb()), ("labels.npy", labels())],
            CompressionMethod::Stored,
        );
        let p = write(dir.path(), "x.npz", &bytes);
        let e = read_matrix(&InputSpec::parse(&format!("{p}:z")).expect("spec"))
            .expect_err("missing")
            .to_string();
        assert!(
            e.ends_with(&format!(
                "x.npz': no array 'z' (available: emb, labels) — use {p}:emb"
            )),
            "{e}"
        );
        let e = read_matrix(&InputSpec::parse(&p).expect("spec"))
            .expect_err("ambiguous")
            .to_string();
        assert!(
            e.contains("holds 2 arrays (emb, labels) — choose one with"),
            "{e}"
        );
        let empty = npz(&[], CompressionMethod::Stored);
        let p = write(dir.path(), "none.npz", &empty);
        let e = read_matrix(&InputSpec::parse(&p).expect("spec"))
            .expect_err("none")
            .to_string();
        assert!(e.contains("holds no arrays"), "{e}");
    }

    #[test]
    fn member_errors_name_the_member() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bad = emb();
        bad.truncate(bad.len() - 8);
        let p = write(
            dir.path(),
            "t.npz",
            &npz(&[("emb.npy", bad)], CompressionMethod::Deflated),
        );
        let e = read_matrix(&InputSpec::parse(&format!("{p}:emb")).expect("spec"))
            .expect_err("truncated member")
            .to_string();
        assert!(
            e.contains("t.npz:emb': header declares shape (3, 2) = 6 values"),
            "{e}"
        );
        let p = write(dir.path(), "n.npz", &emb());
        let e = read_matrix(&InputSpec::parse(&p).expect("spec"))
            .expect_err("npy")
            .to_string();
        assert!(e.contains("rename it to .npy"), "{e}");
        let p = write(dir.path(), "g.npz", b"PK\x03\x04garbage");
        let e = read_matrix(&InputSpec::parse(&p).expect("spec"))
            .expect_err("garbage")
            .to_string();
        assert!(e.contains("not a valid .npz file"), "{e}");
    }

    #[test]
    fn every_truncation_is_an_error() {
        for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
            let ok = npz(&[("emb.npy", emb()), ("labels.npy", labels())], method);
            assert_eq!(fuzz_entry(&ok, Format::Npz).expect("valid").len(), 2);
            for n in 0..ok.len() {
                assert!(
                    fuzz_entry(&ok[..n], Format::Npz).is_err(),
                    "prefix {n} of {}",
                    ok.len()
                );
            }
            for i in 0..ok.len() {
                let mut b = ok.clone();
                b[i] ^= 0x55;
                let _ = fuzz_entry(&b, Format::Npz);
            }
        }
    }
}
