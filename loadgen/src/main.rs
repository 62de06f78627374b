//! `loadgen`: parse, run, print the error chain, exit with a meaningful code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use loadgen::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let args = match cli.command {
        Some(Command::Run(args)) => args,
        None => cli.run,
    };
    let plan = match args.plan(std::io::stderr().is_terminal()) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}\n\nFor more information, try '--help'.");
            return ExitCode::from(2);
        }
    };
    // The schedule runs on this thread (requests to a real stream go out from it too);
    // the local pipeline starts a worker of its own.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(loadgen::run::run(plan)) {
        Ok(outcome) => ExitCode::from(outcome.exit_code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
