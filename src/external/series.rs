//! `analyze DIR`: a series of per-epoch files analysed as one run (ARCHITECTURE.md §3, the
//! series contract).
//!
//! The directory holds `epoch-<digits>.<ext>` files, `ext` one of `npy`, `npz`, `safetensors`
//! (all the same); the epoch is the number in the name and orders the files. Names starting
//! with `.` are ignored, so a writer can write `.epoch-0007.safetensors.tmp` and rename it into
//! place (an atomic rename: a reader sees the whole file or none). Any other name, two files of
//! one epoch (`epoch-3.npy`, `epoch-0003.npy`), two extensions, no file at all, or more than
//! [`crate::config::MAX_SNAPSHOTS`] files is refused, as is a file whose tensors or shapes differ
//! from the first file's.
//!
//! A `.npy` file is one N×d tensor, judged under the run's name. A `.safetensors` or `.npz` file
//! holds the snapshot tensors of ARCHITECTURE.md §2: the `online.*` ones present are judged;
//! `views.projector` (N×K×d: K views of each probe input, with `online.projector`) gives the information quantities,
//! `target.projector` (N×K×d) adds I(V;V′) and H(V|V′); `labels` (N) gives the leave-one-out
//! kNN accuracy on `online.backbone` (else `online.projector`). Other names are carried but not
//! analysed.
//!
//! Every check that needs only the names and the headers runs before any epoch is measured;
//! nothing is written by this module (the caller writes OUT once every epoch succeeded).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use ib_reports::record::{DatasetInfo, EpochRecord, MethodRun, RunRecord, SCHEMA_VERSION};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cache;
use crate::analysis::panel;
use crate::config::{RunConfig, MAX_SNAPSHOTS};
use crate::files::{shown, shown_path};
use crate::info::InfoInputs;
use crate::input::{self, members::Members, Format, InputSpec};
use crate::probe::{self, Judged, Knn, Probe, RowOrder};
use crate::records::{canonical, AnalyzeConfig, AnalyzeInputs, SeriesConfig};
use crate::tool_version;
use crate::verdict::judge_run;

/// The judged tensors of a snapshot file, in the order `run` records them.
const JUDGED: [&str; 3] = ["online.backbone", "online.projector", "online.predictor"];
const VIEWS: &str = "views.projector";
const TARGET: &str = "target.projector";
const LABELS: &str = "labels";

/// Whether INPUT names a directory (series mode). A directory named like an input file
/// (`x.npy`, `x.csv`, ...) is not a series: it is refused as a path that is not a regular file,
/// as for any INPUT file.
pub fn is_series(input: &str) -> bool {
    let path = Path::new(input);
    path.is_dir() && Format::from_path(path).is_none()
}

/// What `analyze DIR` needs.
pub struct SeriesRequest<'a> {
    /// The directory.
    pub dir: &'a Path,
    /// The run's name (a plain file name).
    pub name: &'a str,
    /// The name of the judged tensor of a `.npy` series [default: the run's name] (several
    /// series share one, [`super::compare::tensor_name`]); the tensors of `.npz` and
    /// `.safetensors` files keep their own names.
    pub tensor: Option<&'a str>,
    /// The inputs as given (INPUT = the directory; `labels` shared by every epoch).
    pub inputs: &'a AnalyzeInputs,
    /// The configuration.
    pub cfg: &'a RunConfig,
    /// What the user said of H(T) (applies to `views.projector`).
    pub h_t: super::HtRequest,
    /// The cache to read, when OUT holds one.
    pub cache: Option<&'a Path>,
    /// Draw a progress bar on stderr (it draws only on a terminal).
    pub progress: bool,
}

/// The record and how it was obtained.
pub struct SeriesOutcome {
    /// One run, one epoch per file.
    pub record: RunRecord,
    /// Epochs taken from the cache.
    pub cached: usize,
    /// Epochs measured.
    pub measured: usize,
    /// Cache entries to write (key, bytes): the measured epochs.
    pub new_entries: Vec<(String, Vec<u8>)>,
    /// The keys of every epoch of this analysis (the cache keeps these).
    pub keys: Vec<String>,
    /// Epoch files that appeared in the directory while it was read (not analysed).
    pub appeared: Vec<String>,
}

/// One epoch file.
#[derive(Debug, Clone)]
struct EpochFile {
    epoch: usize,
    path: PathBuf,
    format: Format,
}

/// Parses `epoch-<digits>.<ext>`: Some((epoch, format)) for a series file name, None otherwise;
/// Err when the digits do not fit a number.
fn parse_name(name: &str) -> Option<std::result::Result<(usize, Format), ()>> {
    let rest = name.strip_prefix("epoch-")?;
    let (digits, ext) = rest.split_once('.')?;
    let format = match ext {
        "npy" => Format::Npy,
        "npz" => Format::Npz,
        "safetensors" => Format::Safetensors,
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<usize>().map(|e| (e, format)).map_err(|_| ()))
}

const NAMES_RULE: &str = "a series directory holds only epoch-NNNN.npy, epoch-NNNN.npz or \
     epoch-NNNN.safetensors files (one extension; names starting with '.' are ignored, so write \
     to a dotfile and rename it into place)";

/// The epoch files of `dir`, ordered by epoch, with every naming rule checked.
fn list(dir: &Path) -> Result<Vec<EpochFile>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("could not read the directory '{}'", shown_path(dir)))?;
    let mut files: Vec<EpochFile> = Vec::new();
    for entry in entries {
        let entry =
            entry.with_context(|| format!("could not read the directory '{}'", shown_path(dir)))?;
        let path = entry.path();
        let os_name = entry.file_name();
        if os_name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let parsed = os_name.to_str().and_then(parse_name);
        let (epoch, format) = match parsed {
            Some(Ok(p)) => p,
            Some(Err(())) => bail!(
                "'{}': the epoch number is too large: number the files by epoch (epoch-0001.npy)",
                shown_path(&path)
            ),
            None => bail!("'{}' is not an epoch file: {NAMES_RULE}", shown_path(&path)),
        };
        files.push(EpochFile {
            epoch,
            path,
            format,
        });
    }
    if files.is_empty() {
        bail!("'{}' holds no epoch files: {NAMES_RULE}", shown_path(dir));
    }
    files.sort_by(|a, b| a.epoch.cmp(&b.epoch).then_with(|| a.path.cmp(&b.path)));
    for w in files.windows(2) {
        if w[0].epoch == w[1].epoch {
            bail!(
                "'{}' and '{}' are both epoch {}: keep one file per epoch",
                shown_path(&w[0].path),
                shown_path(&w[1].path),
                w[0].epoch
            );
        }
    }
    if let Some(other) = files.iter().find(|f| f.format != files[0].format) {
        bail!(
            "'{}' and '{}' mix .{} and .{} files: {NAMES_RULE}",
            shown_path(&files[0].path),
            shown_path(&other.path),
            files[0].format.extension(),
            other.format.extension()
        );
    }
    if files.len() > MAX_SNAPSHOTS {
        bail!(
            "'{}' holds {} epoch files, more than the {MAX_SNAPSHOTS} a run may hold (the limit of \
             `run`'s snapshots): analyse a subset (every k-th epoch) in another directory",
            shown_path(dir),
            files.len()
        );
    }
    Ok(files)
}

/// The tensors every epoch file holds (from the first file's headers, checked on every file).
struct Layout {
    /// Judged tensors present, in [`JUDGED`] order (for `.npy`: the run's name).
    judged: Vec<String>,
    /// Rows N of the judged tensors.
    n: usize,
    /// Columns d of the first judged tensor (the dataset's `input_dim`).
    d: usize,
    /// K of `views.projector`, when the information quantities are measured.
    k: Option<usize>,
    /// Whether a target is paired with the views.
    target: bool,
    /// Whether the files hold labels.
    labels: bool,
}

fn shape_text(s: &[usize]) -> String {
    input::fmt_shape(s)
}

/// Reads the headers of every file and checks that they agree with the first.
fn layout(files: &[EpochFile], name: &str) -> Result<Layout> {
    let read = |f: &EpochFile| -> Result<Members> {
        let mut m = input::members::members(&f.path, f.format)?;
        if f.format == Format::Npy {
            let shape = m.remove("").unwrap_or_default();
            m.insert(name.to_string(), shape);
        }
        Ok(m)
    };
    let first = &files[0];
    let members = read(first)?;
    for f in &files[1..] {
        let m = read(f)?;
        if m.keys().ne(members.keys()) {
            let only = |a: &Members, b: &Members| -> String {
                let v: Vec<String> = a
                    .keys()
                    .filter(|k| !b.contains_key(*k))
                    .map(|k| shown(k).into_owned())
                    .collect();
                if v.is_empty() {
                    "nothing".into()
                } else {
                    v.join(", ")
                }
            };
            bail!(
                "'{}' and '{}' hold different tensors (only in the first: {}; only in the second: {}): \
                 every epoch of a series must hold the same tensors",
                shown_path(&first.path),
                shown_path(&f.path),
                only(&members, &m),
                only(&m, &members)
            );
        }
        for (k, shape) in &m {
            let reference = &members[k];
            if shape != reference {
                let what = match (shape.last(), reference.last()) {
                    (Some(a), Some(b)) if a != b => format!("d = {b} and d = {a}"),
                    _ => "different shapes".to_string(),
                };
                bail!(
                    "'{}' and '{}' hold {} of shapes {} and {} ({what}): every epoch of a series \
                     must hold the same tensors with the same shapes (the same probe rows, the same layer)",
                    shown_path(&first.path),
                    shown_path(&f.path),
                    shown(k),
                    shape_text(reference),
                    shape_text(shape)
                );
            }
        }
    }
    let file = shown_path(&first.path);
    let judged: Vec<String> = if first.format == Format::Npy {
        vec![name.to_string()]
    } else {
        JUDGED
            .iter()
            .filter(|t| members.contains_key(**t))
            .map(|t| t.to_string())
            .collect()
    };
    if judged.is_empty() {
        bail!(
            "'{file}' holds none of {}: the tensors of a snapshot are named as in ARCHITECTURE.md §2 \
             (found: {})",
            JUDGED.join(", "),
            members.keys().map(|k| shown(k).into_owned()).collect::<Vec<_>>().join(", ")
        );
    }
    let (n, d) = match members[&judged[0]].as_slice() {
        &[n, d] => (n, d),
        s => bail!(
            "'{file}': {} has shape {}: a judged tensor is N×d",
            shown(&judged[0]),
            shape_text(s)
        ),
    };
    for t in &judged {
        match members[t].as_slice() {
            &[rows, _] if rows == n => {}
            s => bail!(
                "'{file}': {} has shape {}, but {} has {n} rows: the judged tensors are the same N probe inputs",
                shown(t),
                shape_text(s),
                shown(&judged[0])
            ),
        }
    }
    if n < 2 {
        bail!("'{file}': {n} row(s): at least 2 embeddings are needed");
    }
    let (mut k, mut target) = (None, false);
    if first.format == Format::Npy {
        // One tensor: no views, target or labels in the files.
        return Ok(Layout {
            judged,
            n,
            d,
            k,
            target,
            labels: false,
        });
    }
    if let Some(views) = members.get(VIEWS) {
        let Some(online) = members.get("online.projector") else {
            bail!("'{file}' holds {VIEWS} but no online.projector: the views pair with online.projector");
        };
        match views.as_slice() {
            &[vn, kk, vd] if vn == online[0] && vd == online[1] && kk >= 1 => k = Some(kk),
            s => bail!(
                "'{file}': {VIEWS} has shape {} but online.projector is {}: the views are N×K×d, K views of each of the same N inputs",
                shape_text(s),
                shape_text(online)
            ),
        }
        if let Some(t) = members.get(TARGET) {
            if t != views {
                bail!(
                    "'{file}': {TARGET} has shape {} but {VIEWS} has {}: the target network's output on the same views",
                    shape_text(t),
                    shape_text(views)
                );
            }
            target = true;
        }
    } else if members.contains_key(TARGET) {
        bail!("'{file}' holds {TARGET} but no {VIEWS}: the target is paired with the views");
    }
    let labels = match members.get(LABELS) {
        Some(s) if s.as_slice() == [n] => true,
        Some(s) => bail!(
            "'{file}': labels have shape {} but the judged tensors have {n} rows: one label per row",
            shape_text(s)
        ),
        None => false,
    };
    Ok(Layout {
        judged,
        n,
        d,
        k,
        target,
        labels,
    })
}

fn spec_of(f: &EpochFile, key: Option<&str>) -> InputSpec {
    InputSpec {
        path: f.path.clone(),
        key: key.map(str::to_string),
        format: f.format,
    }
}

/// Measures one epoch file.
fn measure(
    f: &EpochFile,
    layout: &Layout,
    shared_labels: Option<&[i64]>,
    cfg: &RunConfig,
    info_cfg: &crate::info::InfoConfig,
    h_t: Option<f64>,
) -> Result<EpochRecord> {
    let npy = f.format == Format::Npy;
    let mut arrays = Vec::new();
    for t in &layout.judged {
        let spec = spec_of(f, (!npy).then_some(t.as_str()));
        arrays.push((t.clone(), input::read_embedding(&spec)?));
    }
    let array = |name: &str| arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a);
    let views = match layout.k {
        Some(_) => Some(input::read_views(&spec_of(f, Some(VIEWS)))?),
        None => None,
    };
    let target = match (&views, layout.target) {
        (Some(_), true) => Some(input::read_views(&spec_of(f, Some(TARGET)))?),
        _ => None,
    };
    let own_labels = if layout.labels {
        Some(input::read_labels(&spec_of(f, Some(LABELS)))?)
    } else {
        None
    };
    let labels = own_labels.as_deref().or(shared_labels);
    let knn_rows = array("online.backbone")
        .or_else(|| array("online.projector"))
        .or_else(|| arrays.first().map(|(_, a)| a));
    let knn = match (labels, knn_rows) {
        (Some(y), Some(rows)) => Knn::LeaveOneOut {
            rows: rows.rows(),
            labels: y,
            max_rows: cfg.knn.max_rows,
            seed: info_cfg.seed,
        },
        _ => Knn::None,
    };
    let info = match (&views, array("online.projector")) {
        (Some(v), Some(online)) => Some(InfoInputs {
            tensor: "online.projector",
            online: online.rows(),
            views: Some(v.view().into()),
            target: target.as_ref().map(|t| t.view().into()),
            h_t,
        }),
        _ => None,
    };
    probe::probe(Probe {
        epoch: f.epoch,
        loss: None,
        lr: None,
        judged: arrays
            .iter()
            .map(|(name, a)| {
                Judged::new(
                    name.clone(),
                    a.rows(),
                    None,
                    match &views {
                        Some(v) if name == "online.projector" => Ok(v.view().into()),
                        Some(_) => Err(panel::views_of_the_projector(name)),
                        None => Err(format!(
                            "no views: the epoch file holds no {VIEWS} (N′×K×d)"
                        )),
                    },
                    labels.ok_or_else(|| {
                        "no labels: the epoch file holds no labels and --labels was not given"
                            .to_string()
                    }),
                    cfg,
                    info_cfg.seed,
                )
            })
            .collect(),
        info,
        info_cfg,
        order: RowOrder::HeadlineFirst,
        knn,
    })
}

/// Lists, checks, measures (or takes from the cache) and judges every epoch of the directory.
pub fn analyze_series(req: &SeriesRequest<'_>) -> Result<SeriesOutcome> {
    let SeriesRequest { dir, name, cfg, .. } = *req;
    let files = list(dir)?;
    let tensor = req.tensor.unwrap_or(name);
    let layout = layout(&files, tensor)?;
    let h_t = req.h_t.resolve(
        layout.k,
        &format!(
            "'{}' holds no {VIEWS} (N×K×d): drop the flag",
            shown_path(&files[0].path)
        ),
    )?;
    let (shared_labels, labels_hash) = match &req.inputs.labels {
        Some(l) => {
            if layout.labels {
                bail!(
                    "--labels {} and '{}' both give labels: the files' own labels are used; drop --labels",
                    shown(l),
                    shown_path(&files[0].path)
                );
            }
            let spec = InputSpec::parse(l).with_context(|| format!("--labels {}", shown(l)))?;
            let y = input::read_labels(&spec)?;
            if y.len() != layout.n {
                bail!(
                    "'{}' holds {} labels but the epoch files have {} rows: labels must be paired with the rows",
                    shown(&spec.display_name()),
                    y.len(),
                    layout.n
                );
            }
            let hash = cache::file_hash(&spec.path)
                .with_context(|| format!("could not read '{}'", shown_path(&spec.path)))?;
            (Some(y), Some(hash))
        }
        None => (None, None),
    };

    let bar = if req.progress {
        ProgressBar::with_draw_target(Some(files.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} epochs ({elapsed})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_prefix(shown(name).into_owned());

    let last = files.len() - 1;
    let (mut epochs, mut keys, mut new_entries) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cached, mut measured) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        let mut info_cfg = cfg.info.clone();
        info_cfg.seed ^= cfg.seed;
        if i != last {
            // Bootstrap intervals for the headline numbers: the last epoch's (as `run`).
            info_cfg.ci_groups = 0;
        }
        let hash = cache::file_hash(&f.path).map_err(|e| {
            anyhow!(
                "'{}': cannot read the file: {e} — was it removed or replaced while the directory was read? \
                 Write epoch files to a dotfile and rename them into place",
                shown_path(&f.path)
            )
        })?;
        let key = cache::key(&serde_json::json!({
            "build": cache::build_id(),
            "file": hash,
            "format": f.format.extension(),
            "tensor": if f.format == Format::Npy { Some(tensor) } else { None },
            "labels": labels_hash,
            // Only an epoch with information quantities depends on their settings.
            "info": if layout.k.is_some() { canonical(&info_cfg)? } else { serde_json::Value::Null },
            // The kNN subsample's seed is the combined information seed.
            "seed": info_cfg.seed,
            "knn_max_rows": cfg.knn.max_rows,
            "panel": cfg.panel,
            // The theorem form and the gap depend on H(T).
            "h_t": h_t,
        }));
        let record = match req.cache.and_then(|c| cache::load(c, &key)) {
            Some(mut r) => {
                r.epoch = f.epoch;
                cached += 1;
                r
            }
            None => {
                let r = measure(
                    f,
                    &layout,
                    shared_labels.as_deref(),
                    cfg,
                    &info_cfg,
                    h_t.map(|h| h.nats),
                )
                .with_context(|| format!("epoch {} ('{}')", f.epoch, shown_path(&f.path)))?;
                // The bytes measured must be the bytes hashed, or the cache would file this
                // record under another content's key.
                if cache::file_hash(&f.path).ok().as_ref() != Some(&hash) {
                    bail!(
                        "'{}' changed while it was read: analyse again (write epoch files to a \
                         dotfile and rename them into place, never over an existing epoch)",
                        shown_path(&f.path)
                    );
                }
                measured += 1;
                if let Some(bytes) = cache::entry_bytes(&key, &r) {
                    new_entries.push((key.clone(), bytes));
                }
                r
            }
        };
        epochs.push(record);
        keys.push(key);
        bar.inc(1);
    }
    bar.finish_and_clear();

    // A file that appeared meanwhile is left for the next analysis (its writer may still be
    // renaming it into place); one listed file that vanished was read already.
    let appeared = match list(dir) {
        Ok(now) => now
            .iter()
            .filter(|n| !files.iter().any(|f| f.path == n.path))
            .map(|n| file_name(&n.path))
            .collect(),
        Err(_) => Vec::new(),
    };

    let verdict = judge_run(&epochs, None, &cfg.verdict);
    let k = layout.k;
    let format = files[0].format.extension().to_string();
    let record = RunRecord {
        schema_version: SCHEMA_VERSION,
        tool: tool_version(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: "analyze".into(),
        dataset: DatasetInfo {
            name: dir.display().to_string(),
            n_train: 0,
            n_probe: layout.n,
            input_dim: layout.d,
            k_views: k,
            h_t: h_t.map(|h| h.nats),
        },
        config: canonical(&AnalyzeConfig {
            inputs: req.inputs.clone(),
            info: cfg.info.clone(),
            verdict: cfg.verdict.clone(),
            panel: cfg.panel,
            seed: cfg.seed,
            series: Some(SeriesConfig {
                name: name.to_string(),
                format,
                files: files.iter().map(|f| file_name(&f.path)).collect(),
                knn_max_rows: cfg.knn.max_rows,
            }),
            h_t,
            views_n: k.map(|_| layout.n),
            spectrum_only: false,
        })?,
        runs: vec![MethodRun {
            name: name.to_string(),
            method: "external".into(),
            seed: cfg.seed,
            epochs,
            verdict,
            diverged_at: None,
        }],
    };
    Ok(SeriesOutcome {
        record,
        cached,
        measured,
        new_entries,
        keys,
        appeared,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(OsStr::to_string_lossy)
        .unwrap_or_default()
        .into_owned()
}

/// The default run name of a directory: its file name (of the absolute path for `.`).
pub fn default_name(dir: &Path) -> Result<String> {
    let abs = std::path::absolute(dir)
        .with_context(|| format!("could not resolve '{}'", shown_path(dir)))?;
    let mut name = None;
    for c in abs.components() {
        match c {
            std::path::Component::Normal(s) => name = Some(s.to_os_string()),
            std::path::Component::ParentDir => name = None,
            _ => {}
        }
    }
    let canon = std::fs::canonicalize(dir).ok();
    let name = name
        .or_else(|| {
            canon
                .as_ref()
                .and_then(|c| c.file_name())
                .map(OsStr::to_os_string)
        })
        .ok_or_else(|| {
            anyhow!(
                "'{}' has no file name to name the run: pass --name NAME",
                shown_path(dir)
            )
        })?;
    let name = name.to_str().map(str::to_string).ok_or_else(|| {
        anyhow!(
            "the name of '{}' is not UTF-8: pass --name NAME",
            shown_path(dir)
        )
    })?;
    Ok(name)
}

/// Epoch → file name (for the tests).
#[cfg(test)]
fn epochs_of(files: &[EpochFile]) -> std::collections::BTreeMap<usize, String> {
    files
        .iter()
        .map(|f| (f.epoch, file_name(&f.path)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name("epoch-0003.npy"), Some(Ok((3, Format::Npy))));
        assert_eq!(
            parse_name("epoch-12.safetensors"),
            Some(Ok((12, Format::Safetensors)))
        );
        assert_eq!(parse_name("epoch-7.npz"), Some(Ok((7, Format::Npz))));
        for bad in [
            "epoch-.npy",
            "epoch-3.csv",
            "epoch-3.npy.tmp",
            "epoch-+3.npy",
            "epoch-3",
            "Epoch-3.npy",
            "epoch-3a.npy",
            "epoch- 3.npy",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
        assert_eq!(
            parse_name("epoch-99999999999999999999999.npy"),
            Some(Err(()))
        );
    }

    #[test]
    fn ordered_by_number_not_by_text() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "epoch-10.npy",
            "epoch-9.npy",
            "epoch-0100.npy",
            ".epoch-11.npy.tmp",
        ] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        let files = list(dir.path()).unwrap();
        let got: Vec<usize> = epochs_of(&files).into_keys().collect();
        assert_eq!(got, [9, 10, 100]);
        assert_eq!(file_name(&files[0].path), "epoch-9.npy");
    }

    #[test]
    fn default_name_of_dot_and_trailing_slash() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("my-run");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(default_name(&sub).unwrap(), "my-run");
        let slash = PathBuf::from(format!("{}/", sub.display()));
        assert_eq!(default_name(&slash).unwrap(), "my-run");
        let dotted = sub.join(".");
        assert_eq!(default_name(&dotted).unwrap(), "my-run");
    }
}
