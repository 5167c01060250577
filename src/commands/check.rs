//! `ib-analyze check`: the CI gate. Exit 1 when a judged run is at or above `--fail-on`.

use anyhow::{Context, Result};
use std::process::ExitCode;

use crate::cli::CheckArgs;
use crate::{gate, output};

/// The command.
pub fn execute(args: &CheckArgs) -> Result<ExitCode> {
    let (_, record) = output::read_record(&args.path)?;
    let report = gate::check(&record, &args.runs, args.fail_on)?;
    if let Some(path) = &args.junit {
        output::atomic_write(path, gate::junit_xml(&report, &record).as_bytes())
            .with_context(|| format!("--junit {}", path.display()))?;
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        // stdout holds exactly one JSON object under --json, so annotations go to stderr.
        let notes = gate::github_annotations(&report);
        if args.json {
            eprint!("{notes}");
        } else {
            print!("{notes}");
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", gate::render_lines(&report));
    }
    Ok(if report.failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
