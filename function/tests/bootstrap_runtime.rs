//! The compiled `bootstrap` run as Lambda runs it: a minimal Lambda Runtime API on
//! 127.0.0.1 hands it a Kinesis event, and the test checks its response and the items it
//! wrote to dynalite and the dead letter it sent to moto_server. It also measures cold
//! start (process start to first `/invocation/next`) and checks that a missing setting
//! fails init with a clear message.
//!
//! `BOOTSTRAP_BIN=$PWD/target/release/bootstrap cargo test -p retail-function --test
//! bootstrap_runtime -- --nocapture` measures the release binary instead of the debug one.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use common::emulators::*;
use common::*;

/// What the fake Runtime API saw.
#[derive(Default)]
struct Seen {
    first_request: Option<Instant>,
    response: Option<String>,
    errors: Vec<String>,
}

struct RuntimeApi {
    addr: String,
    seen: Arc<Mutex<Seen>>,
}

impl RuntimeApi {
    /// Serves one invocation carrying `event`, then holds further `/next` calls open.
    fn start(event: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let served = Arc::new(Mutex::new(false));
        let s = seen.clone();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (s, served, event) = (s.clone(), served.clone(), event.clone());
                thread::spawn(move || serve(conn, &s, &served, &event));
            }
        });
        RuntimeApi { addr, seen }
    }
}

fn serve(conn: TcpStream, seen: &Mutex<Seen>, served: &Mutex<bool>, event: &str) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        seen.lock().unwrap().first_request.get_or_insert_with(Instant::now);
        let mut length = 0;
        let mut error_type = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("lambda-runtime-function-error-type:") {
                error_type = v.trim().to_string();
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8_lossy(&body).to_string();
        let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
        if path.ends_with("/invocation/next") {
            let first = !std::mem::replace(&mut *served.lock().unwrap(), true);
            if !first {
                thread::sleep(Duration::from_secs(600)); // no more work: hold the poll
                return;
            }
            let deadline = retail_function::now_ms() + 60_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-1\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:retail-test\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\r\n\
                 Content-Length: {}\r\n\r\n",
                event.len()
            );
            out.write_all(head.as_bytes()).unwrap();
            out.write_all(event.as_bytes()).unwrap();
        } else {
            if path.ends_with("/response") {
                seen.lock().unwrap().response = Some(body);
            } else {
                seen.lock().unwrap().errors.push(format!("{path} [{error_type}]: {body}"));
            }
            out.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        }
        out.flush().unwrap();
    }
}

fn bootstrap(api: &str, env: &[(&str, &str)]) -> Command {
    let bin = std::env::var("BOOTSTRAP_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_bootstrap").to_string());
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "retail-test")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/retail-test")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/25/[$LATEST]0")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if let Some(v) = f() {
            return Some(v);
        }
        thread::sleep(Duration::from_millis(2));
    }
    None
}

fn stop(mut child: Child) -> String {
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_serves_a_kinesis_invocation() {
    let ddb = dynamodb().await;
    let sqs_client = sqs().await;
    let table = unique("events");
    create_table(&ddb, &table).await;
    let queue = create_queue(&sqs_client, &unique("dlq")).await;

    let now = retail_function::now_ms();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let records: Vec<_> = (0..30)
        .map(|i| {
            let json =
                format!(r#"{{"eventId":"e{i}","userId":"u{}","eventType":"view","timestamp":{}}}"#, i % 4, now - 100);
            record_b64(i, b64(&json))
        })
        .chain([record_b64(30, b64("{oops"))])
        .collect();
    let event = serde_json::to_string(&retail_function::KinesisEvent { records }).unwrap();

    let api = RuntimeApi::start(event);
    let child = bootstrap(
        &api.addr,
        &[
            ("TABLE_NAME", table.as_str()),
            ("DLQ_URL", queue.as_str()),
            ("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb_endpoint()),
            ("AWS_ENDPOINT_URL_SQS", &sqs_endpoint()),
        ],
    )
    .spawn()
    .unwrap();
    let response = wait_for(Duration::from_secs(30), || api.seen.lock().unwrap().response.clone());
    let logs = stop(child);
    let response = response.unwrap_or_else(|| panic!("no response from bootstrap; its output:\n{logs}"));
    let body: serde_json::Value = serde_json::from_str(&response).unwrap();
    assert_eq!(body, serde_json::json!({"batchItemFailures": []}), "{logs}");
    assert!(api.seen.lock().unwrap().errors.is_empty());

    let count = ddb.scan().table_name(&table).select(aws_sdk_dynamodb::types::Select::Count).send().await.unwrap();
    assert_eq!(count.count(), 30);
    let letters = drain(&sqs_client, &queue).await;
    assert_eq!(letters.len(), 1);
    assert!(letters[0].contains("bad_json"));

    // The EMF line for the batch is on stdout.
    let emf = logs.lines().find(|l| l.contains("\"_aws\"")).unwrap_or_else(|| panic!("no EMF line in output:\n{logs}"));
    let emf: serde_json::Value = serde_json::from_str(emf).unwrap();
    assert_eq!(emf["ProcessedEvents"], 30);
    assert_eq!(emf["FailedEvents"], 1);
    assert_eq!(emf["FunctionName"], "retail-test");
}

#[test]
fn missing_configuration_fails_init_with_a_clear_message() {
    let api = RuntimeApi::start(String::new());
    let out = bootstrap(&api.addr, &[("WRITE_CONCURRENCY", "0")]).output().unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("TABLE_NAME is not set") && text.contains("DLQ_URL is not set"), "{text}");
    // Lambda is told, so the invoke shows Runtime.InitError with the whole message.
    let errors = api.seen.lock().unwrap().errors.clone();
    assert_eq!(errors.len(), 1, "{errors:?}\n{text}");
    let (head, body) = errors[0].split_once(": ").unwrap();
    assert_eq!(head, "/2018-06-01/runtime/init/error [runtime.initerror]");
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["errorType"], "Runtime.InitError");
    let message = body["errorMessage"].as_str().unwrap();
    for problem in ["TABLE_NAME is not set", "DLQ_URL is not set", "WRITE_CONCURRENCY=\"0\""] {
        assert!(message.contains(problem), "{problem} missing from {message}");
    }
}

#[test]
fn an_endpoint_that_is_not_a_url_fails_init() {
    let api = RuntimeApi::start(String::new());
    let env = [("TABLE_NAME", "t"), ("DLQ_URL", "http://127.0.0.1:9/q"), ("AWS_ENDPOINT_URL_DYNAMODB", "ftp://x")];
    let out = bootstrap(&api.addr, &env).output().unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("cannot reach DynamoDB") && text.contains("ftp://x"), "{text}");
    let errors = api.seen.lock().unwrap().errors.clone();
    assert_eq!(errors.len(), 1, "Lambda is told: {errors:?}\n{text}");
    assert!(
        errors[0].contains("Runtime.InitError") && errors[0].contains("neither http:// nor https://"),
        "{errors:?}"
    );
}

#[test]
fn init_failure_without_a_runtime_api_still_exits_promptly() {
    // Nothing listens on port 9: reporting fails, the process still exits non-zero.
    let start = Instant::now();
    let out = bootstrap("127.0.0.1:9", &[]).output().unwrap();
    assert!(!out.status.success());
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("TABLE_NAME is not set") && text.contains("/init/error"), "{text}");
}

#[test]
fn cold_start_to_first_poll() {
    let mut samples = Vec::new();
    for _ in 0..7 {
        let api = RuntimeApi::start(String::new());
        // The poll is held open, so the runtime waits for work as in Lambda.
        *api.seen.lock().unwrap() = Seen::default();
        let start = Instant::now();
        let child = bootstrap(&api.addr, &[("TABLE_NAME", "t"), ("DLQ_URL", "http://127.0.0.1:9/q")]).spawn().unwrap();
        let first = wait_for(Duration::from_secs(10), || api.seen.lock().unwrap().first_request);
        let logs = stop(child);
        let first = first.unwrap_or_else(|| panic!("bootstrap never polled the Runtime API:\n{logs}"));
        samples.push(first.duration_since(start));
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "cold_start_ms min={:.1} median={:.1} max={:.1} (binary: {})",
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1]),
        std::env::var("BOOTSTRAP_BIN").unwrap_or_else(|_| "debug build".into())
    );
}
