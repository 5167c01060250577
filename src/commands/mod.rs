//! One room per subcommand (ARCHITECTURE.md §1, §3). Each reads its flags, calls the modules
//! that do the work, prints, and returns the exit code; none computes anything itself.

pub mod analyze;
pub mod check;
pub mod estimate;
pub mod report;
pub mod run;

use anyhow::Result;
use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Run a parsed command line. `Ok(code)` is 0 or (for `check`) 1; errors map to exit code 2.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::execute(&args),
        Command::Analyze(args) => analyze::execute(&args),
        Command::Check(args) => check::execute(&args),
        Command::Report(args) => report::execute(&args),
        Command::Estimate(args) => estimate::execute(&args),
    }
}
