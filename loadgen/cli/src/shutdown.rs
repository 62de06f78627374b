//! The one shutdown handler: the first Ctrl-C asks the run to stop (the schedule ends,
//! requests in flight settle, the results of the part that ran are written, exit 130);
//! the second aborts at once with no results.

use loadgen_engine::{stop_channel, Stop};

/// Installs the handler on the current tokio runtime and returns the stop it requests;
/// `what_happens` is printed at the first Ctrl-C (the second aborts).
pub fn install(what_happens: &'static str) -> Stop {
    let (handle, stop) = stop_channel();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return; // no signal handling here: runs cannot be interrupted, only killed
        }
        eprintln!("\ninterrupted: {what_happens} (Ctrl-C again to abort)");
        handle.stop();
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("aborted: no results written");
            std::process::exit(i32::from(crate::exit::Exit::Interrupted.code()));
        }
    });
    stop
}
