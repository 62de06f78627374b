//! The one shutdown handler: the first Ctrl-C (SIGINT) or SIGTERM (what Kubernetes and
//! `docker stop` send) asks the run to stop — the schedule ends, requests in flight
//! settle, the results of the part that ran are written, and the exit code is 130 for
//! Ctrl-C, 143 for SIGTERM; a second signal aborts at once with no results.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use loadgen_engine::{stop_channel, Stop};

use crate::exit::Exit;

const NONE: u8 = 0;
const INTERRUPT: u8 = 2;
const TERMINATE: u8 = 15;

/// The stop the handler requests, and which signal requested it.
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// What the engine reads.
    pub stop: Stop,
    signal: Arc<AtomicU8>,
}

impl Shutdown {
    /// The exit of a run that the handler stopped: 130 after Ctrl-C, 143 after SIGTERM.
    pub fn interrupted_exit(&self) -> Exit {
        match self.signal.load(Ordering::Relaxed) {
            TERMINATE => Exit::Terminated,
            _ => Exit::Interrupted,
        }
    }
}

/// Installs the handler on the current tokio runtime; `what_happens` is printed at the
/// first signal.
pub fn install(what_happens: &'static str) -> Shutdown {
    let (handle, stop) = stop_channel();
    let signal = Arc::new(AtomicU8::new(NONE));
    let seen = signal.clone();
    tokio::spawn(async move {
        let Some(first) = next_signal().await else {
            return; // no signal handling here: runs cannot be interrupted, only killed
        };
        seen.store(first, Ordering::Relaxed);
        let name = if first == TERMINATE { "terminated (SIGTERM)" } else { "interrupted" };
        eprintln!("\n{name}: {what_happens} (Ctrl-C again to abort)");
        handle.stop();
        if next_signal().await.is_some() {
            eprintln!("aborted: no results written");
            let exit = if first == TERMINATE { Exit::Terminated } else { Exit::Interrupted };
            std::process::exit(i32::from(exit.code()));
        }
    });
    Shutdown { stop, signal }
}

/// The next SIGINT or SIGTERM (`None` when signals cannot be watched).
async fn next_signal() -> Option<u8> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok()?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.ok().map(|()| INTERRUPT),
            r = term.recv() => r.map(|()| TERMINATE),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|()| INTERRUPT)
    }
}
