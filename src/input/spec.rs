//! Command-line input specifications: `PATH[:KEY]` and half-open column ranges `A:B`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ndarray::{s, Array2};

use super::InputError;

/// The file formats an INPUT can have, chosen by extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NumPy `.npy`: one array.
    Npy,
    /// NumPy `.npz`: a zip of `.npy` members (stored or deflated); KEY = array name.
    Npz,
    /// `.safetensors`; KEY = tensor name.
    Safetensors,
    /// `.csv`: numeric, exactly one header row.
    Csv,
}

impl Format {
    /// The format of a path, from its extension; `None` when unknown.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "npy" => Some(Format::Npy),
            "npz" => Some(Format::Npz),
            "safetensors" => Some(Format::Safetensors),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The extension with its dot, e.g. ".npz".
    pub fn extension(self) -> &'static str {
        match self {
            Format::Npy => ".npy",
            Format::Npz => ".npz",
            Format::Safetensors => ".safetensors",
            Format::Csv => ".csv",
        }
    }

    /// True when a KEY may (and, with several arrays, must) be given.
    pub fn takes_key(self) -> bool {
        matches!(self, Format::Npz | Format::Safetensors)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// A parsed `PATH` or `PATH:KEY` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// The file.
    pub path: PathBuf,
    /// The array/tensor name inside an `.npz`/`.safetensors`, if given.
    pub key: Option<String>,
    /// The format, from the path's extension.
    pub format: Format,
}

impl InputSpec {
    /// Parses `PATH` or `PATH:KEY`.
    ///
    /// Rules, in order:
    /// 1. if the whole argument names an existing file, it is the path (no key) — so paths
    ///    that contain ':' keep working;
    /// 2. otherwise, if it contains ':' and the part before the LAST ':' has a known extension,
    ///    that part is the path and the rest is the key (which must be non-empty);
    /// 3. otherwise the whole argument is the path.
    ///
    /// The format comes from the path's extension; an unknown one is an error. A path that
    /// exists but is not a regular file (a device, a FIFO, a directory) is refused here, from
    /// its metadata; the file's existence is checked when it is read.
    pub fn parse(arg: &str) -> Result<InputSpec, InputError> {
        if arg.is_empty() {
            return Err(InputError::BadSpec {
                input: arg.to_string(),
                problem: "empty INPUT — pass a .npy, .npz, .safetensors or .csv file".to_string(),
            });
        }
        let whole = Path::new(arg);
        let (path, key) = if whole.is_file() {
            (whole.to_path_buf(), None)
        } else {
            match arg.rsplit_once(':') {
                Some((p, k)) if Format::from_path(Path::new(p)).is_some() => {
                    if k.is_empty() {
                        return Err(InputError::BadSpec {
                            input: arg.to_string(),
                            problem: format!(
                                "empty KEY after ':' — write {p}:NAME, or {p} alone for a file \
                                 holding one array"
                            ),
                        });
                    }
                    (PathBuf::from(p), Some(k.to_string()))
                }
                _ => (whole.to_path_buf(), None),
            }
        };
        // A device, FIFO or directory is named as such, whatever its extension (its metadata
        // only: nothing is opened here).
        if let Err(e) = crate::files::check_regular(&path) {
            if e.kind() == std::io::ErrorKind::InvalidInput {
                return Err(InputError::NotRegular {
                    file: path.display().to_string(),
                    detail: e.to_string(),
                });
            }
        }
        let Some(format) = Format::from_path(&path) else {
            let ext = match path.extension() {
                Some(e) => format!("'.{}'", e.to_string_lossy()),
                None => "(no extension)".to_string(),
            };
            return Err(InputError::UnknownExtension {
                file: path.display().to_string(),
                ext,
            });
        };
        Ok(InputSpec { path, key, format })
    }

    /// `PATH` or `PATH:KEY`, for messages.
    pub fn display_name(&self) -> String {
        match &self.key {
            Some(k) => format!("{}:{k}", self.path.display()),
            None => self.path.display().to_string(),
        }
    }

    /// The tensor name used in reports: the KEY, or else the file stem.
    pub fn tensor_name(&self) -> String {
        match &self.key {
            Some(k) => k.clone(),
            None => self
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.path.display().to_string()),
        }
    }
}

impl FromStr for InputSpec {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InputSpec::parse(s)
    }
}

impl fmt::Display for InputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

/// A half-open, 0-based column range `start..end` (`--x-cols A:B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColRange {
    /// First column (inclusive).
    pub start: usize,
    /// One past the last column; `None` for "to the end" (`A:`).
    pub end: Option<usize>,
}

impl ColRange {
    /// Parses `A:B` (also `A:` = to the last column and `:B` = from column 0).
    ///
    /// `flag` (e.g. "--x-cols") is used in messages. Rejects empty ranges (`A >= B`).
    pub fn parse(flag: &str, text: &str) -> Result<ColRange, InputError> {
        let bad = |problem: &str| InputError::BadColumnRange {
            flag: flag.to_string(),
            text: text.to_string(),
            problem: problem.to_string(),
        };
        let (a, b) = text
            .split_once(':')
            .ok_or_else(|| bad("expected a ':' between start and end"))?;
        let num = |s: &str, which: &str| -> Result<Option<usize>, InputError> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<usize>()
                .map(Some)
                .map_err(|_| bad(&format!("{which} '{s}' is not a non-negative integer")))
        };
        let start = num(a, "start")?.unwrap_or(0);
        let end = num(b, "end")?;
        if let Some(e) = end {
            if e <= start {
                return Err(bad("the range selects no columns (need A < B)"));
            }
        }
        Ok(ColRange { start, end })
    }

    /// Resolves against `ncols` columns of `file`, returning `start..end`.
    pub fn resolve(
        &self,
        flag: &str,
        ncols: usize,
        file: &str,
    ) -> Result<std::ops::Range<usize>, InputError> {
        let end = self.end.unwrap_or(ncols);
        if self.start >= end || end > ncols {
            return Err(InputError::ColumnRangeOutOfBounds {
                flag: flag.to_string(),
                start: self.start,
                end,
                file: file.to_string(),
                ncols,
            });
        }
        Ok(self.start..end)
    }

    /// Copies the selected columns of `m` (whose source is `file`).
    pub fn select(
        &self,
        flag: &str,
        m: &Array2<f64>,
        file: &str,
    ) -> Result<Array2<f64>, InputError> {
        let r = self.resolve(flag, m.ncols(), file)?;
        Ok(m.slice(s![.., r]).to_owned())
    }
}

impl fmt::Display for ColRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(e) => write!(f, "{}:{e}", self.start),
            None => write!(f, "{}:", self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths() {
        let s = InputSpec::parse("emb.npy").expect("npy");
        assert_eq!(s.path, PathBuf::from("emb.npy"));
        assert_eq!(s.key, None);
        assert_eq!(s.format, Format::Npy);
        assert_eq!(s.tensor_name(), "emb");
        assert_eq!(InputSpec::parse("X.CSV").expect("csv").format, Format::Csv);
    }

    #[test]
    fn path_with_key_splits_at_last_colon() {
        let s = InputSpec::parse("run/a:b/snap.safetensors:online.projector").expect("st");
        assert_eq!(s.path, PathBuf::from("run/a:b/snap.safetensors"));
        assert_eq!(s.key.as_deref(), Some("online.projector"));
        assert_eq!(s.format, Format::Safetensors);
        assert_eq!(s.tensor_name(), "online.projector");
        assert_eq!(
            s.display_name(),
            "run/a:b/snap.safetensors:online.projector"
        );
        let s = InputSpec::parse("C:\\data\\x.npz:emb").expect("windows-like");
        assert_eq!(s.path, PathBuf::from("C:\\data\\x.npz"));
        assert_eq!(s.key.as_deref(), Some("emb"));
    }

    #[test]
    fn existing_file_with_colon_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("odd:name.npy");
        std::fs::write(&p, b"x").expect("write");
        let s = InputSpec::parse(&p.display().to_string()).expect("odd");
        assert_eq!(s.path, p);
        assert_eq!(s.key, None);
        // A path with ':' that does not exist and has no known extension before the colon
        // is taken whole.
        let s = InputSpec::parse("weird:dir/x.npy").expect("whole");
        assert_eq!(s.path, PathBuf::from("weird:dir/x.npy"));
        assert_eq!(s.key, None);
    }

    #[test]
    fn spec_errors() {
        let e = InputSpec::parse("x.txt").expect_err("ext").to_string();
        assert_eq!(
            e,
            "'x.txt': unknown input format '.txt' — use a .npy, .npz, .safetensors or .csv file \
             (optionally PATH:KEY for .npz/.safetensors)"
        );
        let e = InputSpec::parse("noext").expect_err("noext").to_string();
        assert!(e.contains("(no extension)"), "{e}");
        let e = InputSpec::parse("x.npz:")
            .expect_err("empty key")
            .to_string();
        assert!(e.contains("empty KEY after ':' — write x.npz:NAME"), "{e}");
        assert!(InputSpec::parse("").is_err());
        let e = "x.pt:emb".parse::<InputSpec>().expect_err("pt").to_string();
        assert!(e.contains("unknown input format"), "{e}");
    }

    #[test]
    fn column_ranges() {
        let r = ColRange::parse("--x-cols", "2:5").expect("range");
        assert_eq!(
            r,
            ColRange {
                start: 2,
                end: Some(5)
            }
        );
        assert_eq!(r.resolve("--x-cols", 5, "x.npy").expect("fits"), 2..5);
        let e = r
            .resolve("--x-cols", 4, "x.npy")
            .expect_err("oob")
            .to_string();
        assert_eq!(
            e,
            "--x-cols 2:5: out of range for 'x.npy', which has 4 columns — use A:B with 0 ≤ A < B ≤ 4"
        );
        let open = ColRange::parse("--y-cols", "3:").expect("open end");
        assert_eq!(open.resolve("--y-cols", 8, "x").expect("fits"), 3..8);
        assert!(open.resolve("--y-cols", 3, "x").is_err());
        assert_eq!(
            ColRange::parse("--y-cols", ":2").expect("open start").start,
            0
        );
        for bad in ["3", "a:b", "5:5", "6:2", "-1:3", "1:2:3"] {
            let e = ColRange::parse("--x-cols", bad).expect_err(bad).to_string();
            assert!(e.starts_with(&format!("--x-cols '{bad}':")), "{e}");
            assert!(e.contains("A:B (half-open, 0-based)"), "{e}");
        }
        let m = Array2::from_shape_fn((2, 4), |(i, j)| (i * 4 + j) as f64);
        let sel = ColRange::parse("--x-cols", "1:3")
            .expect("range")
            .select("--x-cols", &m, "m.csv")
            .expect("select");
        assert_eq!(sel, ndarray::array![[1.0, 2.0], [5.0, 6.0]]);
    }
}
