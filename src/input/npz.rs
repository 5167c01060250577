//! NumPy `.npz` archives: a zip of `.npy` members, stored or deflated (`np.savez`,
//! `np.savez_compressed`). The KEY is the member name without `.npy`.

use std::io::{Cursor, Read};

use super::InputError;

const FORMAT: &str = ".npz";

fn malformed(file: &str, detail: impl Into<String>) -> InputError {
    InputError::Malformed {
        file: file.to_string(),
        format: FORMAT,
        detail: detail.into(),
    }
}

fn open<'b>(bytes: &'b [u8], file: &str) -> Result<zip::ZipArchive<Cursor<&'b [u8]>>, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    if bytes.starts_with(b"\x93NUMPY") {
        return Err(malformed(
            file,
            "this is a single .npy array, not a zip archive — rename it to .npy",
        ));
    }
    zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(file, format!("zip: {e}")))
}

/// Member names of the archive, in archive order (directories skipped).
fn member_names(
    archive: &zip::ZipArchive<Cursor<&[u8]>>,
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
    let mut archive = open(bytes, file)?;
    let members = member_names(&archive, file)?;
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
    }
    .clone();
    let name = array_name(&member).to_string();
    let mut entry = archive
        .by_name(&member)
        .map_err(|e| malformed(file, format!("member '{member}': {e}")))?;
    let declared = entry.size();
    // Capacity from the declared size, capped: the declaration is not trusted.
    let cap = usize::try_from(declared.min(1 << 26)).unwrap_or(0);
    let mut buf = Vec::with_capacity(cap);
    (&mut entry)
        .take(declared.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| malformed(file, format!("member '{member}': {e}")))?;
    if buf.len() as u64 != declared {
        return Err(malformed(
            file,
            format!(
                "member '{member}' declares {declared} bytes but holds {}",
                buf.len()
            ),
        ));
    }
    Ok((name, buf))
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
