//! The arrays a file holds and their shapes, from its headers alone (no element data is read):
//! for `analyze DIR`, which checks that every epoch file of a series holds the same tensors of
//! the same widths before it measures any of them (ARCHITECTURE.md §3, the series contract).
//!
//! * `.npy`: one array, named `""`;
//! * `.safetensors`: the header's tensor names and shapes (`__metadata__` is not a tensor);
//! * `.npz`: the members (name without `.npy`, as the `.npz` reader names them), each member's
//!   `.npy` header decompressed (only the first bytes of the member are inflated).
//!
//! The data are checked later by the readers ([`super::read_embedding`] and friends): a header
//! that is well formed here can still belong to a truncated file.

use super::read::open_error as io_error;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::{npy, Format, InputError};
use crate::files::open_regular;

/// Largest `.npy` header read (NumPy writes a few hundred bytes; version 2 allows up to 4 GiB,
/// which no real export needs).
const MAX_NPY_HEADER: u64 = 1 << 20;

/// Largest `.safetensors` header read (the `safetensors` crate's own limit is 100 MB).
const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;

/// Array name → shape, sorted by name.
pub type Members = BTreeMap<String, Vec<usize>>;

fn malformed(file: &str, format: &'static str, detail: impl Into<String>) -> InputError {
    InputError::Malformed {
        file: file.to_string(),
        format,
        detail: detail.into(),
    }
}

/// The arrays `path` (of `format`: `.npy`, `.npz` or `.safetensors`) holds, with their shapes.
pub fn members(path: &Path, format: Format) -> Result<Members, InputError> {
    let file = path.display().to_string();
    let (f, len) = open_regular(path).map_err(io_error(&file))?;
    if len == 0 {
        return Err(InputError::Empty { file });
    }
    match format {
        Format::Npy => {
            let mut head = Vec::new();
            f.take(len.min(MAX_NPY_HEADER))
                .read_to_end(&mut head)
                .map_err(io_error(&file))?;
            let (header, _) = npy::parse_header(&head, &file)?;
            Ok(BTreeMap::from([(String::new(), header.shape)]))
        }
        Format::Safetensors => safetensors_members(f, len, &file),
        Format::Npz => npz_members(f, &file),
        Format::Csv => Err(malformed(
            &file,
            ".csv",
            "a series holds .npy, .npz or .safetensors files",
        )),
    }
}

fn safetensors_members(f: std::fs::File, len: u64, file: &str) -> Result<Members, InputError> {
    const FORMAT: &str = ".safetensors";
    let mut f = f;
    let mut n = [0u8; 8];
    f.read_exact(&mut n)
        .map_err(|_| malformed(file, FORMAT, "truncated before the 8-byte header length"))?;
    let n = u64::from_le_bytes(n);
    if n > MAX_SAFETENSORS_HEADER || n > len - 8 {
        return Err(malformed(
            file,
            FORMAT,
            format!(
                "the header length {n} exceeds the file ({len} bytes) or the 100 MB header limit"
            ),
        ));
    }
    let mut header = Vec::new();
    f.take(n).read_to_end(&mut header).map_err(io_error(file))?;
    let value: serde_json::Value = serde_json::from_slice(&header)
        .map_err(|e| malformed(file, FORMAT, format!("header JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(malformed(file, FORMAT, "the header is not a JSON object"));
    };
    let mut out = Members::new();
    for (name, entry) in object {
        if name == "__metadata__" {
            continue;
        }
        let shape = entry
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|dims| {
                dims.iter()
                    .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
                    .collect::<Option<Vec<usize>>>()
            })
            .ok_or_else(|| {
                malformed(
                    file,
                    FORMAT,
                    format!(
                        "tensor '{}' has no shape of non-negative integers",
                        crate::files::shown(name)
                    ),
                )
            })?;
        out.insert(name.clone(), shape);
    }
    Ok(out)
}

fn npz_members(f: std::fs::File, file: &str) -> Result<Members, InputError> {
    const FORMAT: &str = ".npz";
    let mut archive =
        zip::ZipArchive::new(f).map_err(|e| malformed(file, FORMAT, format!("zip: {e}")))?;
    let mut out = Members::new();
    for i in 0..archive.len() {
        let mut member = archive
            .by_index(i)
            .map_err(|e| malformed(file, FORMAT, format!("zip member {i}: {e}")))?;
        let member_name = member
            .name()
            .map_err(|e| malformed(file, FORMAT, format!("zip member {i}: {e}")))?;
        if member_name.ends_with('/') {
            continue;
        }
        // As the `.npz` reader names them: the member name without `.npy`.
        let name = member_name
            .strip_suffix(".npy")
            .unwrap_or(&member_name)
            .to_string();
        let shown_name = format!("{file}:{name}");
        let mut head = Vec::new();
        let size = member.size();
        (&mut member)
            .take(size.min(MAX_NPY_HEADER))
            .read_to_end(&mut head)
            .map_err(|e| malformed(&shown_name, FORMAT, format!("zip: {e}")))?;
        let (header, _) = npy::parse_header(&head, &shown_name)?;
        out.insert(name, header.shape);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safetensors_names_and_shapes_without_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let header = br#"{"__metadata__":{"a":"b"},"x.y":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"l":{"dtype":"I64","shape":[2],"data_offsets":[24,40]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(&[0u8; 40]);
        let path = dir.path().join("a.safetensors");
        std::fs::write(&path, &bytes).unwrap();
        let m = members(&path, Format::Safetensors).unwrap();
        assert_eq!(
            m,
            Members::from([("l".into(), vec![2]), ("x.y".into(), vec![2, 3])])
        );
    }

    #[test]
    fn npy_header_only_and_bad_files_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = npy::encode_header("<f4", "(4, 2)");
        bytes.extend_from_slice(&[0u8; 32]);
        let path = dir.path().join("a.npy");
        std::fs::write(&path, &bytes).unwrap();
        let m = members(&path, Format::Npy).unwrap();
        assert_eq!(m, Members::from([(String::new(), vec![4, 2])]));

        let bad = dir.path().join("b.safetensors");
        std::fs::write(&bad, u64::MAX.to_le_bytes()).unwrap();
        let e = members(&bad, Format::Safetensors).unwrap_err().to_string();
        assert!(e.contains("b.safetensors"), "{e}");
        let empty = dir.path().join("c.npz");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            members(&empty, Format::Npz),
            Err(InputError::Empty { .. })
        ));
    }
}
