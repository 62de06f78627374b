//! What a run tells whoever watches it while it runs: the engine never prints; the CLI's
//! progress view (or a test, or nothing) implements [`Observer`]. Every hook defaults to
//! doing nothing.

use std::time::Duration;

use crate::config::RunConfig;
use crate::measure::{Ledger, TimelinePoint};
use crate::sink::kinesis::StreamInfo;

/// A stage of a run after the load.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// The schedule is over; the local pipeline has up to this long to finish processing.
    Draining {
        /// The longest wait (`--settle`, or at most 10 s after an interruption).
        up_to: Duration,
    },
    /// A stop request arrived while the pipeline drained: results are taken as they are.
    DrainCut,
    /// Sampled events are being looked up in the deployed table.
    Verifying {
        /// Events sampled.
        sampled: usize,
        /// The longest wait (`--settle`).
        up_to: Duration,
    },
    /// The deployed pipeline's CloudWatch metrics are being read.
    ReadingMetrics {
        /// The longest wait for CloudWatch to publish the load's last minute.
        up_to: Duration,
    },
}

/// Live hooks of a run.
pub trait Observer: Send {
    /// The preflight found the stream (runs against Kinesis only).
    fn stream_ready(&mut self, _stream: &StreamInfo) {}
    /// The load is about to start.
    fn load_started(&mut self, _config: &RunConfig) {}
    /// A second finished: its point (with what the sink knows filled in) and the ledger
    /// so far.
    fn second(&mut self, _point: &TimelinePoint, _ledger: &Ledger) {}
    /// The schedule ended (or was stopped) and every request settled.
    fn load_finished(&mut self) {}
    /// A later stage began.
    fn phase(&mut self, _phase: &Phase) {}
}

/// An observer that ignores everything (quiet runs, tests, the limit search's trials).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}

/// Two observers watching one run (the progress view and the `--metrics-listen`
/// endpoint), each told everything in turn.
impl<A: Observer, B: Observer> Observer for (A, B) {
    fn stream_ready(&mut self, stream: &StreamInfo) {
        self.0.stream_ready(stream);
        self.1.stream_ready(stream);
    }
    fn load_started(&mut self, config: &RunConfig) {
        self.0.load_started(config);
        self.1.load_started(config);
    }
    fn second(&mut self, point: &TimelinePoint, ledger: &Ledger) {
        self.0.second(point, ledger);
        self.1.second(point, ledger);
    }
    fn load_finished(&mut self) {
        self.0.load_finished();
        self.1.load_finished();
    }
    fn phase(&mut self, phase: &Phase) {
        self.0.phase(phase);
        self.1.phase(phase);
    }
}

/// An observer that may not be there (`--metrics-listen` not given): told nothing then.
impl<O: Observer> Observer for Option<O> {
    fn stream_ready(&mut self, stream: &StreamInfo) {
        if let Some(o) = self {
            o.stream_ready(stream);
        }
    }
    fn load_started(&mut self, config: &RunConfig) {
        if let Some(o) = self {
            o.load_started(config);
        }
    }
    fn second(&mut self, point: &TimelinePoint, ledger: &Ledger) {
        if let Some(o) = self {
            o.second(point, ledger);
        }
    }
    fn load_finished(&mut self) {
        if let Some(o) = self {
            o.load_finished();
        }
    }
    fn phase(&mut self, phase: &Phase) {
        if let Some(o) = self {
            o.phase(phase);
        }
    }
}

impl<O: Observer + ?Sized> Observer for &mut O {
    fn stream_ready(&mut self, stream: &StreamInfo) {
        (**self).stream_ready(stream);
    }
    fn load_started(&mut self, config: &RunConfig) {
        (**self).load_started(config);
    }
    fn second(&mut self, point: &TimelinePoint, ledger: &Ledger) {
        (**self).second(point, ledger);
    }
    fn load_finished(&mut self) {
        (**self).load_finished();
    }
    fn phase(&mut self, phase: &Phase) {
        (**self).phase(phase);
    }
}
