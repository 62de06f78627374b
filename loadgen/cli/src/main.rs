//! `loadgen`: parse, run, exit with a meaningful code (see `loadgen --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    match loadgen::args::parse_from(std::env::args_os()) {
        Ok(cli) => loadgen::main_with(cli).into(),
        Err(e) => {
            let _ = e.print();
            // Help and version are answers, not errors.
            ExitCode::from(if e.use_stderr() { loadgen::exit::Exit::Usage.code() } else { 0 })
        }
    }
}
