//! `loadgen`: parse, run, exit with a meaningful code (see `loadgen --help`).

use std::process::ExitCode;

use clap::Parser;
use loadgen::args::Cli;

fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => loadgen::main_with(cli).into(),
        Err(e) => {
            let _ = e.print();
            // Help and version are answers, not errors.
            ExitCode::from(if e.use_stderr() { loadgen::exit::Exit::Usage.code() } else { 0 })
        }
    }
}
