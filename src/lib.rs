//! ib-analyze: train small latent-bootstrapping models with candle, snapshot their latents,
//! measure collapse, judge it, and report. ARCHITECTURE.md (at the repository root) walks
//! through the modules, the data flow and the contracts.

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod estimate;
pub mod external;
pub mod files;
pub mod gate;
pub mod info;
pub mod input;
pub mod interrupt;
pub mod memory;
pub mod output;
pub mod probe;
pub mod records;
pub mod runner;
pub mod snapshot;
pub mod train;
pub mod verdict;

pub use commands::execute;

/// `ib-analyze <version>`.
pub fn tool_version() -> String {
    format!("ib-analyze {}", env!("CARGO_PKG_VERSION"))
}

/// The command line: parse `argv` (program name first), run, print any error, and return the
/// exit code (0, 1 from `check`, 2 for errors and bad usage, 130 when interrupted;
/// ARCHITECTURE.md §1). The `ib-analyze` binary and the Python package's console script both
/// call this.
pub fn run_cli<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser;
    let cli = match cli::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            // What `Cli::parse` does, without leaving the process: help and version on stdout
            // (code 0), usage errors on stderr (code 2).
            let _ = err.print();
            return u8::try_from(err.exit_code()).unwrap_or(2);
        }
    };
    // Training is single-threaded per run (runs go in parallel): candle's 2-thread gemm slows
    // ~10x when the other core is busy. Set before any thread pool exists (parsing creates
    // none). `estimate` is pure numerics and uses every core.
    let estimating = matches!(cli.command, cli::Command::Estimate(_));
    if !estimating && std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    match execute(cli) {
        Ok(code) => code,
        Err(err) if err.downcast_ref::<interrupt::Interrupted>().is_some() => {
            eprintln!("{}", files::shown_message(&format!("{err:#}")));
            130
        }
        Err(err) => {
            // Messages quote file names and fields: control characters are printed as escapes.
            eprintln!("error: {}", files::shown_message(&format!("{err:#}")));
            2
        }
    }
}
