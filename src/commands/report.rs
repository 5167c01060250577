//! `ib-analyze report`: re-render the charts and report.html of a run directory from run.json.

use anyhow::{anyhow, Context, Result};

use crate::cli::ReportArgs;
use crate::files::shown_path;
use crate::output;

/// The command.
pub fn execute(args: &ReportArgs) -> Result<u8> {
    let (file, record) = output::read_record(&args.dir)?;
    let dir = file.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    ib_reports::write_report(&record, &dir)
        .map_err(|e| anyhow!(e))
        .with_context(|| format!("could not write the report into '{}'", shown_path(&dir)))?;
    let line = format!("report: {}\n", shown_path(&dir.join("report.html")));
    super::write_all(&mut std::io::stdout().lock(), &line, "standard output")?;
    Ok(0)
}
