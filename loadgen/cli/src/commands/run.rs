//! `loadgen [run]`: the load, the summary on stdout, the results and the report in
//! `--out`, the exit code from the thresholds; or, with `--find-limit`, the search.

use std::io::{IsTerminal, Write};
use std::path::Path;

use loadgen_engine::aws::results::{ResultsBucket, S3Location};
use loadgen_engine::limit::{find_limit, LimitSearch};
use loadgen_engine::Stop;
use loadgen_report::{render_all, Format, Report};

use super::usage;
use crate::args::{RunArgs, RunPlan, UsageError};
use crate::exit::{print_error, Exit};
use crate::files::{self, write_all};
use crate::live::{self, LiveMetrics};
use crate::progress::Progress;
use crate::shutdown::Shutdown;

/// Runs the load (or the limit search) the options describe.
pub async fn run(args: &RunArgs, shutdown: &Shutdown) -> Exit {
    let terminal = std::io::stderr().is_terminal();
    let resolved;
    let args = match &args.stack {
        Some(stack) => match loadgen_engine::aws::stack::describe(&args.stack_target(), stack).await {
            Ok(found) => {
                resolved = args.with_stack(&found);
                &resolved
            }
            Err(e) => {
                print_error(&e);
                return Exit::Runtime;
            }
        },
        None => args,
    };
    let mut plan = match args.plan(terminal) {
        Ok(plan) => plan,
        Err(e) => return usage(&e),
    };
    // `--out s3://…`: the results are written to a local folder first, then uploaded
    // (each worker of a split load under worker-I/). Check the bucket now.
    let bucket = match plan.out.as_ref().and_then(|p| p.to_str()).and_then(S3Location::parse) {
        None => None,
        Some(Err(e)) => return usage(&UsageError::new(format!("--out: {e}"))),
        Some(Ok(location)) => {
            let w = plan.config.driver.worker;
            let location = if w.count > 1 { location.child(&format!("worker-{}", w.index)) } else { location };
            let bucket = ResultsBucket::new(&args.stack_target(), location).await;
            if let Err(e) = bucket.check_writable().await {
                print_error(&e);
                return Exit::Runtime;
            }
            plan.out = Some(files::staging_dir("run"));
            Some(bucket)
        }
    };
    // Find out now, not after ten minutes of load, that the results cannot be written.
    if let Some(dir) = &plan.out {
        if let Err(e) = files::check_writable(dir) {
            return usage(&UsageError::new(format!("--out: {e}")));
        }
    }
    if let (Some(asked), Some(_)) = (plan.config.generator.payload_bytes, plan.progress_every) {
        use loadgen_engine::load::generator::mean_data_bytes;
        let own = mean_data_bytes(
            loadgen_engine::load::generator::GeneratorConfig { payload_bytes: None, ..plan.config.generator() },
            200,
        );
        let padded = mean_data_bytes(plan.config.generator(), 200);
        if (asked as f64) < own {
            say(&format!(
                "note: --payload-bytes {asked} is below the events' own size (about {own:.0} bytes): nothing is padded"
            ));
        } else {
            say(&format!("--payload-bytes {asked}: records of about {padded:.0} bytes of data (padded with a \"pad\" field; the partition key is extra)"));
        }
    }
    if let (Some(sized), Some(_)) = (&plan.auto_shards, plan.progress_every) {
        say(&format!(
            "--shards auto: {} shard{} for {:.0} events/s at ≤{:.0}% of each shard's quota ({} decides)",
            plan.config.local.shards,
            if plan.config.local.shards == 1 { "" } else { "s" },
            plan.config.driver.profile.peak_rps(),
            sized.target_utilization * 100.0,
            sized.binding
        ));
    }
    let stop = shutdown.stop.clone();
    let mut progress = Progress::new(plan.progress_every, terminal);
    if let Some(search) = plan.find_limit {
        return limit(&plan, search, &mut progress, stop, shutdown).await;
    }
    // `--metrics-listen`: the endpoint is up before the load starts, and serves until the
    // results are written.
    let live = LiveMetrics::default();
    let _endpoint = match plan.metrics_listen {
        None => None,
        Some(addr) => match live::serve(addr, live.registry(&plan.config)).await {
            Ok((at, task)) => {
                eprintln!("live figures on http://{at}/metrics");
                Some(AbortOnDrop(task))
            }
            Err(e) => return usage(&UsageError::new(e.to_string())),
        },
    };
    // The live figures are kept only when something serves them (each second decodes
    // two histograms).
    let mut watchers = (&mut progress, plan.metrics_listen.map(|_| live.observer()));
    let ran = loadgen_engine::run(&plan.config, &mut watchers, stop).await;
    progress.finish();
    let outcome = match ran {
        Ok(outcome) => outcome,
        Err(e) => {
            print_error(&e);
            return Exit::Runtime;
        }
    };
    let result = &outcome.result;
    let label = plan.out.as_ref().map_or_else(|| "this run".into(), |d| d.join("result.json").display().to_string());
    // The engine's own results always decode; if one did not, keep the result and say so.
    let report = match Report::of(result.clone(), &label) {
        Ok(report) => report,
        Err(e) => {
            print_error(&e);
            if let Some(dir) = &plan.out {
                let _ = files::json(result).map(|json| write_all(dir, &[("result.json", json)]));
            }
            return Exit::Runtime;
        }
    };
    let summary = loadgen_report::text::render(&report);
    // A closed stdout (`| head`) must not turn a finished run into a crash.
    let _ = writeln!(std::io::stdout(), "{summary}");
    if let Some(dir) = &plan.out {
        if let Err(exit) = write_results(dir, &report) {
            return exit;
        }
        if let Some(bucket) = &bucket {
            if let Err(exit) = files::upload(bucket, dir).await {
                return exit;
            }
        }
    }
    if let Some(reason) = &outcome.target_failure {
        eprintln!("error: the run stopped early: {reason}");
        return Exit::Runtime;
    }
    if result.interrupted {
        shutdown.interrupted_exit()
    } else if !result.thresholds_passed() {
        Exit::Thresholds
    } else {
        Exit::Ok
    }
}

/// A line on stderr before the load, wrapped to the terminal (80 columns elsewhere).
fn say(text: &str) {
    let mut lines = String::new();
    loadgen_report::text::wrapped_at(&mut lines, "", 2, text, crate::progress::width(true).saturating_sub(1).min(100));
    eprintln!("{}", lines.trim_end());
}

/// Stops a spawned task when dropped (the metrics endpoint, when the command returns).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `result.json`, then the report that follows from it: `summary.txt` and the other
/// formats (a report that cannot be made leaves the result, and `loadgen report DIR` can
/// try again).
fn write_results(dir: &Path, report: &Report) -> Result<(), Exit> {
    let written = files::json(&report.result)
        .map_err(std::io::Error::other)
        .map_err(|source| files::WriteError { path: dir.join("result.json"), source })
        .and_then(|json| write_all(dir, &[("result.json", json)]));
    if let Err(e) = written {
        eprintln!(
            "error: could not write results to {}: {e}. The run's summary was printed above; fix the directory and run again",
            dir.display()
        );
        return Err(Exit::Runtime);
    }
    let rendered = render_all(report, &Format::ALL)
        .map_err(|e| e.to_string())
        .and_then(|files| write_all(dir, &files).map_err(|e| e.to_string()));
    if let Err(e) = rendered {
        eprintln!(
            "error: result.json was written but the report was not: {e}. Run `loadgen report {}` to try again",
            dir.display()
        );
        return Err(Exit::Runtime);
    }
    let _ = writeln!(std::io::stdout(), "results written to {}", dir.join("result.json").display());
    Ok(())
}

/// `--find-limit`: the search, its answer on stdout, every trial in `--out`/limit.json.
async fn limit(plan: &RunPlan, search: LimitSearch, progress: &mut Progress, stop: Stop, shutdown: &Shutdown) -> Exit {
    let found = match find_limit(&plan.config, search, &mut |t| progress.trial(t), stop).await {
        Ok(found) => found,
        Err(e) => {
            print_error(&e);
            return Exit::Runtime;
        }
    };
    let _ = writeln!(
        std::io::stdout(),
        "limit: {:.0} events/s hold within the objectives ({} shard(s), {} trials){}",
        found.limit_rps,
        plan.config.local.shard_count(),
        found.trials.len(),
        if found.interrupted { "; interrupted, so the limit is at least this" } else { "" }
    );
    if let Some(dir) = &plan.out {
        let written = files::json(&found)
            .map_err(std::io::Error::other)
            .map_err(|source| files::WriteError { path: dir.join("limit.json"), source })
            .and_then(|json| write_all(dir, &[("limit.json", json)]));
        if let Err(e) = written {
            print_error(&e);
            return Exit::Runtime;
        }
    }
    if found.interrupted {
        shutdown.interrupted_exit()
    } else {
        Exit::Ok
    }
}
