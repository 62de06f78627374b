//! The subcommands, each from parsed options to an [`Exit`](crate::exit::Exit).

pub mod consume;
pub mod plan;
pub mod report;
pub mod run;

use crate::args::UsageError;
use crate::exit::Exit;

/// Prints a usage error the way clap prints its own, and gives exit code 2.
pub fn usage(e: &UsageError) -> Exit {
    eprintln!("error: {e}\n\nFor more information, try '--help'.");
    Exit::Usage
}
