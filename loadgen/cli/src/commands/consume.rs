//! `loadgen consume`: the event source mapping played over a stream until Ctrl-C, with a
//! line of progress every ten seconds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use loadgen_engine::aws::consume::{consume as run_consumer, ConsumerStats};
use loadgen_engine::{stop_channel, Stop};

use super::usage;
use crate::args::ConsumeArgs;
use crate::exit::{print_error, Exit};

/// How often the tally is printed.
const TALLY_EVERY: Duration = Duration::from_secs(10);

fn tally(stats: &Mutex<ConsumerStats>, prefix: &str) {
    let s = stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
    eprintln!(
        "{prefix}consumed {} records in {} batches: {} written, {} dead-lettered, {} retried; max iterator age {:.1} s",
        s.delivered,
        s.invocations,
        s.written,
        s.dead_lettered,
        s.retried,
        s.max_iterator_age_ms / 1000.0
    );
}

/// Consumes until stopped (or, with `--until-caught-up`, until every shard is read).
pub async fn consume(args: &ConsumeArgs, stop: Stop) -> Exit {
    let config = match args.config() {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    let stop = if args.until_caught_up {
        // Stopping from the start: each shard's poller ends when it reaches the tip.
        let (handle, stop) = stop_channel();
        handle.stop();
        stop
    } else {
        stop
    };
    let stats = Arc::new(Mutex::new(ConsumerStats::default()));
    let report = stats.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(TALLY_EVERY).await;
            tally(&report, "");
        }
    });
    let outcome = run_consumer(config, stats.clone(), stop).await;
    ticker.abort();
    // The final tally, however the consumer ended.
    tally(&stats, "final: ");
    match outcome {
        Ok(()) => Exit::Ok,
        Err(e) => {
            print_error(&e);
            Exit::Runtime
        }
    }
}
