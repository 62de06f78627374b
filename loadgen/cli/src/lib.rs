//! `loadgen`, the command line over the engine (`loadgen-engine`) and the reports
//! (`loadgen-report`): options ([`args`]) and their compact specs ([`spec`]), progress on
//! the terminal ([`progress`]), the one shutdown handler ([`shutdown`]), writing files
//! ([`files`]) and exit codes ([`exit`]). Each subcommand is in [`commands`].
#![forbid(unsafe_code)]

pub mod args;
pub mod commands;
pub mod exit;
pub mod files;
pub mod live;
pub mod progress;
pub mod scenario;
pub mod shutdown;
pub mod spec;

use args::{Cli, Command};
use exit::Exit;

/// Runs a parsed command line to its exit.
///
/// The schedule runs on this thread's runtime (requests to a real stream go out from it
/// too); the local pipeline starts a worker thread of its own.
pub fn main_with(cli: Cli) -> Exit {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Runtime;
        }
    };
    let verbose = match &cli.command {
        Some(Command::Run(args)) => args.verbose,
        Some(Command::Consume(args)) => args.verbose,
        None => cli.run.verbose,
        _ => false,
    };
    loadgen_engine::aws::show_error_detail(verbose);
    match cli.command {
        Some(Command::Plan(args)) => commands::plan::plan(&args),
        Some(Command::Report(args)) => runtime.block_on(commands::report::report(&args)),
        Some(Command::Consume(args)) => runtime.block_on(async {
            let shutdown = shutdown::install("stopping once every shard is caught up");
            commands::consume::consume(&args, shutdown.stop).await
        }),
        Some(Command::Run(args)) => runtime.block_on(run(&args)),
        Some(Command::Completions { shell }) => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut args::command(), "loadgen", &mut text);
            print_bytes(&text)
        }
        Some(Command::Man) => {
            let mut text = Vec::new();
            match clap_mangen::Man::new(args::command()).render(&mut text) {
                Ok(()) => print_bytes(&text),
                Err(e) => {
                    eprintln!("error: cannot render the man page: {e}");
                    Exit::Runtime
                }
            }
        }
        None => runtime.block_on(run(&cli.run)),
    }
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) is not an error.
fn print_bytes(bytes: &[u8]) -> Exit {
    use std::io::Write;
    match std::io::stdout().write_all(bytes) {
        Ok(()) => Exit::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            Exit::Runtime
        }
    }
}

async fn run(args: &args::RunArgs) -> Exit {
    let shutdown = shutdown::install("stopping the schedule, settling requests in flight, writing the results");
    commands::run::run(args, &shutdown).await
}
