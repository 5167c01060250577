use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Training is single-threaded per run (runs go in parallel): candle's 2-thread gemm slows
    // ~10x when the other core is busy. Set before any thread pool exists.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let cli = ib_analyze::cli::Cli::parse();
    match ib_analyze::execute(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
