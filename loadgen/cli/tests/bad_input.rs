//! Every bad input the reliability review found, and the siblings found since, in one
//! table: the exit code and the first line of the message. A row is a promise that the
//! input is refused before any load is sent, with a sentence that says what was wrong.

use std::path::Path;

mod common;

use common::loadgen;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/sample/7-shards/result.json");
const OTHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/sample/4-shards/result.json");

/// The files some rows name, made in `dir`.
fn make_files(dir: &Path) {
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    std::fs::write(dir.join("not-json.json"), "{ this is not json").unwrap();
    std::fs::write(dir.join("empty.json"), "").unwrap();
    let mut future: serde_json::Value = serde_json::from_str(&sample).unwrap();
    future["schema_version"] = 99.into();
    std::fs::write(dir.join("future.json"), future.to_string()).unwrap();
    // A result whose first per-second histogram is not an HdrHistogram.
    let mut corrupt: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(OTHER).unwrap()).unwrap();
    let point = corrupt["timeline"].as_array_mut().unwrap().iter_mut().find(|p| p.get("put_histogram").is_some());
    point.unwrap()["put_histogram"] = "bm90IGEgaGlzdG9ncmFt".into();
    std::fs::write(dir.join("corrupt.json"), corrupt.to_string()).unwrap();
    let mut prices: serde_json::Value =
        serde_json::to_value(loadgen_engine::capacity::prices::Prices::default()).unwrap();
    prices["kinesis_shard_hour"] = (-0.015).into();
    std::fs::write(dir.join("negative-prices.json"), prices.to_string()).unwrap();
    std::fs::write(dir.join("nan-prices.json"), r#"{"kinesis_shard_hour": "NaN"}"#).unwrap();
    std::fs::write(dir.join("huge-prices.json"), r#"{"kinesis_shard_hour": 1e300}"#).unwrap();
}

/// Arguments, extra environment, exit code, what the first line of stderr holds.
type Row<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, i32, String);

#[test]
fn bad_input_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    make_files(dir.path());
    let d = dir.path().display().to_string();
    let rows: Vec<Row> = [
        // The load
        ("--rps 0", "", 2, "error: --rps must be a positive"),
        ("--rps -100", "", 2, "error: --rps must be a positive"),
        ("--rps NaN", "", 2, "error: --rps must be a positive"),
        ("--rps 1e12 --duration 1s", "", 2, "beyond what one loadgen process can offer"),
        ("--duration 1m", "", 2, "--rps is required"),
        ("--rps 100 --duration soon", "", 2, "is not a duration"),
        ("--rps 100 --duration 0s", "", 2, "--duration must be longer than zero"),
        ("--rps 100 --rate-profile sawtooth", "", 2, "unknown profile"),
        ("--rps 100 --rate-profile step:", "", 2, "unknown profile 'step'"),
        ("--rps 100 --rate-profile ramp:0..100", "", 2, "contradicts"),
        ("--rps 100 --rate-profile ramp:0...100", "", 2, "'.100' is not a rate"),
        ("--rps 100 --keys shard", "", 2, "invalid value 'shard'"),
        ("--rps 100 --user-popularity pareto", "", 2, "unknown user popularity"),
        ("--rps 100 --user-popularity hot:1:150%", "", 2, "bad hot-key spec 'hot:1:150%'"),
        ("--rps 100 --user-popularity zipf:-1", "", 2, "bad zipf exponent '-1'"),
        ("--rps 100 --mix view=1,view=2", "", 2, "names view twice"),
        ("--rps 20kk", "", 2, "'20kk' is not a rate: write events per second like 5000, 20k or 1.5M"),
        ("--rps 100 --payload-bytes lots", "", 2, "'lots' is not a size: write bytes like 360, 1KiB"),
        ("plan --rps 5000 --record-bytes 1KiBs", "", 2, "'1KiBs' is not a size"),
        // Workers
        ("--rps 100 --worker 0/2", "", 2, "the workers of one load must share a seed"),
        ("--rps 100 --worker 2/2", "", 2, "--worker 2/2: the index runs from 0 to 1 for 2 workers"),
        ("--rps 100 --worker first", "", 2, "'first' is not a worker: write INDEX/COUNT"),
        (
            "--rps 100 --workers 3 --seed 1",
            "",
            2,
            "--workers takes this worker's index from JOB_COMPLETION_INDEX, which is not set",
        ),
        (
            "--rps 100 --workers 3 --seed 1",
            "JOB_COMPLETION_INDEX=7",
            2,
            "JOB_COMPLETION_INDEX is 7, but --workers 3 has indexes 0 to 2",
        ),
        ("--rps 100 --worker 0/2 --workers 2", "", 2, "cannot be used with"),
        ("--rps 100 --start-at tomorrow", "", 2, "'tomorrow' is not a start time"),
        (
            "--rps 100 --duration 1m --start-at 2020-01-01T00:00:00Z",
            "",
            2,
            "longer than its --duration: nothing is left to offer",
        ),
        // The producer
        ("--rps 100 --producer kpl --rate-limit 0", "", 2, "--rate-limit is a percentage of the shard quota"),
        ("--rps 100 --producer kpl --rate-limit NaN", "", 2, "--rate-limit is a percentage of the shard quota"),
        ("--rps 100 --max-buffered 0", "", 2, "--max-buffered must be at least 1 event"),
        ("--rps 100 --producer fast", "", 2, "invalid value 'fast'"),
        ("--rps 100 --aggregate --aggregation-max-bytes 10", "", 2, "--aggregation-max-bytes must be 256 to 1048576"),
        ("--rps 100 --aggregation-max-bytes 4096", "", 2, "the following required arguments were not provided"),
        ("--rps 100 --mix view=-1", "", 2, "bad --mix weight '-1' for view"),
        ("--rps 100 --users 0", "", 2, "--users and --products must be at least 1"),
        ("--rps 100 --users 1000000000000", "", 2, "--users and --products are at most"),
        ("--rps 100 --users 10x", "", 2, "error: --users takes a whole number, not '10x'"),
        ("--rps 100 --payload-bytes -1", "", 2, "error: --payload-bytes cannot be negative: -1"),
        ("--rps 100 --invalid-rate 2", "", 2, "--invalid-rate"),
        ("--rps 100 --invalid-rate -0.5", "", 2, "--invalid-rate cannot be negative: -0.5"),
        ("--rps 100 --max-throttle-rate 0.1%x", "", 2, "is not a share; write it as 0.1 or 10%"),
        // The local pipeline model
        ("--rps 100 --shards 0", "", 2, "error: --shards must be 1–100000, not 0"),
        ("--rps 100 --batch-size 0", "", 2, "--batch-size must be 1–10000 (Lambda's limit), not 0"),
        ("--rps 100 --batch-size 1.5", "", 2, "--batch-size takes a whole number, not '1.5'"),
        ("--rps 100 --parallelization-factor 11", "", 2, "--parallelization-factor must be 1–10"),
        ("--rps 100 --batching-window 301s", "", 2, "--batching-window must be at most 300s"),
        ("--rps 100 --function-timeout 0s", "", 2, "--function-timeout must be whole seconds"),
        // The search for the limit
        ("--rps 100 --find-limit --limit-trial 0s", "", 2, "--limit-trial must be at least 2s"),
        ("--rps 100 --find-limit --limit-max-rps 0", "", 2, "--limit-max-rps (0) must be at least"),
        ("--rps 100 --stream-mode on-demand --shards 3", "", 2, "an on-demand stream sizes itself"),
        ("--rps 100 --stream-previous-peak-rps 100", "", 2, "is for an on-demand stream"),
        ("--rps 100 --lambda-memory 64", "", 2, "--lambda-memory must be 128–10240 MB"),
        ("--rps 100 --lambda-concurrency-limit 0", "", 2, "--lambda-concurrency-limit must be at least 1"),
        ("--rps 100 --table-wcu 100", "", 2, "--table-wcu sets a provisioned table's capacity"),
        ("--rps 100 --table-mode provisioned", "", 2, "--table-mode provisioned needs --table-wcu"),
        ("--rps 100 --table-mode provisioned --table-wcu 0", "", 2, "--table-wcu must be 1–40000"),
        ("--rps 100 --table-mode provisioned --table-wcu 50000", "", 2, "raised quota says so with --table-quota-wcu"),
        (
            "--rps 100 --table-mode provisioned --table-wcu 90000 --table-quota-wcu 80000",
            "",
            2,
            "--table-wcu must be 1–80000 (the --table-quota-wcu given)",
        ),
        ("--rps 100 --table-quota-wcu 0", "", 2, "--table-quota-wcu must be a number of WCU/s, at least 1"),
        (
            "--rps 100 --table-mode provisioned --table-wcu 10 --table-previous-peak-wcu 5",
            "",
            2,
            "is for an on-demand table",
        ),
        ("--rps 100 --table-previous-peak-wcu -5", "", 2, "--table-previous-peak-wcu must be 0 or more WCU/s"),
        // A real stream
        ("--rps 10 --stream", "", 2, "a value is required for '--stream"),
        ("--rps 10 --stream ''", "", 2, "--stream needs a stream name"),
        ("--rps 10 --stream s --endpoint-url ''", "", 2, "is not an endpoint URL"),
        ("--rps 10 --stream s --endpoint-url http://127.0.0.1:99999", "", 2, "port must be a number from 1 to 65535"),
        ("--rps 10 --stream s --endpoint-url localhost:4567", "", 2, "no scheme"),
        ("--rps 10 --stream s --duration 1s", "AWS_ENDPOINT_URL=", 2, "AWS_ENDPOINT_URL is set to ''"),
        ("--rps 10 --stream s --duration 1s", "AWS_ENDPOINT_URL_KINESIS=ftp://x", 2, "AWS_ENDPOINT_URL_KINESIS"),
        (
            "--rps 10 --stream s --duration 1s --profile nosuch",
            "AWS_REGION=us-east-1",
            1,
            "profile 'nosuch' gives none",
        ),
        ("consume --stream s --table t --dlq-url u --endpoint-url ''", "", 2, "is not an endpoint URL"),
        ("consume --stream s --table t --dlq-url u --endpoint-url localhost:4567", "", 2, "no scheme"),
        // Results on disk
        ("--rps 10 --out /dev/null/results", "", 2, "--out: cannot write /dev/null/results"),
        ("report {d}/nosuch.json", "", 2, "cannot read {d}/nosuch.json"),
        ("report {d}/not-json.json", "", 2, "is not a loadgen result.json"),
        ("report {d}/empty.json", "", 2, "is not a loadgen result.json"),
        ("report {d}/future.json", "", 2, "is in result format version 99"),
        ("report {d}/corrupt.json --out {d}/r", "", 2, "is not a valid base64 HdrHistogram"),
        ("report {SAMPLE} {d}/corrupt.json --out {d}/r", "", 2, "is not a valid base64 HdrHistogram"),
        ("report {SAMPLE} {SAMPLE} --out {d}/r", "", 2, "are the same run (same start, seed and ledger)"),
        ("report {SAMPLE} --max-regression p99=10%", "", 2, "required arguments were not provided"),
        ("report {SAMPLE} --baseline {SAMPLE} --max-regression p98=10%", "", 2, "p98"),
        // Planning
        ("plan", "", 2, "give a rate (--rps 5000) or measured runs"),
        ("plan --rps NaN", "", 2, "--rps must be a positive rate"),
        ("plan --rps 5000 --mean-rps -5", "", 2, "--mean-rps must be a rate of 0 or more"),
        ("plan --rps 5000 --record-bytes inf", "", 2, "--record-bytes must be from 1 byte to 1 MiB"),
        ("plan --rps 5000 --record-bytes -5", "", 2, "--record-bytes must be from 1 byte to 1 MiB, not -5"),
        ("plan --rps 5000 --consumers -2", "", 2, "--consumers cannot be negative: -2"),
        ("plan --rps 5000 --hot-key-share 1.5", "", 2, "'1.5' is not a share; write it as 0.1 or 10%"),
        ("plan --from {d}/nosuch.json", "", 2, "cannot read {d}/nosuch.json"),
        ("plan --rps 5000 --prices {d}/negative-prices.json", "", 2, "kinesis_shard_hour"),
        ("plan --rps 5000 --prices {d}/nan-prices.json", "", 2, "is not a JSON object of known price fields"),
        (
            "plan --rps 5000 --prices {d}/huge-prices.json",
            "",
            2,
            "sets kinesis_shard_hour to 1e300, more than 1000 times",
        ),
    ]
    .into_iter()
    .map(|(args, env, code, first_line)| {
        let args = shell_words(&args.replace("{d}", &d).replace("{SAMPLE}", SAMPLE));
        let first_line = first_line.replace("{d}", &d);
        let env = env.split_once('=').into_iter().collect();
        (args, env, code, first_line)
    })
    .collect();
    let mut wrong = Vec::new();
    for (args, env, code, needle) in &rows {
        let out = loadgen()
            .args(args)
            // Hermetic: no credentials or profiles from the environment or ~/.aws.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", dir.path())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("JOB_COMPLETION_INDEX")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("");
        if out.status.code() != Some(*code) || !first.contains(needle.as_str()) {
            wrong.push(format!(
                "loadgen {args:?}: exit {:?} (want {code}), first line {first:?} (want {needle:?})",
                out.status.code()
            ));
        }
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
    assert!(wrong.is_empty(), "{} of {} rows wrong:\n{}", wrong.len(), rows.len(), wrong.join("\n"));
}

/// Splits on spaces; `''` is an empty argument.
fn shell_words(s: &str) -> Vec<String> {
    s.split(' ').map(|w| if w == "''" { String::new() } else { w.to_string() }).collect()
}
