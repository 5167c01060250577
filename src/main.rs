use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ib_analyze::cli::Cli::parse();
    // Training is single-threaded per run (runs go in parallel): candle's 2-thread gemm slows
    // ~10x when the other core is busy. Set before any thread pool exists (parsing creates
    // none). `estimate` is pure numerics and uses every core.
    let estimating = matches!(cli.command, ib_analyze::cli::Command::Estimate(_));
    if !estimating && std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    match ib_analyze::execute(cli) {
        Ok(code) => code,
        Err(err)
            if err
                .downcast_ref::<ib_analyze::interrupt::Interrupted>()
                .is_some() =>
        {
            eprintln!("{}", ib_analyze::files::shown_message(&format!("{err:#}")));
            ExitCode::from(130)
        }
        Err(err) => {
            // Messages quote file names and fields: control characters are printed as escapes.
            eprintln!(
                "error: {}",
                ib_analyze::files::shown_message(&format!("{err:#}"))
            );
            ExitCode::from(2)
        }
    }
}
