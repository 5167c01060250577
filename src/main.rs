use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(ib_analyze::run_cli(std::env::args_os()))
}
