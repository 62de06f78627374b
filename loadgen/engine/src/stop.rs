//! A request to stop a run early, from whoever started it (the CLI's shutdown handler on
//! Ctrl-C or SIGTERM, a test, a parent program). The engine reads it; it never installs
//! signal handlers itself.

use std::sync::Arc;

use tokio::sync::watch;

/// Sends the stop request.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<watch::Sender<bool>>);

impl StopHandle {
    /// Asks the run to stop: the schedule ends, requests in flight settle, results are
    /// assembled from what ran.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// Receives the stop request.
#[derive(Debug, Clone)]
pub struct Stop {
    rx: watch::Receiver<bool>,
    // Keeps the channel open for `Stop::never`, whose sender nobody holds.
    _keep: Option<Arc<watch::Sender<bool>>>,
}

/// A stop request's two ends.
pub fn stop_channel() -> (StopHandle, Stop) {
    let (tx, rx) = watch::channel(false);
    (StopHandle(Arc::new(tx)), Stop { rx, _keep: None })
}

impl Stop {
    /// A stop that never comes.
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        Stop { rx, _keep: Some(Arc::new(tx)) }
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once a stop is requested (at once if it already was); never, if every
    /// handle was dropped without asking.
    pub async fn stopped(&mut self) {
        if self.rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_is_seen_by_every_receiver() {
        let (handle, mut stop) = stop_channel();
        let mut other = stop.clone();
        assert!(!stop.is_stopped());
        handle.stop();
        stop.stopped().await;
        other.stopped().await;
        assert!(other.is_stopped());
        assert!(!Stop::never().is_stopped());
    }
}
