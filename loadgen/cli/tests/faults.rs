//! loadgen against a Kinesis endpoint that misbehaves on purpose: a small fake that
//! speaks just enough of the Kinesis JSON protocol (DescribeStreamSummary, ListShards,
//! PutRecords, GetShardIterator, GetRecords) and then, for PutRecords and GetRecords,
//! answers too few results, never answers, answers slowly, drops the connection, answers
//! 500s or throttles every record. Each `run` and `consume` ends by itself in bounded
//! time, with the right exit code, a balanced ledger in a run's result and a final tally
//! from the consumer. No emulator needed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::{loadgen, validate};

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// One result fewer than the records sent.
    TooFewResults,
    /// Accept the request and never answer.
    Stall,
    /// HTTP 500 InternalFailure.
    ServerError,
    /// Every record throttled.
    Throttle,
    /// Close the connection without an answer.
    Drop,
    /// Answer correctly, 300 ms late.
    Slow,
}

const SLOW: Duration = Duration::from_millis(300);

const SUMMARY: &str = r#"{"StreamDescriptionSummary":{"StreamName":"s","StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s","StreamStatus":"ACTIVE","StreamModeDetails":{"StreamMode":"PROVISIONED"},"RetentionPeriodHours":24,"StreamCreationTimestamp":1764000000,"EnhancedMonitoring":[],"OpenShardCount":1}}"#;
const SHARDS: &str = r#"{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"},"SequenceNumberRange":{"StartingSequenceNumber":"1"}}]}"#;

fn answer(conn: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}

fn serve(conn: TcpStream, fault: Fault) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    loop {
        let (mut target, mut length) = (String::new(), 0usize);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("x-amz-target:") {
                target = v.trim().to_string();
            } else if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if target.ends_with("describestreamsummary") {
            answer(&mut conn, "200 OK", SUMMARY)?;
        } else if target.ends_with("listshards") {
            answer(&mut conn, "200 OK", SHARDS)?;
        } else if target.ends_with("getsharditerator") {
            answer(&mut conn, "200 OK", r#"{"ShardIterator":"it-1"}"#)?;
        } else if target.ends_with("getrecords") {
            match fault {
                Fault::Stall => std::thread::sleep(Duration::from_secs(3600)),
                Fault::Drop => return Ok(()),
                Fault::ServerError => {
                    answer(&mut conn, "500 Internal Server Error", r#"{"__type":"InternalFailure","message":"boom"}"#)?
                }
                _ => {
                    if fault == Fault::Slow {
                        std::thread::sleep(SLOW);
                    }
                    answer(&mut conn, "200 OK", r#"{"Records":[],"NextShardIterator":"it-2","MillisBehindLatest":0}"#)?
                }
            }
        } else if target.ends_with("putrecords") {
            let sent = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["Records"].as_array().map(Vec::len))
                .unwrap_or(0);
            let ok = r#"{"SequenceNumber":"1","ShardId":"shardId-000000000000"}"#;
            let throttled = r#"{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"}"#;
            let results = |one: &str, n: usize| vec![one; n].join(",");
            match fault {
                Fault::TooFewResults => answer(
                    &mut conn,
                    "200 OK",
                    &format!(r#"{{"FailedRecordCount":0,"Records":[{}]}}"#, results(ok, sent.saturating_sub(1))),
                )?,
                Fault::Stall => std::thread::sleep(Duration::from_secs(3600)),
                Fault::ServerError => {
                    answer(&mut conn, "500 Internal Server Error", r#"{"__type":"InternalFailure","message":"boom"}"#)?
                }
                Fault::Throttle => answer(
                    &mut conn,
                    "200 OK",
                    &format!(r#"{{"FailedRecordCount":{sent},"Records":[{}]}}"#, results(throttled, sent)),
                )?,
                Fault::Drop => return Ok(()),
                Fault::Slow => {
                    std::thread::sleep(SLOW);
                    answer(
                        &mut conn,
                        "200 OK",
                        &format!(r#"{{"FailedRecordCount":0,"Records":[{}]}}"#, results(ok, sent)),
                    )?
                }
            }
        } else {
            answer(&mut conn, "400 Bad Request", r#"{"__type":"UnknownOperationException"}"#)?;
        }
    }
}

/// A fake Kinesis on 127.0.0.1 with `fault`; its endpoint URL.
fn fake_kinesis(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || serve(conn, fault));
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Runs loadgen at 100 events/s for 2 s against `endpoint`; exit code, stderr, result.
fn run(endpoint: &str, out: &Path) -> (Option<i32>, String, serde_json::Value, Duration) {
    let started = Instant::now();
    let output = loadgen()
        .envs([("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_REGION", "us-east-1")])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["--stream", "s", "--endpoint-url", endpoint, "--rps", "100", "--duration", "2s", "--quiet"])
        .arg("--no-pipeline-metrics")
        .args(["--record-ttl", "2s", "--request-timeout", "1s", "--connect-timeout", "1s", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    let text =
        std::fs::read_to_string(out.join("result.json")).unwrap_or_else(|e| panic!("no result.json ({e}): {err}"));
    let result: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate(&result);
    (output.status.code(), err, result, took)
}

fn balanced(r: &serde_json::Value) -> bool {
    let n = |k: &str| r["ledger"][k].as_u64().unwrap();
    n("generated") == n("accepted") + n("expired") + n("rejected")
}

#[test]
fn too_few_results_is_a_target_error_not_an_unbalanced_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, r, took) = run(&fake_kinesis(Fault::TooFewResults), &dir.path().join("r"));
    assert_eq!(code, Some(1), "{err} {}", r["ledger"]);
    assert!(err.contains("results for"), "{err}");
    assert!(balanced(&r), "{}", r["ledger"]);
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn a_stalled_put_ends_the_run_like_a_lost_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, r, took) = run(&fake_kinesis(Fault::Stall), &dir.path().join("r"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("stopped answering"), "{err}");
    assert!(balanced(&r), "{}", r["ledger"]);
    assert!(took < Duration::from_secs(30), "it gave up in bounded time: {took:?}");
}

#[test]
fn server_errors_and_throttling_expire_events_within_their_ttl() {
    for fault in [Fault::ServerError, Fault::Throttle] {
        let dir = tempfile::tempdir().unwrap();
        let (code, err, r, took) = run(&fake_kinesis(fault), &dir.path().join("r"));
        assert_eq!(code, Some(0), "no threshold set: {err}");
        assert!(balanced(&r), "{}", r["ledger"]);
        assert_eq!(r["ledger"]["accepted"], 0);
        assert!(r["ledger"]["expired"].as_u64().unwrap() > 0, "{}", r["ledger"]);
        assert_eq!(r["verdict"]["state"], "does_not_hold", "{}", r["verdict"]);
        assert!(took < Duration::from_secs(40), "{took:?}");
    }
}

#[test]
fn a_dropped_connection_ends_the_run_with_results() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, r, took) = run(&fake_kinesis(Fault::Drop), &dir.path().join("r"));
    assert_eq!(code, Some(1), "{err}");
    assert!(balanced(&r), "{}", r["ledger"]);
    assert_eq!(r["ledger"]["accepted"], 0);
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn slow_answers_are_waited_for_and_every_event_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, r, took) = run(&fake_kinesis(Fault::Slow), &dir.path().join("r"));
    assert_eq!(code, Some(0), "{err}");
    assert!(balanced(&r), "{}", r["ledger"]);
    assert_eq!(r["ledger"]["accepted"], r["ledger"]["generated"], "{}", r["ledger"]);
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// `loadgen consume --until-caught-up` against the fake: exit code, stderr, time taken.
fn consume(endpoint: &str) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let output = loadgen()
        .envs([("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_REGION", "us-east-1")])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["consume", "--stream", "s", "--table", "t", "--dlq-url", "http://127.0.0.1:9/q", "--until-caught-up"])
        .args(["--endpoint-url", endpoint, "--request-timeout", "1s", "--connect-timeout", "1s"])
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned(), started.elapsed())
}

#[test]
fn consume_ends_in_bounded_time_with_a_tally_whatever_the_endpoint_does() {
    for (fault, code, says) in [
        (Fault::Stall, 1, "reading shard shardId-000000000000 failed"),
        (Fault::Drop, 1, "reading shard shardId-000000000000 failed"),
        (Fault::ServerError, 1, "reading shard shardId-000000000000 failed"),
        (Fault::Slow, 0, ""),
    ] {
        let (got, err, took) = consume(&fake_kinesis(fault));
        assert_eq!(got, Some(code), "{err}");
        assert!(err.contains("final: consumed 0 records"), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(took < Duration::from_secs(30), "it gave up in bounded time: {took:?}");
    }
}
