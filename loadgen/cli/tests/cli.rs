//! The command-line surface: usage errors, exit codes, the result file and its schema,
//! and Ctrl-C.

use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use common::{loadgen, run, validate};

#[test]
fn an_empty_endpoint_variable_is_refused_not_a_panic() {
    let out = loadgen()
        .env("AWS_ENDPOINT_URL", "")
        .args(["--stream", "s", "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("AWS_ENDPOINT_URL is set to ''"), "{err}");
}

/// An endpoint that accepts the connection and never answers: the preflight gives up
/// after the request timeout instead of hanging.
#[test]
fn an_endpoint_that_never_answers_ends_the_run() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn); // accept, never answer
        }
    });
    let started = std::time::Instant::now();
    let out = loadgen()
        .envs([("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_REGION", "us-east-1")])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "--stream",
            "s",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
            "--rps",
            "10",
            "--duration",
            "1s",
        ])
        .args(["--request-timeout", "1s", "--connect-timeout", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach Kinesis"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "it gave up in bounded time: {:?}", started.elapsed());
}

#[test]
fn help_shows_examples() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("loadgen --rps 5000 --duration 10m"));
    assert!(out.contains("Exit codes"));
}

#[test]
fn a_run_writes_a_result_that_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let (code, stdout, err) = run(&[
        "--rps",
        "800",
        "--duration",
        "2s",
        "--batching-window",
        "200ms",
        "--invalid-rate",
        "0.02",
        "--seed",
        "9",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("Verdict: HOLDS"), "{stdout}");
    let text = std::fs::read_to_string(out.join("result.json")).unwrap();
    let result: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate(&result);
    assert_eq!(result["ledger"]["generated"], 1600);
    assert_eq!(result["rate"]["target_rps"], 800.0);
    assert!(result["latency_ms"]["end_to_end"]["count"].as_u64().unwrap() > 0);
    assert_eq!(result["recommendation"]["shards"], 1);
    assert!(out.join("summary.txt").exists());

    // The measured run plans its own capacity.
    let (code, plan, err) = run(&["plan", "--from", out.join("result.json").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(plan.contains("# Capacity plan") && plan.contains("| Kinesis | 1 shard: by records/s 1"), "{plan}");
    assert!(plan.contains("| load | 800 events/s at peak"), "{plan}");
}

#[test]
fn plan_needs_a_rate_or_a_run() {
    let (code, _, err) = run(&["plan"]);
    assert_eq!(code, 2);
    assert!(err.contains("--rps") && err.contains("--from"), "{err}");
    let (code, out, _) = run(&["plan", "--rps", "5000", "--json"]);
    assert_eq!(code, 0);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["shards"]["shards"], 7);
}

#[test]
fn missed_thresholds_exit_3() {
    let (code, stdout, err) = run(&[
        "--rps",
        "3000",
        "--duration",
        "2s",
        "--batching-window",
        "200ms",
        "--quiet",
        "--max-throttle-rate",
        "0",
    ]);
    assert_eq!(code, 3, "{stdout}{err}");
    assert!(stdout.contains("✗  max-throttle-rate (throttled attempts)"), "{stdout}");
}

/// A 60 s run signalled after 2 s: its exit code and its result.
fn signalled_midrun(signal: &str) -> (Option<i32>, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stopped");
    let child = loadgen()
        .args(["--rps", "500", "--duration", "60s", "--batching-window", "200ms", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    let text =
        std::fs::read_to_string(out.join("result.json")).unwrap_or_else(|e| panic!("no result.json ({e}): {err}"));
    let result: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate(&result);
    (output.status.code(), err, result)
}

#[test]
fn ctrl_c_settles_writes_results_and_exits_130() {
    let (code, err, result) = signalled_midrun("-INT");
    assert_eq!(code, Some(130), "{err}");
    assert_eq!(result["interrupted"], true);
    let l = &result["ledger"];
    let n = |k: &str| l[k].as_u64().unwrap();
    assert!(n("generated") > 500 && n("generated") < 30_000, "stopped early: {l}");
    assert_eq!(n("generated"), n("accepted") + n("expired") + n("rejected"), "{l}");
}

/// SIGTERM (what Kubernetes and `docker stop` send) is the first Ctrl-C, with its own code.
#[test]
fn sigterm_settles_writes_results_and_exits_143() {
    let (code, err, result) = signalled_midrun("-TERM");
    assert_eq!(code, Some(143), "{err}");
    assert_eq!(result["interrupted"], true);
}

#[test]
fn ctrl_c_while_the_pipeline_drains_writes_results_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("draining");
    // A 60 s batching window and batches larger than the load keep the pipeline waiting.
    let child = loadgen()
        .args([
            "--rps",
            "200",
            "--duration",
            "1s",
            "--batching-window",
            "60s",
            "--batch-size",
            "1000",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let sent = std::time::Instant::now();
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(20), "it stopped waiting for the pipeline");
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap()).unwrap();
    validate(&result);
    assert_eq!(result["pipeline"]["drained"], false);
    assert_eq!(result["pipeline"]["lost"], 0, "still in the stream is not lost");
    assert_eq!(result["pipeline"]["not_processed"], 200);
    assert_eq!(result["ledger"]["generated"], 200);
    assert_eq!(result["ledger"]["accepted"], 200);
}

/// Two workers of one load, started apart and aligned by `--start-at`, one by `--worker`
/// and one by `--workers` with `JOB_COMPLETION_INDEX` (as a Kubernetes Indexed Job runs
/// them): together they offer the whole load, and `loadgen report` merges them; a merge
/// without one of them names the missing worker.
#[test]
fn workers_split_a_load_and_merge_whole() {
    let dir = tempfile::tempdir().unwrap();
    let start = humantime::format_rfc3339_seconds(std::time::SystemTime::now() + Duration::from_secs(3)).to_string();
    let common = ["--rps", "400", "--duration", "2s", "--settle", "5s", "--quiet", "--start-at", start.as_str()];
    let spawn = |extra: &[&str], env: Option<(&str, &str)>, out: &str| {
        let mut c = loadgen();
        c.args(common).args(extra).arg("--out").arg(dir.path().join(out));
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let a = spawn(&["--worker", "0/2"], None, "w0");
    std::thread::sleep(Duration::from_millis(700));
    let b = spawn(&["--workers", "2"], Some(("JOB_COMPLETION_INDEX", "1")), "w1");
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(name).join("result.json")).unwrap()).unwrap()
    };
    let (w0, w1) = (read("w0"), read("w1"));
    assert_eq!(w0["worker"]["index"], 0);
    assert_eq!(w1["worker"]["index"], 1);
    assert_eq!(w0["worker"]["load_id"], w1["worker"]["load_id"]);
    assert_eq!(w0["rate"]["target_rps"], 200.0, "each worker's share");
    let generated = |r: &serde_json::Value| r["ledger"]["generated"].as_u64().unwrap();
    assert_eq!(generated(&w0) + generated(&w1), 800, "exactly the load's 800 events");
    let started = |r: &serde_json::Value| humantime::parse_rfc3339(r["started_at"].as_str().unwrap()).unwrap();
    let apart = started(&w1).duration_since(started(&w0)).unwrap_or_else(|e| e.duration());
    assert!(apart <= Duration::from_secs(1), "aligned on --start-at: {apart:?}");
    let merged = dir.path().join("merged");
    let (code, _, err) = run(&[
        "report",
        &dir.path().join("w0").display().to_string(),
        &dir.path().join("w1").display().to_string(),
        "--out",
        &merged.display().to_string(),
        "--write-result",
    ]);
    assert_eq!(code, 0, "{err}");
    let m = read("merged");
    assert_eq!(generated(&m), 800);
    assert_eq!(m["rate"]["target_rps"], 400.0);
    let (code, _, err) = run(&["report", &dir.path().join("w0").display().to_string()]);
    assert_eq!(code, 0, "one worker's own report renders: {err}");
    let (code, _, err) = run(&[
        "report",
        &dir.path().join("w0").display().to_string(),
        &dir.path().join("w0").display().to_string(),
        "--out",
        &dir.path().join("twice").display().to_string(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("same run") || err.contains("appears twice"), "{err}");
}

/// `--metrics-listen`: while the load runs, `GET /metrics` answers OpenMetrics text with
/// the ledger's counters and the latency histogram; the endpoint goes when the run ends.
#[test]
fn the_live_figures_are_served_for_prometheus_while_the_load_runs() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = loadgen()
        .args(["--rps", "300", "--duration", "4s", "--quiet", "--worker", "0/2", "--seed", "3"])
        .args(["--metrics-listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("live figures on http://")
        .and_then(|a| a.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("the endpoint's address first: {line}"))
        .to_string();
    let get = |path: &str| -> String {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    };
    std::thread::sleep(Duration::from_millis(2500));
    let text = get("/metrics");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("content-type: application/openmetrics-text; version=1.0.0"), "{text}");
    let value = |name: &str| -> f64 {
        let prefix = format!("{name}{{worker=\"0/2\"}} ");
        let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{name} in\n{text}"));
        line[prefix.len()..].parse().unwrap()
    };
    assert!(value("loadgen_events_generated_total") >= 150.0, "{text}");
    assert!(value("loadgen_events_accepted_total") > 0.0, "{text}");
    assert_eq!(value("loadgen_load_running"), 1.0);
    assert_eq!(value("loadgen_target_rate"), 150.0, "this worker's share");
    assert!(value("loadgen_put_latency_seconds_count") > 0.0, "{text}");
    assert!(text.contains("loadgen_put_latency_seconds_bucket{worker=\"0/2\",le=\"+Inf\"}"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    assert!(get("/nothing").starts_with("HTTP/1.1 404"));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(std::net::TcpStream::connect(&addr).is_err(), "the endpoint ends with the run");
}

/// An address that cannot be listened on is a usage error before any load.
#[test]
fn a_metrics_address_in_use_is_refused_before_the_load() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = run(&["--rps", "100", "--duration", "30s", "--metrics-listen", &addr]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("--metrics-listen {addr}: cannot listen there")), "{err}");
    let (code, _, err) = run(&["--rps", "100", "--metrics-listen", "nine"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an address to listen on"), "{err}");
}

/// A run on a terminal of 80 and of 120 columns (tmux panes): no line on the screen is
/// ever wider than the terminal (no wrapped progress line, no wrapped summary), from the
/// header through the bar, the drain and the summary. Every visible line is checked once
/// a second (`capture-pane -J` joins wrapped lines, so a wrapped one shows as too wide).
#[test]
fn the_screen_never_holds_a_line_wider_than_the_terminal() {
    let tmux = |socket: &str, args: &[&str]| {
        Command::new("tmux").args(["-L", socket]).args(args).output().unwrap_or_else(|e| {
            panic!("tmux is needed for this test ({e}); scripts/setup.sh installs it (Debian package tmux)")
        })
    };
    let bin = assert_cmd::cargo::cargo_bin("loadgen");
    let sessions: Vec<(usize, String, u64)> = [(80usize, 30u64), (120, 12)]
        .into_iter()
        .map(|(columns, secs)| {
            let socket = format!("loadgen-test-{}-{columns}", std::process::id());
            let cmd = format!(
                "'{}' --rps 400 --duration {secs}s --shards 3 --settle 3s; echo RUN-ENDED; sleep 60",
                bin.display()
            );
            let out = tmux(&socket, &["new-session", "-d", "-x", &columns.to_string(), "-y", "60", "-s", "run", &cmd]);
            assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
            (columns, socket, secs)
        })
        .collect();
    let started = std::time::Instant::now();
    let mut done = vec![false; sessions.len()];
    let mut screens = vec![String::new(); sessions.len()];
    while done.iter().any(|d| !d) && started.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_secs(1));
        for (i, (columns, socket, _)) in sessions.iter().enumerate() {
            if done[i] {
                continue;
            }
            let out = tmux(socket, &["capture-pane", "-p", "-J", "-t", "run"]);
            let screen = String::from_utf8_lossy(&out.stdout).into_owned();
            for line in screen.lines() {
                let width = line.trim_end().chars().count();
                assert!(
                    width <= *columns,
                    "a {width}-column line on a {columns}-column terminal:\n{line}\n---\n{screen}"
                );
            }
            done[i] = screen.contains("RUN-ENDED");
            screens[i] = screen;
        }
    }
    for (_, socket, _) in &sessions {
        let _ = tmux(socket, &["kill-server"]);
    }
    for (i, (columns, _, _)) in sessions.iter().enumerate() {
        assert!(done[i], "the {columns}-column run ended within 90 s:\n{}", screens[i]);
        assert!(screens[i].contains("Verdict:"), "the summary is on the screen:\n{}", screens[i]);
    }
}

/// The summary of a 100-shard run fits a screen: at most 60 lines of at most 80 columns
/// (the busiest shards and one "others" row; every shard stays in the reports).
#[test]
fn a_hundred_shard_summary_fits_a_screen() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&[
        "--rps",
        "5000",
        "--duration",
        "2s",
        "--shards",
        "100",
        "--settle",
        "8s",
        "--quiet",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert!(code == 0 || code == 3, "{err}");
    let summary = std::fs::read_to_string(dir.path().join("summary.txt")).unwrap();
    assert!(out.starts_with(&summary), "the terminal shows summary.txt");
    let lines: Vec<&str> = summary.lines().collect();
    assert!(lines.len() <= 60, "{} lines:\n{summary}", lines.len());
    for l in &lines {
        assert!(l.chars().count() <= 80, "{l}");
    }
    assert!(summary.contains("95 others"), "{summary}");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("shardId-000000000099"), "every shard in the report");
}

/// Every committed scenario parses and runs (for a second: the command line's
/// `--duration` wins over the file's), and its result records the file; an unknown key is
/// a usage error that names it.
#[test]
fn every_committed_scenario_runs_and_unknown_keys_are_named() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "scenarios/ holds the real cases: {files:?}");
    for file in &files {
        let dir = tempfile::tempdir().unwrap();
        let (code, out, err) = run(&[
            "--scenario",
            &file.display().to_string(),
            "--duration",
            "1s",
            "--settle",
            "2s",
            "--quiet",
            "--out",
            &dir.path().display().to_string(),
        ]);
        assert!(code == 0 || code == 3, "{}: exit {code}\n{out}{err}", file.display());
        let result: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("result.json")).unwrap()).unwrap();
        validate(&result);
        assert_eq!(result["config"]["duration_s"], 1.0, "the command line won");
        assert_eq!(result["config"]["scenario"]["file"], file.display().to_string());
        assert_eq!(result["config"]["scenario"]["text"], std::fs::read_to_string(file).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "rps = 100\nshard = 3\n").unwrap();
    let (code, _, err) = run(&["--scenario", &bad.display().to_string()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown key 'shard': did you mean shards"), "{err}");
}

/// `--shards auto` sizes the local stream by the plan for the load: 5,000 events/s need
/// 7 shards at 80%, and the run into them holds.
#[test]
fn shards_auto_sizes_the_local_stream_for_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[
        "--rps",
        "5k",
        "--duration",
        "2s",
        "--shards",
        "auto",
        "--settle",
        "8s",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--shards auto: 7 shards for 5000 events/s"), "{err}");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("result.json")).unwrap()).unwrap();
    assert_eq!(result["shards"].as_array().unwrap().len(), 7);
    assert_eq!(result["ledger"]["throttled"], 0, "{}", result["ledger"]);
    let (code, _, err) = run(&["--rps", "100", "--shards", "many"]);
    assert_eq!(code, 2);
    assert!(err.contains("'many' is not a shard count"), "{err}");
}

/// Shell completions and the man page come from the clap definition.
#[test]
fn completions_and_the_man_page_are_generated() {
    for (shell, marker) in [("bash", "_loadgen()"), ("zsh", "#compdef loadgen"), ("fish", "complete -c loadgen")] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(marker) && out.contains("--rps"), "{shell}: {out}");
    }
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH loadgen 1") && out.contains("rps"), "{out}");
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values: bash"), "{err}");
}

/// Shares read as people write them: 10% is 0.1.
#[test]
fn shares_take_percentages() {
    let (code, a, err) = run(&["plan", "--rps", "5000", "--hot-key-share", "10%", "--json"]);
    assert_eq!(code, 0, "{err}");
    let (_, b, _) = run(&["plan", "--rps", "5000", "--hot-key-share", "0.1", "--json"]);
    assert_eq!(a, b);
    // run names the hot key as plan does.
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[
        "--rps",
        "500",
        "--duration",
        "1s",
        "--settle",
        "2s",
        "--hot-key-share",
        "40%",
        "--quiet",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("result.json")).unwrap()).unwrap();
    let share = r["hot_keys"][0]["share"].as_f64().unwrap();
    assert!((0.3..0.5).contains(&share), "one user sends about 40%: {share}");
}

/// The README's quick start runs verbatim: every `loadgen …` line of its first block (the
/// 30-second first run) exits 0, and the run holds, as the README says.
#[test]
fn the_readme_quick_start_runs_verbatim() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let section = readme.split("\n## Quick start\n").nth(1).expect("a Quick start section");
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("its first sh block");
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| l.starts_with("loadgen "))
        .collect();
    assert!(!commands.is_empty(), "the quick start has a loadgen command:\n{block}");
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "`{command}`:\n{out}{err}");
        assert!(out.starts_with("Holds:"), "`{command}` holds, as the README says:\n{out}");
    }
}
