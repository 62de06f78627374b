//! `loadgen`: parse, run, print the error chain, exit with a meaningful code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use loadgen::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The schedule runs on this thread (requests to a real stream go out from it too);
    // the local pipeline starts a worker of its own.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let args = match cli.command {
        Some(Command::Consume(args)) => return runtime.block_on(consume(args)),
        Some(Command::Plan(args)) => return plan(&args),
        Some(Command::Report(args)) => return report(&args),
        Some(Command::Run(args)) => *args,
        None => cli.run,
    };
    let plan = match args.plan(std::io::stderr().is_terminal()) {
        Ok(plan) => plan,
        Err(e) => return usage(e),
    };
    if let Some(search) = plan.find_limit {
        return match runtime.block_on(loadgen::limit::find_limit(&plan, search)) {
            Ok(found) => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stdout(),
                    "limit: {:.0} events/s hold within the objectives ({} shard(s), {} trials)",
                    found.limit_rps,
                    plan.local.shards,
                    found.trials.len()
                );
                if let Some(dir) = &plan.out {
                    let written = std::fs::create_dir_all(dir).and_then(|()| {
                        std::fs::write(dir.join("limit.json"), serde_json::to_string_pretty(&found).unwrap_or_default())
                    });
                    if let Err(e) = written {
                        eprintln!("error: could not write {}: {e}", dir.join("limit.json").display());
                        return ExitCode::from(1);
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        };
    }
    match runtime.block_on(loadgen::run::run(plan)) {
        Ok(outcome) => ExitCode::from(outcome.exit_code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `loadgen plan`: Markdown (or JSON) on stdout.
fn plan(args: &loadgen::cli::PlanArgs) -> ExitCode {
    let (input, prices) = match args.input() {
        Ok(x) => x,
        Err(e) => return usage(e),
    };
    let plan = loadgen::plan::plan(&input, &prices);
    let text =
        if args.json { serde_json::to_string_pretty(&plan).unwrap_or_default() } else { loadgen::plan::render(&plan) };
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{text}");
    ExitCode::SUCCESS
}

/// `loadgen report`: files (or Markdown on stdout), then the comparison's verdict.
fn report(args: &loadgen::cli::ReportArgs) -> ExitCode {
    use std::io::Write;
    let out = match args.out_dir() {
        Ok(out) => out,
        Err(e) => return usage(e),
    };
    let failed = |e: loadgen::report::ReportError| {
        eprintln!("error: {e}");
        ExitCode::from(e.exit_code())
    };
    let report = match loadgen::report::load(&args.runs, args.baseline.as_deref(), &args.max_regression) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let mut stdout = std::io::stdout().lock();
    if args.stdout {
        match loadgen::report::Format::Md.exporter().render(&report) {
            Ok(md) => {
                let _ = stdout.write_all(&md);
            }
            Err(e) => return failed(e),
        }
    } else {
        match loadgen::report::write(&out, &report, &args.formats()) {
            Ok(files) => {
                for f in files {
                    let _ = writeln!(stdout, "wrote {}", f.display());
                }
            }
            Err(e) => return failed(e),
        }
        if args.write_result {
            let text = loadgen::summary::render(&report.result);
            if let Err(e) = loadgen::result::write(&out, &report.result, &text) {
                eprintln!("error: cannot write {}: {e}", out.join("result.json").display());
                return ExitCode::from(1);
            }
            let _ = writeln!(stdout, "wrote {}", out.join("result.json").display());
        }
    }
    if let Some(cmp) = &report.comparison {
        let regressed: Vec<_> = cmp.regressions().collect();
        for d in &regressed {
            eprintln!(
                "regression: {} went from {} to {} ({}), past the allowed {}",
                d.what,
                loadgen::report::tables::figure(d.baseline),
                loadgen::report::tables::figure(d.current),
                loadgen::report::compare::change_text(d),
                d.limit.as_ref().map(loadgen::report::compare::limit_text).unwrap_or_default()
            );
        }
        if !regressed.is_empty() {
            return ExitCode::from(3);
        }
    }
    ExitCode::SUCCESS
}

fn usage(e: loadgen::cli::UsageError) -> ExitCode {
    eprintln!("error: {e}\n\nFor more information, try '--help'.");
    ExitCode::from(2)
}

/// `loadgen consume`: until Ctrl-C, with a line of progress every ten seconds.
async fn consume(args: loadgen::cli::ConsumeArgs) -> ExitCode {
    let config = match args.config() {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let stats = std::sync::Arc::new(std::sync::Mutex::new(loadgen::consume::ConsumerStats::default()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let report = stats.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            let s = report.lock().unwrap_or_else(|p| p.into_inner()).clone();
            eprintln!(
                "consumed {} records in {} batches: {} written, {} dead-lettered, {} retried; max iterator age {:.1} s",
                s.delivered,
                s.invocations,
                s.written,
                s.dead_lettered,
                s.retried,
                s.max_iterator_age_ms / 1000.0
            );
        }
    });
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping once every shard is caught up (Ctrl-C again to abort)");
            let _ = stop_tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    match loadgen::consume::consume(config, stats, stop_rx).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
