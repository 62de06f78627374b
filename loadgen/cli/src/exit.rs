//! How `loadgen` ends: one exit code per kind of outcome, documented in `--help`.

use std::process::ExitCode;

/// The outcome of a command, as the process reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; every threshold passed. Code 0.
    Ok,
    /// Something failed while running (the target, a file). Code 1.
    Runtime,
    /// The command line cannot run, or the input is unreadable. Code 2.
    Usage,
    /// A threshold was missed, or a metric regressed past its limit. Code 3.
    Thresholds,
    /// Stopped by Ctrl-C; results of the part that ran were written. Code 130.
    Interrupted,
    /// Stopped by SIGTERM (Kubernetes, `docker stop`); results written. Code 143.
    Terminated,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Runtime => 1,
            Exit::Usage => 2,
            Exit::Thresholds => 3,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

/// Prints `error: {e}` and its chain of causes, the way `anyhow` shows `{:#}`.
pub fn print_error(e: &dyn std::error::Error) {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Transparent wrappers and messages that quote their cause repeat it; say each
        // thing once.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    eprintln!("error: {text}");
}
