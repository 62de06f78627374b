//! `loadgen report` end to end: real local runs write their reports; two workers' runs
//! merge exactly; a baseline comparison exits 3 on a regression; bad input exits 2; the
//! HTML renders in headless Chromium; the interval log reads in HdrHistogram_py.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use loadgen_engine::measure::Latency;
use loadgen_engine::RunResult;

mod common;

use common::{run, validate};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// Two short local runs, as two workers of one load would make them (different seeds),
/// made once for every test in this file.
fn workers() -> &'static (PathBuf, PathBuf) {
    static RUNS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    RUNS.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-tests");
        let _ = std::fs::remove_dir_all(&root);
        let dirs: Vec<PathBuf> = ["worker-0", "worker-1"].iter().map(|w| root.join(w)).collect();
        std::thread::scope(|s| {
            for (i, dir) in dirs.iter().enumerate() {
                s.spawn(move || {
                    let seed = (11 + i).to_string();
                    let (code, out, err) = run(&[
                        "--rps",
                        "600",
                        "--duration",
                        "3s",
                        "--batching-window",
                        "200ms",
                        "--invalid-rate",
                        "0.01",
                        "--seed",
                        &seed,
                        "--quiet",
                        "--out",
                        dir.to_str().unwrap(),
                    ]);
                    assert_eq!(code, 0, "{out}{err}");
                });
            }
        });
        (dirs[0].clone(), dirs[1].clone())
    })
}

fn load(dir: &Path) -> RunResult {
    loadgen_engine::outcome::result::load(dir).expect("a result")
}

fn histogram(r: &RunResult, name: &str) -> Latency {
    Latency::from_base64(&r.histograms[name]).expect("decodes")
}

#[test]
fn a_run_writes_its_report() {
    let (a, _) = workers();
    let r = load(a);
    for f in ["report.md", "report.html", "timeline.csv", "latency.hlog", "rate.svg", "result.json", "summary.txt"] {
        assert!(a.join(f).is_file(), "{f} written");
    }
    let csv = std::fs::read_to_string(a.join("timeline.csv")).unwrap();
    assert_eq!(csv.lines().count(), r.timeline.len() + 1, "a header and one row per second");
    let md = std::fs::read_to_string(a.join("report.md")).unwrap();
    assert!(md.contains("Holds: 600 events/s offered"), "{md}");
    assert!(md.contains("| put, corrected (from its due time) |"), "{md}");
    // Every accepted event's latency is in exactly one second of the interval histograms.
    let per_second: u64 =
        r.timeline.iter().map(|p| Latency::from_base64(&p.put_histogram).unwrap().histogram().len()).sum();
    assert_eq!(per_second, histogram(&r, "put_corrected").histogram().len());
}

#[test]
fn workers_merge_exactly() {
    let (a, b) = workers();
    let out = a.parent().unwrap().join("merged");
    let (code, stdout, err) =
        run(&["report", a.to_str().unwrap(), b.to_str().unwrap(), "--out", out.to_str().unwrap(), "--write-result"]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("report.html"), "{stdout}");
    let (ra, rb, m) = (load(a), load(b), load(&out));

    assert_eq!(m.ledger.generated, ra.ledger.generated + rb.ledger.generated);
    assert_eq!(m.ledger.accepted, ra.ledger.accepted + rb.ledger.accepted);
    assert!((m.rate.target_rps - (ra.rate.target_rps + rb.rate.target_rps)).abs() < 1e-6);
    for name in ["put_corrected", "put_uncorrected", "service_time", "end_to_end"] {
        let mut sum = histogram(&ra, name);
        sum.merge(&histogram(&rb, name));
        let merged = histogram(&m, name);
        assert_eq!(merged.histogram(), sum.histogram(), "{name}: the merged histogram is the sum of the runs'");
    }
    let mut sum = histogram(&ra, "put_corrected");
    sum.merge(&histogram(&rb, "put_corrected"));
    assert_eq!(m.latency_ms.put_corrected, sum.percentiles(), "percentiles of every event, not averaged");
    // Second by second too.
    let i = 1;
    let mut second = Latency::from_base64(&ra.timeline[i].put_histogram).unwrap();
    second.merge(&Latency::from_base64(&rb.timeline[i].put_histogram).unwrap());
    assert_eq!(m.timeline[i].put_p99_ms, second.percentiles().p99);
    assert_eq!(m.timeline[i].shard_records[0], ra.timeline[i].shard_records[0] + rb.timeline[i].shard_records[0]);
    assert_eq!(m.shards[0].records, ra.shards[0].records + rb.shards[0].records);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("× 2 workers"), "{md}");

    // The merged result is a result like any other: it matches the schema.
    validate(&serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap()).unwrap());
}

#[test]
fn a_regression_past_its_limit_exits_3() {
    let (a, _) = workers();
    let dir = tempfile::tempdir().unwrap();
    // The same run, 50% slower at p99 and 10% slower overall.
    let mut slower: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("result.json")).unwrap()).unwrap();
    let p99 = slower["latency_ms"]["put_corrected"]["p99"].as_f64().unwrap();
    slower["latency_ms"]["put_corrected"]["p99"] = (p99 * 1.5).into();
    let achieved = slower["rate"]["achieved_rps"].as_f64().unwrap();
    slower["rate"]["achieved_rps"] = (achieved * 0.9).into();
    let current = dir.path().join("current.json");
    std::fs::write(&current, serde_json::to_string(&slower).unwrap()).unwrap();
    let base = a.join("result.json");
    let (cur, base) = (current.to_str().unwrap(), base.to_str().unwrap());

    let (code, out, err) = run(&["report", cur, "--baseline", base, "--max-regression", "p99=10%", "--stdout"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("regression: put latency p99 (corrected), ms went from"), "{err}");
    assert!(out.contains("**Regressed against the baseline: p99.**"), "{out}");
    assert!(out.contains("| achieved rate, events/s |"), "every delta is shown: {out}");

    let (code, _, err) = run(&["report", cur, "--baseline", base, "--max-regression", "achieved-rps=5%", "--stdout"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("achieved rate"), "{err}");

    // Within the limits, or with none: deltas only, exit 0.
    for limits in [vec!["--max-regression", "p99=60%", "--max-regression", "achieved-rps=11%"], vec![]] {
        let mut args = vec!["report", cur, "--baseline", base, "--stdout"];
        args.extend(limits);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        assert!(out.contains("Compared with the baseline"), "{out}");
    }
}

#[test]
fn bad_input_exits_2_and_says_what_to_do() {
    let (a, b) = workers();
    let dir = tempfile::tempdir().unwrap();
    let not_result = dir.path().join("other.json");
    std::fs::write(&not_result, r#"{"hello": "world"}"#).unwrap();
    let cut = dir.path().join("cut.json");
    let text = std::fs::read_to_string(a.join("result.json")).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let mut bad_hist: serde_json::Value = serde_json::from_str(&text).unwrap();
    bad_hist["histograms"]["put_corrected"] = "bm90IGEgaGlzdG9ncmFt".into();
    let bad_hist_path = dir.path().join("bad-hist.json");
    std::fs::write(&bad_hist_path, serde_json::to_string(&bad_hist).unwrap()).unwrap();
    let mut future: serde_json::Value = serde_json::from_str(&text).unwrap();
    future["schema_version"] = 3.into();
    future["ledger"] = serde_json::Value::Null;
    let future_path = dir.path().join("v3.json");
    std::fs::write(&future_path, serde_json::to_string(&future).unwrap()).unwrap();
    let missing = dir.path().join("nowhere");
    let twin = dir.path().join("twin.json");
    std::fs::write(&twin, &text).unwrap();
    let mut bad_second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("result.json")).unwrap()).unwrap();
    bad_second["timeline"][0]["put_histogram"] = "bm90IGEgaGlzdG9ncmFt".into();
    let bad_second_path = dir.path().join("bad-second.json");
    std::fs::write(&bad_second_path, serde_json::to_string(&bad_second).unwrap()).unwrap();

    let p = |p: &Path| p.to_str().unwrap().to_string();
    for (args, needle) in [
        (vec!["report".to_string(), p(&missing)], "cannot read"),
        (vec!["report".into(), p(&not_result)], "is not a loadgen result.json"),
        (vec!["report".into(), p(&cut)], "is not a loadgen result.json"),
        (vec!["report".into(), p(&bad_hist_path)], "histogram 'put_corrected' is not a valid base64 HdrHistogram"),
        (vec!["report".into(), p(&future_path)], "result format version 3"),
        (vec!["report".into(), p(a), p(b)], "--out DIR"),
        (vec!["report".into(), p(a), p(&twin), "--out".into(), p(dir.path())], "are the same run"),
        (
            vec!["report".into(), p(a), p(&bad_second_path), "--out".into(), p(dir.path())],
            "timeline[t=1].put_histogram",
        ),
        (vec!["report".into(), p(a), "--baseline".into(), p(&missing)], "cannot read"),
        (vec!["report".into(), p(a), "--max-regression".into(), "p99".into()], "METRIC=ALLOWANCE"),
        (vec!["report".into(), p(a), "--format".into(), "pdf".into()], "invalid value 'pdf'"),
    ] {
        let (code, out, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(needle), "{args:?}: expected '{needle}' in: {err}");
    }
    // Nothing half-written where the bad input pointed.
    assert!(!dir.path().join("report.html").exists());
}

#[test]
fn an_unwritable_directory_exits_1() {
    let (a, _) = workers();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let (code, out, err) = run(&["report", a.to_str().unwrap(), "--out", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("cannot write"), "{err}");
}

#[test]
fn the_html_report_renders_in_headless_chromium() {
    let (a, _) = workers();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let script = repo().join("scripts/check-report.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(a.join("report.html"))
        .arg(&shot)
        .current_dir(repo())
        .output()
        .expect("node runs (install Node.js 20+; scripts/setup.sh installs playwright-core and chromium)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the report does not render cleanly in Chromium (run scripts/setup.sh for chromium and playwright-core):\n{stdout}\n{stderr}"
    );
    let verdict: serde_json::Value = serde_json::from_str(&stdout).expect("the check prints JSON");
    assert_eq!(verdict["ok"], true, "{stdout}");
    let summary = std::fs::read_to_string(a.join("summary.txt")).unwrap();
    // The terminal's first paragraph (wrapped at 80 columns) is the page's banner.
    let first_paragraph = summary.split("\n\n").next().unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        verdict["verdict"].as_str().map(|v| v.split_whitespace().collect::<Vec<_>>().join(" ")),
        Some(first_paragraph),
        "the page's banner is the terminal's first paragraph"
    );
    let charts = verdict["charts"].as_array().unwrap();
    assert!(charts.len() >= 8, "every chart rendered: {stdout}");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "a real screenshot");
}

#[test]
fn the_interval_log_reads_in_hdrhistogram_py() {
    let (a, _) = workers();
    let r = load(a);
    let python = repo().join(".venv/bin/python");
    assert!(python.is_file(), "no {} — run scripts/setup.sh (it installs hdrhistogram from PyPI)", python.display());
    let code = r#"
import sys
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, 3600000000, 3))
totals = {}
while True:
    h = reader.get_next_interval_histogram()
    if h is None:
        break
    totals[h.get_tag()] = totals.get(h.get_tag(), 0) + h.get_total_count()
print(totals.get("put_corrected", 0), totals.get("end_to_end", 0), int(reader.get_start_time_sec()))
"#;
    let out = Command::new(&python).arg("-c").arg(code).arg(a.join("latency.hlog")).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<u64> = text.split_whitespace().map(|f| f.parse().unwrap()).collect();
    assert_eq!(fields[0], histogram(&r, "put_corrected").histogram().len(), "every put latency, second by second");
    assert!(fields[1] > 0, "end-to-end intervals are tagged apart");
    let start = humantime::parse_rfc3339(&r.started_at).unwrap();
    assert_eq!(
        fields[2],
        start.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        "StartTime is the run's start"
    );
}

#[test]
fn committed_sample_reports_are_current() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("bash")
        .arg(repo().join("reports/render.sh"))
        .arg(env!("CARGO_BIN_EXE_loadgen"))
        .env("REPORTS_OUT", out.path())
        .current_dir(repo())
        .status()
        .expect("bash runs");
    assert!(status.success(), "reports/render.sh failed");
    let sample = repo().join("reports/sample");
    let mut compared = 0;
    for dir in std::fs::read_dir(out.path()).unwrap() {
        let dir = dir.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let name = file.strip_prefix(out.path()).unwrap();
            let committed = std::fs::read(sample.join(name)).unwrap_or_default();
            let fresh = std::fs::read(&file).unwrap();
            // A merged result's sums may differ in the last bit between a debug and a
            // release build; compare JSON by value, to 12 significant digits.
            let same = if name.extension().is_some_and(|e| e == "json") {
                let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).ok();
                matches!((parse(&committed), parse(&fresh)), (Some(a), Some(b)) if json_close(&a, &b))
            } else {
                committed == fresh
            };
            assert!(
                same,
                "reports/sample/{} is not what the code renders now: run reports/render.sh and commit the result",
                name.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "the whole sample set was rendered ({compared} files)");
}

fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_close(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_close(v, w)))
        }
        _ => a == b,
    }
}
