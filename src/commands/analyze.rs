//! `ib-analyze analyze`: measure and judge embeddings exported from elsewhere; with `--out`,
//! write the same run directory as `run`. INPUT may be a directory of epoch files (a series,
//! ARCHITECTURE.md §3): one run with one epoch per file, cached per epoch in OUT. Several
//! INPUTs (all files, or all directories) are one run each, gathered into one record
//! ([`external::compare`]).

use anyhow::{bail, Context, Result};
use std::path::Path;

use crate::cli::AnalyzeArgs;
use crate::config::RunConfig;
use crate::external::{self, cache, compare, SeriesOutcome, SeriesRequest};
use crate::files::{shown, shown_path};
use crate::records::{canonical, h_t_notes, AnalyzeInputs, AnalyzeManifest, AnalyzeSummary};
use crate::{gate, output, tool_version};

/// The command.
pub fn execute(args: &AnalyzeArgs) -> Result<u8> {
    let mut cfg = match &args.config {
        Some(path) => RunConfig::from_file(path)?,
        None => RunConfig::default_config(),
    };
    if let Some(rows) = args.knn_rows {
        if rows < 2 {
            bail!("--knn-rows {rows}: the kNN subsample needs at least 2 rows");
        }
        cfg.knn.max_rows = rows;
    }
    let h_t = args.h_t()?;
    if args.spectrum_only {
        refuse_with_spectrum_only(args, h_t)?;
    }
    if args.input.len() > 1 {
        return compare(args, h_t, &cfg);
    }
    if args.names.is_some() {
        bail!(
            "--names names the runs of several INPUTs (one name per INPUT); one INPUT's run is named \
             after its KEY or stem, or with --name for a DIR"
        );
    }
    let inputs = args.per_input()?.remove(0);
    if external::is_series(&inputs.input) {
        return series(args, &inputs, h_t, &cfg);
    }
    if args.name.is_some() {
        bail!("--name names the run of a directory INPUT (a series); a single file's run is named after its KEY or stem");
    }
    let record = if args.spectrum_only {
        external::analyze_spectrum(&inputs, None, &cfg)?
    } else {
        external::analyze(&inputs, h_t, &cfg)?
    };
    if let Some(out) = &args.out {
        // The directory is named by --out only: no name taken from the input reaches a path.
        let dir = output::create_run_dir(Some(out), "analyze")?;
        let written = write_out(&dir.path, &record, None);
        if let Err(e) = written {
            dir.discard();
            return Err(e);
        }
    }
    print(args, &record, None)?;
    Ok(0)
}

/// What `--spectrum-only` refuses, before anything is read: the flags whose inputs it would
/// not use, and directory INPUTs.
fn refuse_with_spectrum_only(args: &AnalyzeArgs, h_t: external::HtRequest) -> Result<()> {
    for (flag, given, what) in [
        (
            "--views",
            &args.views,
            "the information estimates and the panel's view metrics",
        ),
        ("--target", &args.target, "the information estimates"),
        (
            "--labels",
            &args.labels,
            "the kNN accuracy and the panel's class metrics",
        ),
    ] {
        if !given.is_empty() {
            bail!(
                "--spectrum-only with {flag}: {flag} feeds {what}, which --spectrum-only does not \
                 compute; drop {flag}, or drop --spectrum-only to measure everything"
            );
        }
    }
    h_t.resolve(
        None,
        "--spectrum-only computes no information quantity: drop the flag",
    )?;
    if let Some(dir) = args.input.iter().find(|i| external::is_series(i)) {
        bail!(
            "--spectrum-only with the directory '{}': a series is analysed in full (its epoch files \
             hold views and labels); drop --spectrum-only, or pass its files (e.g. {}/epoch-0010.npy) \
             as INPUTs",
            shown(dir),
            shown(dir.trim_end_matches('/'))
        );
    }
    Ok(())
}

/// `manifest.json`, the cache entries of a series, then the run directory's files (`run.json`
/// last).
fn write_out(
    out: &Path,
    record: &ib_reports::record::RunRecord,
    series: Option<&SeriesOutcome>,
) -> Result<()> {
    if let Some(s) = series {
        cache::store(&cache::dir_of(out), &s.new_entries, &s.keys)?;
    }
    let manifest = AnalyzeManifest {
        tool: tool_version(),
        source: "analyze",
        config: record.config.clone(),
    };
    output::write_manifest(out, &manifest)?;
    output::write_record(record, out)
}

/// Whether `out` holds an earlier analysis of the series `name` (which this one updates);
/// false for a missing or empty directory; an error for anything else.
fn earlier_analysis(out: &Path, name: &str) -> Result<bool> {
    if !out.exists() {
        return Ok(false);
    }
    if out.is_dir()
        && std::fs::read_dir(out)
            .with_context(|| format!("'{}' exists but cannot be read", shown_path(out)))?
            .next()
            .is_none()
    {
        return Ok(false);
    }
    let manifest = out.join("manifest.json");
    let series_name = crate::files::read_regular(&manifest, 1 << 24)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .filter(|v| v["source"] == "analyze")
        .and_then(|v| v["config"]["series"]["name"].as_str().map(str::to_string));
    match series_name {
        Some(n) if n == name => Ok(true),
        Some(n) => bail!(
            "output directory '{}' holds the analysis of the series '{}', not of '{}': pass another --out \
             (or --name {} if this directory is that series, renamed)",
            shown_path(out),
            shown(&n),
            shown(name),
            shown(&n)
        ),
        None => bail!(
            "output directory '{}' already exists and is not an earlier analysis of a series (no manifest.json \
             of `analyze DIR`): pass a new --out, or remove it",
            shown_path(out)
        ),
    }
}

/// Refuses `--views` / `--target` with directory INPUTs.
fn no_views_for_series(inputs: &AnalyzeInputs) -> Result<()> {
    for (flag, given) in [("--views", &inputs.views), ("--target", &inputs.target)] {
        if given.is_some() {
            bail!(
                "{flag} with a directory INPUT: each epoch file holds its own views.projector and target.projector; \
                 drop {flag} (it applies to a single INPUT file)"
            );
        }
    }
    Ok(())
}

fn series(
    args: &AnalyzeArgs,
    inputs: &AnalyzeInputs,
    h_t: external::HtRequest,
    cfg: &RunConfig,
) -> Result<u8> {
    no_views_for_series(inputs)?;
    let dir = Path::new(&inputs.input);
    let name = match &args.name {
        Some(n) => n.clone(),
        None => external::default_name(dir)?,
    };
    crate::config::check_plain_name(
        &name,
        if args.name.is_some() {
            "--name"
        } else {
            "the directory's name (pass --name)"
        },
    )?;
    let update = match &args.out {
        Some(out) => earlier_analysis(out, &name)?,
        None => false,
    };
    let cache_dir = args.out.as_deref().filter(|_| update).map(cache::dir_of);
    use std::io::IsTerminal;
    let outcome = external::analyze_series(&SeriesRequest {
        dir,
        name: &name,
        tensor: None,
        inputs,
        cfg,
        h_t,
        cache: cache_dir.as_deref(),
        progress: std::io::stderr().is_terminal(),
    })?;
    for f in &outcome.appeared {
        eprintln!(
            "note: '{}' appeared while the directory was read: it is not in this analysis; analyse again to add it",
            shown(f)
        );
    }
    if let Some(out) = &args.out {
        if update {
            // The old run.json goes first: until the new one is written last, the directory
            // reads as incomplete (ARCHITECTURE.md §2), never as a mix passed off as complete.
            match std::fs::remove_file(out.join("run.json")) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(anyhow::Error::from(e).context(format!(
                        "could not replace '{}'",
                        shown_path(&out.join("run.json"))
                    )))
                }
                _ => {}
            }
            write_out(out, &outcome.record, Some(&outcome))?;
        } else {
            let run_dir = output::create_run_dir(Some(out), "analyze")?;
            if let Err(e) = write_out(&run_dir.path, &outcome.record, Some(&outcome)) {
                run_dir.discard();
                return Err(e);
            }
        }
    }
    print(args, &outcome.record, Some(&outcome))?;
    Ok(0)
}

fn print(
    args: &AnalyzeArgs,
    record: &ib_reports::record::RunRecord,
    series: Option<&SeriesOutcome>,
) -> Result<()> {
    let epochs = record.runs.first().map_or(0, |r| r.epochs.len());
    // Why the theorem form and the gap are null: on stderr, and in --json's `notes`.
    for note in h_t_notes(record) {
        eprintln!("note: {note}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&json(record, series)?)?);
    } else {
        let report = gate::check(record, &[], gate::FailOn::Complete)?;
        print!("{}", gate::render_lines(&report));
        if let Some(s) = series {
            println!(
                "series: {epochs} epochs ({} from the cache, {} measured)",
                s.cached, s.measured
            );
        }
        if let Some(out) = &args.out {
            println!("report: {}", out.join("report.html").display());
        }
    }
    Ok(())
}

/// The `analyze --json` object of `record` (ARCHITECTURE.md §3), with the `series` block for a
/// directory INPUT.
pub fn json(
    record: &ib_reports::record::RunRecord,
    series: Option<&SeriesOutcome>,
) -> Result<serde_json::Value> {
    let summary = AnalyzeSummary::of(record).context("the record holds no run")?;
    let mut value = canonical(&summary)?;
    if let (Some(s), Some(obj)) = (series, value.as_object_mut()) {
        obj.insert(
            "series".into(),
            serde_json::json!({
                "epochs": record.runs[0].epochs.len(),
                "cached": s.cached,
                "measured": s.measured,
                "first_epoch": record.runs[0].epochs.first().map(|e| e.epoch),
                "last_epoch": record.runs[0].epochs.last().map(|e| e.epoch),
                "appeared": s.appeared,
            }),
        );
    }
    Ok(value)
}

/// One INPUT of several, analysed: its run's record alone, its `--json` summary and, for a
/// directory, the epochs of its series.
struct Analysed {
    record: ib_reports::record::RunRecord,
    summary: serde_json::Value,
    epochs: Option<usize>,
}

/// Several INPUTs: each analysed as its own run, one after another (one INPUT's arrays in
/// memory at a time), then gathered into one record; OUT is written only once every INPUT
/// succeeded (ARCHITECTURE.md §3, "Several INPUTs").
fn compare(args: &AnalyzeArgs, h_t: external::HtRequest, cfg: &RunConfig) -> Result<u8> {
    if args.name.is_some() {
        bail!(
            "--name names the run of one DIR; with several INPUTs name the runs with --names a,b,.. \
             (one per INPUT)"
        );
    }
    let per_input = args.per_input()?;
    let is_dir: Vec<bool> = args.input.iter().map(|i| external::is_series(i)).collect();
    let series = is_dir[0];
    if let Some(i) = is_dir.iter().position(|&d| d != series) {
        let (dir, file) = if series { (0, i) } else { (i, 0) };
        bail!(
            "'{}' is a directory (a series) but '{}' is a file: several INPUTs are all files (one \
             snapshot each) or all directories (one series each); analyse them separately",
            shown(&args.input[dir]),
            shown(&args.input[file])
        );
    }
    if series {
        for inputs in &per_input {
            no_views_for_series(inputs)?;
        }
    }
    let names = compare::run_names(&args.input, args.names.as_deref(), series)?;
    let tensor = if series {
        compare::DEFAULT_TENSOR.to_string()
    } else {
        compare::tensor_name(&args.input)?
    };
    if let Some(out) = &args.out {
        // Refused before anything is measured: a comparison is written to a new OUT only.
        refuse_existing(out)?;
    }
    use std::io::IsTerminal;
    let progress = std::io::stderr().is_terminal();
    let total = per_input.len();
    let mut analysed = Vec::with_capacity(total);
    for (i, (inputs, name)) in per_input.iter().zip(&names).enumerate() {
        if progress {
            eprintln!("analysing {}/{total}: {}", i + 1, shown(&inputs.input));
        }
        let one = if series {
            let outcome = external::analyze_series(&SeriesRequest {
                dir: Path::new(&inputs.input),
                name,
                tensor: Some(&tensor),
                inputs,
                cfg,
                h_t,
                // One OUT per comparison, written once: no earlier epochs to reuse.
                cache: None,
                progress,
            })?;
            for f in &outcome.appeared {
                eprintln!(
                    "note: '{}' appeared in '{}' while the directory was read: it is not in this analysis",
                    shown(f),
                    shown(&inputs.input)
                );
            }
            Analysed {
                summary: json(&outcome.record, Some(&outcome))?,
                epochs: Some(outcome.record.runs[0].epochs.len()),
                record: outcome.record,
            }
        } else {
            let record = if args.spectrum_only {
                external::analyze_spectrum(inputs, Some(&tensor), cfg)?
            } else {
                external::analyze_as(inputs, Some(&tensor), h_t, cfg)?
            };
            Analysed {
                summary: json(&record, None)?,
                record,
                epochs: None,
            }
        };
        analysed.push(one);
    }
    for (a, name) in analysed.iter().zip(&names) {
        for note in h_t_notes(&a.record) {
            eprintln!("note: {}: {note}", shown(name));
        }
    }
    let summaries: Vec<serde_json::Value> = analysed
        .iter()
        .zip(&names)
        .map(|(a, name)| {
            let mut s = a.summary.clone();
            if let Some(obj) = s.as_object_mut() {
                obj.insert("name".into(), name.clone().into());
            }
            s
        })
        .collect();
    let epochs: Vec<Option<usize>> = analysed.iter().map(|a| a.epochs).collect();
    let record = compare::merge(
        analysed.into_iter().map(|a| a.record).collect(),
        &names,
        &args.input,
        cfg,
    )?;
    if let Some(out) = &args.out {
        let dir = output::create_run_dir(Some(out), "analyze")?;
        if let Err(e) = write_out(&dir.path, &record, None) {
            dir.discard();
            return Err(e);
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({ "runs": summaries }))?
        );
    } else {
        let report = gate::check(&record, &[], gate::FailOn::Complete)?;
        print!("{}", gate::render_lines(&report));
        for (name, e) in names.iter().zip(&epochs) {
            if let Some(e) = e {
                println!("series {}: {e} epochs", shown(name));
            }
        }
        if let Some(out) = &args.out {
            println!("report: {}", out.join("report.html").display());
        }
    }
    Ok(0)
}

/// A comparison is written to a missing or empty OUT only (an earlier analysis is not
/// updated: no per-epoch cache is kept for several series).
fn refuse_existing(out: &Path) -> Result<()> {
    let empty = || {
        std::fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false)
    };
    if out.exists() && !(out.is_dir() && empty()) {
        bail!(
            "output directory '{}' already exists and is not empty: several INPUTs are written to a \
             new directory (an earlier analysis is not updated); pass a new --out, or remove it",
            shown_path(out)
        );
    }
    Ok(())
}
