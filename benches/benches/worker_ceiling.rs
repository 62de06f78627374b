//! How big one worker is: loadgen's own ceiling on the real SDK path (the Kinesis client,
//! request building, SigV4 signing, HTTP), driving the fast local Kinesis-API endpoint
//! (`benches::fast_endpoint`, its own process) as hard as it can, and, in the same run,
//! the `boto3` `put_records` loop a user would write instead
//! (`benches/baselines/boto3_put_records.py`, threads as set). Prints records/s, CPU
//! seconds, records and bytes per CPU-second of the producer process, and the ratio.
//! Both sides count the CPU of the same window: from the load's start to its end (the
//! Python loop's threads started to joined; loadgen's `load_started` to `load_finished`),
//! not the set-up before it (loading the SDK's configuration, the stream's shards) or the
//! result's assembly after it, which loadgen's whole-run figure, printed beside, includes.
//! `loadgen plan` sizes workers from this figure (docs/aws-quotas.md, "One worker").
//!
//! `cargo bench -p benches --bench worker_ceiling` (environment: `CEILING_RPS`, default
//! 400000; `CEILING_SECONDS`, default 15; `CEILING_SHARDS`, default 512;
//! `CEILING_PYTHON`, default `.venv/bin/python` else `python3`; `CEILING_THREADS`,
//! default 8). Under `cargo test` it is a 1 s smoke run that checks every record arrived.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loadgen_engine::load::schedule::RateProfile;
use loadgen_engine::sink::kinesis::KinesisTarget;
use loadgen_engine::{stop_channel, Observer, RunConfig};

/// The process's CPU time when the load started and when it finished.
#[derive(Default)]
struct LoadWindow {
    started: Option<cpu_time::ProcessTime>,
    cpu: Option<Duration>,
}

impl Observer for LoadWindow {
    fn load_started(&mut self, _config: &RunConfig) {
        self.started = Some(cpu_time::ProcessTime::now());
    }
    fn load_finished(&mut self) {
        self.cpu = self.started.map(|s| s.elapsed());
    }
}

/// The fixture in its own process, and its URL.
fn fixture(shards: usize) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fast-endpoint"))
        .args(["--shards", &shards.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fast-endpoint");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("its address");
    let url =
        line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("fast-endpoint said: {line}")).to_string();
    (child, url)
}

struct Measured {
    accepted: u64,
    generated: u64,
    late: u64,
    wall_s: f64,
    /// The whole run's CPU, set-up and result included.
    cpu_s: f64,
    /// The CPU from the load's start to its end.
    load_cpu_s: f64,
    mean_bytes: f64,
}

/// loadgen's engine in this process against the fixture: `rps` for `seconds`.
fn loadgen(url: &str, rps: f64, seconds: u64) -> Measured {
    for (k, v) in [("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_EC2_METADATA_DISABLED", "true")] {
        std::env::set_var(k, v);
    }
    let mut config = RunConfig::default();
    config.driver.profile = RateProfile::Constant { rps };
    config.driver.duration = Duration::from_secs(seconds);
    config.settle = Duration::from_secs(5);
    config.target = Some(KinesisTarget {
        stream: "fast".into(),
        region: Some("us-east-1".into()),
        endpoint_url: Some(url.into()),
        ..KinesisTarget::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let (_handle, stop) = stop_channel();
    let cpu = cpu_time::ProcessTime::now();
    let wall = Instant::now();
    let mut window = LoadWindow::default();
    let outcome = rt.block_on(loadgen_engine::run(&config, &mut window, stop)).expect("the run against fast-endpoint");
    let (cpu_s, wall_s) = (cpu.elapsed().as_secs_f64(), wall.elapsed().as_secs_f64());
    let load_cpu_s = window.cpu.map_or(cpu_s, |c| c.as_secs_f64());
    let r = outcome.result;
    Measured {
        accepted: r.ledger.accepted,
        generated: r.ledger.generated,
        late: r.ledger.late_sends,
        wall_s,
        cpu_s,
        load_cpu_s,
        mean_bytes: r.rate.mean_record_bytes,
    }
}

/// The boto3 loop's figures: `(records_per_s, records_per_cpu_s)`.
fn boto3(url: &str, seconds: u64) -> Result<(f64, f64), String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = std::env::var("CEILING_PYTHON").unwrap_or_else(|_| {
        let venv = format!("{root}/.venv/bin/python");
        if std::path::Path::new(&venv).exists() {
            venv
        } else {
            "python3".into()
        }
    });
    let threads = std::env::var("CEILING_THREADS").unwrap_or_else(|_| "8".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/baselines/boto3_put_records.py");
    let out = Command::new(&python)
        .args([script, "--endpoint", url, "--seconds", &seconds.to_string(), "--threads", &threads])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().parse().ok());
    match (get("boto3_records_per_s="), get("boto3_records_per_cpu_s=")) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(format!("{python} {script}: {text}{}", String::from_utf8_lossy(&out.stderr))),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = |k: &str, default: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets`: a short run that checks the path end to end.
        let (mut child, url) = fixture(4);
        let m = loadgen(&url, 2000.0, 1);
        let _ = child.kill();
        assert_eq!(m.generated, 2000);
        assert_eq!(m.accepted, 2000, "every record answered by fast-endpoint");
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() && !filters.iter().any(|a| "worker_ceiling".contains(a.as_str())) {
        return;
    }
    let (rps, seconds, shards) =
        (env("CEILING_RPS", 400_000) as f64, env("CEILING_SECONDS", 15), env("CEILING_SHARDS", 512));
    let (mut child, url) = fixture(shards as usize);
    let m = loadgen(&url, rps, seconds);
    let per_cpu = m.accepted as f64 / m.load_cpu_s;
    println!(
        "loadgen: offered {rps:.0}/s for {seconds} s into {shards} shards: accepted {} of {} ({:.0} records/s), \
         late {}, CPU {:.2} s during the load ({:.2} s for the whole run, set-up and result included, in {:.2} s); \
         loadgen_records_per_cpu_s={per_cpu:.0} loadgen_bytes_per_cpu_s={:.0} (mean record {:.0} B; whole run: {:.0} \
         records per CPU-second)",
        m.accepted,
        m.generated,
        m.accepted as f64 / m.wall_s,
        m.late,
        m.load_cpu_s,
        m.cpu_s,
        m.wall_s,
        per_cpu * m.mean_bytes,
        m.mean_bytes,
        m.accepted as f64 / m.cpu_s,
    );
    let python = boto3(&url, seconds);
    let _ = child.kill();
    match python {
        Ok((rate, py_per_cpu)) => println!(
            "boto3 put_records loop: boto3_records_per_s={rate:.0} boto3_records_per_cpu_s={py_per_cpu:.0}; \
             loadgen per CPU-second = {:.1}x boto3's",
            per_cpu / py_per_cpu
        ),
        Err(e) => {
            println!("boto3 baseline not measured: {e}");
            std::process::exit(1);
        }
    }
}
