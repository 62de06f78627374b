//! Live progress on stderr: the engine's [`Observer`] for the terminal.
//!
//! On a terminal, an `indicatif` bar over the schedule's seconds with the last second's
//! figures beside it (truncated to the terminal's width, redrawn in place); otherwise one
//! plain line per progress interval, as a log wants it. `--quiet` keeps only what must
//! be said (an interrupted drain, the limit search's trials).

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use loadgen_engine::limit::Trial;
use loadgen_engine::measure::{Ledger, TimelinePoint};
use loadgen_engine::sink::kinesis::StreamInfo;
use loadgen_engine::{Observer, Phase, RunConfig};

/// One plain progress line for a finished second.
pub fn progress_line(p: &TimelinePoint, ledger: &Ledger) -> String {
    format!(
        "{:>6.0}s  target {:>8.0}/s  achieved {:>8.0}/s  throttled {:>6}  retries {:>6}  p99 {:>8.1} ms  backlog {:>7}  iterator age {:>6.1} s  e2e p99 {:>7.0} ms  sent {}",
        p.t,
        p.target_rps,
        p.achieved_rps,
        p.throttled,
        p.retries,
        p.put_p99_ms,
        p.backlog,
        p.iterator_age_ms / 1000.0,
        p.end_to_end_p99_ms,
        ledger.generated
    )
}

/// The figures beside the bar: the last second's, then the run's so far.
fn bar_message(p: &TimelinePoint, ledger: &Ledger) -> String {
    format!(
        "last second: {:.0}/s accepted, {} throttled, p99 {:.1} ms, iterator age {:.1} s · sent {}",
        p.achieved_rps,
        p.throttled,
        p.put_p99_ms,
        p.iterator_age_ms / 1000.0,
        ledger.generated
    )
}

/// Progress for a run.
pub struct Progress {
    every: Option<Duration>,
    terminal: bool,
    since_print: Duration,
    /// The load's bar.
    bar: Option<ProgressBar>,
    /// After the load: a spinner saying what the run waits for, and for how long at most.
    wait: Option<(ProgressBar, String)>,
}

/// Columns to fit lines in: the terminal's, or 100 for a log.
pub fn width(terminal: bool) -> usize {
    let columns = terminal.then(|| terminal_size::terminal_size_of(std::io::stderr())).flatten();
    columns.map_or(100, |(w, _)| usize::from(w.0).max(40))
}

impl Progress {
    /// Progress every `every` (`None`: quiet); `terminal` says whether stderr is one.
    pub fn new(every: Option<Duration>, terminal: bool) -> Self {
        Self { every, terminal, since_print: Duration::ZERO, bar: None, wait: None }
    }

    /// Says `text`, wrapped to the terminal's width, above the bar if there is one.
    fn say(&self, text: &str) {
        let mut lines = String::new();
        loadgen_report::text::wrapped_at(&mut lines, "", 2, text, width(self.terminal).saturating_sub(1));
        let lines = lines.trim_end();
        match (&self.bar, &self.wait) {
            (Some(bar), _) | (None, Some((bar, _))) => bar.println(lines),
            (None, None) => eprintln!("{lines}"),
        }
    }

    /// On a terminal, a spinner for what the run waits for after the load (the pipeline's
    /// drain, the verification, CloudWatch), with the elapsed time; elsewhere, a line.
    fn waiting(&mut self, what: String) {
        if self.every.is_none() {
            return;
        }
        if !self.terminal {
            self.say(&what);
            return;
        }
        let spinner = match self.wait.take() {
            Some((bar, _)) => bar,
            None => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                bar.set_style(style);
                bar.enable_steady_tick(Duration::from_millis(250));
                bar
            }
        };
        spinner.set_message(what.clone());
        self.wait = Some((spinner, what));
    }

    /// Clears what is still drawn, before the summary is printed.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
        if let Some((spinner, _)) = self.wait.take() {
            spinner.finish_and_clear();
        }
    }
}

impl Progress {
    /// A finished trial of the limit search: one line each, quiet or not.
    pub fn trial(&mut self, t: &Trial) {
        self.say(&format!(
            "trial {:>10.0}/s: {} (throttled {:.3}%, p99 {:.1} ms)",
            t.rps,
            if t.held { "holds" } else { "does not hold" },
            t.throttle_rate * 100.0,
            t.put_p99_ms
        ));
    }
}

impl Observer for Progress {
    fn stream_ready(&mut self, s: &StreamInfo) {
        if self.every.is_some() {
            self.say(&format!("stream {}: {} open shards, {} mode", s.name, s.shards.len(), s.mode));
        }
    }

    fn load_started(&mut self, config: &RunConfig) {
        if self.every.is_none() {
            return;
        }
        eprintln!("{}", loadgen_report::text::header(config, width(self.terminal).saturating_sub(1)));
        if self.terminal {
            let bar = ProgressBar::with_draw_target(
                Some(config.driver.duration.as_secs().max(1)),
                ProgressDrawTarget::stderr(),
            );
            let style = ProgressStyle::with_template("{elapsed_precise} [{bar:20}] {pos}/{len} s  {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            self.bar = Some(bar);
        }
    }

    fn second(&mut self, point: &TimelinePoint, ledger: &Ledger) {
        let Some(every) = self.every else { return };
        if let Some((spinner, what)) = &self.wait {
            spinner.set_message(format!(
                "{what} · backlog {}, iterator age {:.1} s",
                point.backlog,
                point.iterator_age_ms / 1000.0
            ));
            return;
        }
        if let Some(bar) = &self.bar {
            bar.set_position(point.t.round() as u64);
            bar.set_message(bar_message(point, ledger));
            return;
        }
        self.since_print += Duration::from_secs(1);
        if self.since_print < every {
            return;
        }
        self.since_print = Duration::ZERO;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", progress_line(point, ledger));
    }

    fn load_finished(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }

    fn phase(&mut self, phase: &Phase) {
        match phase {
            Phase::Draining { up_to } => {
                self.waiting(format!("load done; the pipeline drains (up to {})", humantime::format_duration(*up_to)))
            }
            Phase::DrainCut => {
                if let Some((spinner, _)) = self.wait.take() {
                    spinner.finish_and_clear();
                }
                self.say("interrupted: writing the results without waiting for the pipeline");
            }
            Phase::Verifying { sampled, up_to } => self.waiting(format!(
                "verifying {sampled} sampled events in the table (up to {})",
                humantime::format_duration(*up_to)
            )),
            Phase::ReadingMetrics { up_to } => self.waiting(format!(
                "reading CloudWatch (up to {}; --no-pipeline-metrics skips it)",
                humantime::format_duration(*up_to)
            )),
        }
    }
}
