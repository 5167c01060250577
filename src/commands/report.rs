//! `ib-analyze report`: re-render the charts and report.html of a run directory from run.json.

use anyhow::{anyhow, Context, Result};
use std::process::ExitCode;

use crate::cli::ReportArgs;
use crate::output;

/// The command.
pub fn execute(args: &ReportArgs) -> Result<ExitCode> {
    let (file, record) = output::read_record(&args.dir)?;
    let dir = file.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    ib_reports::write_report(&record, &dir)
        .map_err(|e| anyhow!(e))
        .with_context(|| format!("could not write the report into '{}'", dir.display()))?;
    println!("report: {}", dir.join("report.html").display());
    Ok(ExitCode::SUCCESS)
}
