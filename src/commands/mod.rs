//! One room per subcommand (ARCHITECTURE.md §1, §3). Each reads its flags, calls the modules
//! that do the work, prints, and returns the exit code; none computes anything itself.

pub mod analyze;
pub mod check;
pub mod estimate;
pub mod report;
pub mod run;

use anyhow::{Context, Result};
use std::io::Write;

use crate::cli::{Cli, Command};

/// Run a parsed command line. `Ok(code)` is the exit code, 0 or (for `check`) 1; errors map
/// to exit code 2.
pub fn execute(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Run(args) => run::execute(&args),
        Command::Analyze(args) => analyze::execute(&args),
        Command::Check(args) => check::execute(&args),
        Command::Report(args) => report::execute(&args),
        Command::Estimate(args) => estimate::execute(&args),
    }
}

/// Write and flush `text`; an error (a closed pipe, a full disk) is an error of the command,
/// not a panic.
fn write_all(out: &mut impl Write, text: &str, what: &str) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .with_context(|| format!("could not write to {what}"))
}
