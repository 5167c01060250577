//! `ib-analyze check`: the CI gate. Exit 1 when a judged run is at or above `--fail-on`; exit 2
//! when nothing could be judged (ARCHITECTURE.md §3).

use anyhow::{bail, Context, Result};
use std::time::Instant;

use crate::cli::CheckArgs;
use crate::files::shown_path;
use crate::{gate, output};

/// The command.
pub fn execute(args: &CheckArgs) -> Result<u8> {
    let start = Instant::now();
    let (file, record) = output::read_record(&args.path)?;
    if let Some(path) = &args.junit {
        // Canonical paths name the same file when both exist (`/dev/stdout` has none).
        if let (Ok(a), Ok(b)) = (std::fs::canonicalize(path), std::fs::canonicalize(&file)) {
            if a == b {
                bail!(
                    "--junit {}: that is the run.json being checked; give another file",
                    shown_path(path)
                );
            }
        }
    }
    let only: Vec<String> = args.runs.iter().chain(&args.run_list).cloned().collect();
    let report = gate::check(&record, &only, args.fail_on)?;
    if let Some(path) = &args.junit {
        let xml = gate::junit_xml(&report, &record, start.elapsed().as_secs_f64());
        output::atomic_write(path, xml.as_bytes())
            .with_context(|| format!("--junit {}", shown_path(path)))?;
    }
    let mut text = String::new();
    let mut notes = String::new();
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        notes = gate::github_annotations(&report);
    }
    if args.json {
        // stdout holds exactly one JSON object under --json, so annotations go to stderr.
        text.push_str(&serde_json::to_string(&report)?);
        text.push('\n');
        super::write_all(&mut std::io::stderr().lock(), &notes, "standard error")?;
    } else {
        text.push_str(&notes);
        text.push_str(&gate::render_lines(&report));
    }
    super::write_all(&mut std::io::stdout().lock(), &text, "standard output")?;
    Ok(if report.failed { 1 } else { 0 })
}

/// The `check --json` object of the run directory or run.json at `path` (ARCHITECTURE.md §3),
/// without `--runs` or `--junit`; `report.failed` is what makes `check` exit 1.
pub fn json(path: &std::path::Path, fail_on: gate::FailOn) -> Result<serde_json::Value> {
    let (_, record) = output::read_record(path)?;
    let report = gate::check(&record, &[], fail_on)?;
    Ok(serde_json::to_value(&report)?)
}
