//! The per-epoch cache of `analyze DIR --out OUT` (ARCHITECTURE.md §3, the series contract):
//! `OUT/cache/<key>.json`, one file per measured epoch, so that re-analysing a directory that
//! gained files measures only the new ones.
//!
//! The key is the XXH3-128 hash of a canonical JSON object holding everything that shapes the
//! epoch's numbers: the build ([`build_id`]: the tool version and the hash of the running
//! executable, so another build of the same version measures again), the XXH3-128 hash of the epoch file's bytes (and of the
//! shared `--labels` file's), the tensor name of a `.npy` series, the information settings as
//! applied to that epoch (seed combined with the master seed, jackknife groups), H(T) as
//! given (`--fixed-transforms`, `--h-t`, or null: it decides the theorem form and the gap) and
//! the kNN subsample cap. Anything else changed (a new tool version, another `[info]`) is another key.
//!
//! An entry is `{"check", "key", "record"}`: `record` is the epoch's record serialised as JSON
//! text, `check` the XXH3-128 of that text. An entry is used only when it parses, names the key
//! it is stored under and its text matches its check; anything else (a truncated or edited
//! entry, another tool's file) is measured again and overwritten, never trusted. A record is
//! stored only when its JSON reads back equal to it (serde_json with `float_roundtrip`, so every
//! f64 comes back bit for bit), so a result from the cache equals the measured one; a file is
//! hashed before and after it is measured ([`super::series`]), so a record is filed under the
//! content it was measured on.
//! XXH3 is not a cryptographic hash: the cache guards against change and corruption, not against
//! someone forging entries in OUT.

use std::path::{Path, PathBuf};

use ib_reports::record::EpochRecord;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// The folder inside OUT.
pub const DIR: &str = "cache";

/// Hex XXH3-128 of the bytes `path` holds, read in 1 MiB steps (only a regular file is opened).
pub fn file_hash(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let (f, len) = crate::files::open_regular(path)?;
    let mut f = f.take(len);
    let mut h = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:032x}", h.digest128()))
}

/// The build that measures: the tool version and the hex XXH3-128 of the running executable
/// (a few milliseconds, once per process). When the executable cannot be read, a value unique
/// to this process, so that nothing cached is reused rather than something stale.
pub fn build_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| file_hash(&p).ok());
        match exe {
            Some(h) => format!("{} {h}", crate::tool_version()),
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                format!(
                    "{} unhashed {} {nanos}",
                    crate::tool_version(),
                    std::process::id()
                )
            }
        }
    })
    .clone()
}

/// The key of an epoch: hex XXH3-128 of the canonical JSON of `parts`.
pub fn key(parts: &serde_json::Value) -> String {
    // serde_json's Value sorts object keys: the text is canonical.
    format!("{:032x}", xxh3_128(parts.to_string().as_bytes()))
}

#[derive(Serialize, Deserialize)]
struct Entry {
    check: String,
    key: String,
    record: String,
}

/// The cache folder of an output directory.
pub fn dir_of(out: &Path) -> PathBuf {
    out.join(DIR)
}

fn path_of(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// Whether `name` is the file name of a cache entry (32 hex digits, `.json`).
pub fn is_entry_name(name: &str) -> bool {
    name.strip_suffix(".json")
        .is_some_and(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The record stored under `key` in `dir`, when there is a sound entry (see the module doc);
/// None otherwise (missing, unreadable, corrupt or stale: the caller measures the epoch).
pub fn load(dir: &Path, key: &str) -> Option<EpochRecord> {
    let bytes = crate::files::read_regular(&path_of(dir, key), 1 << 30).ok()?;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    if entry.key != key || entry.check != format!("{:032x}", xxh3_128(entry.record.as_bytes())) {
        return None;
    }
    serde_json::from_str(&entry.record).ok()
}

/// The bytes of the entry for `record` under `key`, or None when the record's JSON would not
/// read back equal to it (e.g. a NaN, which JSON cannot hold): such a record is not cached.
pub fn entry_bytes(key: &str, record: &EpochRecord) -> Option<Vec<u8>> {
    let text = serde_json::to_string(record).ok()?;
    let back: EpochRecord = serde_json::from_str(&text).ok()?;
    if &back != record {
        return None;
    }
    let entry = Entry {
        check: format!("{:032x}", xxh3_128(text.as_bytes())),
        key: key.to_string(),
        record: text,
    };
    serde_json::to_vec(&entry).ok()
}

/// Write the new entries into `dir` (created if needed), each atomically, then remove the
/// entries no longer used (`keep`: the keys of this analysis), so the cache holds the current
/// analysis only. Only files named like entries are removed.
pub fn store(dir: &Path, new: &[(String, Vec<u8>)], keep: &[String]) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "could not create the cache '{}'",
            crate::files::shown_path(dir)
        )
    })?;
    for (key, bytes) in new {
        crate::output::atomic_write(&path_of(dir, key), bytes)?;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_entry_name(name) && !keep.iter().any(|k| name == format!("{k}.json")) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_build_is_the_version_and_the_executables_hash() {
        let exe = file_hash(&std::env::current_exe().unwrap()).unwrap();
        assert_eq!(build_id(), format!("{} {exe}", crate::tool_version()));
        assert_eq!(build_id(), build_id());
    }

    fn record() -> EpochRecord {
        EpochRecord {
            epoch: 3,
            loss: None,
            lr: None,
            tensors: BTreeMap::new(),
            info: Vec::new(),
            lagrangian: Vec::new(),
            knn_accuracy: Some(0.1 + 0.2),
            knn_subsample: None,
        }
    }

    #[test]
    fn an_entry_reads_back_and_a_tampered_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(&serde_json::json!({"a": 1}));
        let bytes = entry_bytes(&k, &record()).unwrap();
        store(
            dir.path(),
            &[(k.clone(), bytes.clone())],
            std::slice::from_ref(&k),
        )
        .unwrap();
        assert_eq!(load(dir.path(), &k), Some(record()));
        // Another key: not found.
        assert_eq!(load(dir.path(), &"0".repeat(32)), None);
        // The accuracy edited (valid JSON, wrong check): refused.
        let text = String::from_utf8(bytes).unwrap();
        let edited = text.replace("0.30000000000000004", "0.9");
        assert_ne!(edited, text);
        std::fs::write(path_of(dir.path(), &k), edited).unwrap();
        assert_eq!(load(dir.path(), &k), None);
        // Truncated: refused.
        std::fs::write(path_of(dir.path(), &k), &text.as_bytes()[..text.len() / 2]).unwrap();
        assert_eq!(load(dir.path(), &k), None);
        // Stored under another key's name: refused.
        let other = key(&serde_json::json!({"a": 2}));
        std::fs::write(path_of(dir.path(), &other), &text).unwrap();
        assert_eq!(load(dir.path(), &other), None);
    }

    #[test]
    fn a_nan_is_not_cached_and_unused_entries_are_pruned() {
        let mut r = record();
        r.knn_accuracy = Some(f64::NAN);
        assert!(entry_bytes("k", &r).is_none());
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ("a".repeat(32), "b".repeat(32));
        std::fs::write(dir.path().join("note.txt"), b"x").unwrap();
        store(
            dir.path(),
            &[(a.clone(), b"{}".to_vec()), (b.clone(), b"{}".to_vec())],
            &[a.clone(), b.clone()],
        )
        .unwrap();
        store(dir.path(), &[], std::slice::from_ref(&a)).unwrap();
        assert!(path_of(dir.path(), &a).exists());
        assert!(!path_of(dir.path(), &b).exists());
        assert!(dir.path().join("note.txt").exists());
    }
}
