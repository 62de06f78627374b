//! loadgen against a real Kinesis API: kinesalite on 127.0.0.1 (started by
//! `scripts/test.sh`; `RETAIL_TEST_KINESIS_ENDPOINT` overrides the address). A test whose
//! emulator is not running fails and says how to start it.

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use aws_sdk_kinesis::types::ShardIteratorType;
use loadgen_engine::aws::consume::{consume, ConsumerConfig, ConsumerStats, StartingPosition};
use loadgen_engine::config::VerifyConfig;
use loadgen_engine::measure::Stage;
use loadgen_engine::outcome::result::TargetKind;
use loadgen_engine::sink::hash_ranges::{hash_key, shard_for};
use loadgen_engine::sink::kinesis::{preflight, KinesisSink, KinesisTarget, PreflightError};
use loadgen_engine::sink::{Payload, PutEntry, PutResult, RecordSink, Route, SinkError};
use loadgen_engine::{RunConfig, Silent, Stop};

/// `rps` for `secs` seconds into `stream` at `endpoint`, quiet, with `seed`.
fn config(stream: &str, endpoint: &str, rps: f64, secs: u64, seed: u64) -> RunConfig {
    RunConfig {
        target: Some(KinesisTarget {
            stream: stream.into(),
            endpoint_url: Some(endpoint.into()),
            ..KinesisTarget::default()
        }),
        seed,
        ..RunConfig::constant(rps, Duration::from_secs(secs))
    }
}

fn endpoint() -> String {
    std::env::var("RETAIL_TEST_KINESIS_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:4567".into())
}

/// Dummy credentials and a region, as the emulators accept.
fn aws_env() -> [(&'static str, &'static str); 4] {
    [
        ("AWS_ACCESS_KEY_ID", "x"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

fn require_kinesalite() -> String {
    let e = endpoint();
    let addr = e.trim_start_matches("http://").parse().expect("endpoint host:port");
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!("kinesalite is not answering at {e}. Start the emulators with `scripts/emulators.sh start` (or run `scripts/test.sh`).");
    }
    for (k, v) in aws_env() {
        // Tests in this file all want the same values, so concurrent writes agree.
        std::env::set_var(k, v);
    }
    e
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), retail_function::now_ms() % 100_000_000)
}

async fn create_stream(endpoint: &str, name: &str, shards: i32) -> aws_sdk_kinesis::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(endpoint).load().await;
    let client = aws_sdk_kinesis::Client::new(&sdk);
    client.create_stream().stream_name(name).shard_count(shards).send().await.expect("create stream in kinesalite");
    for _ in 0..100 {
        let d = client.describe_stream_summary().stream_name(name).send().await.unwrap();
        if d.stream_description_summary().map(|s| s.stream_status().as_str()) == Some("ACTIVE") {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("stream {name} never became ACTIVE");
}

/// Records stored per shard, read back with GetRecords from the start.
async fn count_records(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<(String, usize)> {
    let shards = client.list_shards().stream_name(stream).send().await.unwrap();
    let mut out = Vec::new();
    for s in shards.shards() {
        let mut it = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(s.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        let mut n = 0;
        loop {
            let page = client.get_records().shard_iterator(&it).limit(10_000).send().await.unwrap();
            n += page.records().len();
            if page.records().is_empty() {
                break;
            }
            match page.next_shard_iterator() {
                Some(next) => it = next.to_string(),
                None => break,
            }
        }
        out.push((s.shard_id().to_string(), n));
    }
    out
}

#[tokio::test]
async fn the_sink_routes_like_kinesis() {
    let endpoint = require_kinesalite();
    let stream = unique("route");
    let kinesis_client = create_stream(&endpoint, &stream, 4).await;
    let target = KinesisTarget { stream: stream.clone(), endpoint_url: Some(endpoint.clone()), ..Default::default() };
    let (client, info) = preflight(&target).await.expect("preflight");
    assert_eq!(info.shards.len(), 4);
    assert_eq!(
        info.shards,
        {
            let even = loadgen_engine::sink::hash_ranges::even_ranges(4);
            info.shards.iter().zip(even).map(|(s, r)| (s.0.clone(), r.0, r.1)).collect::<Vec<_>>()
        },
        "kinesalite splits the key space evenly, as AWS does"
    );
    let sink = KinesisSink::new(client, &info);
    let ranges: Vec<(u128, u128)> = info.shards.iter().map(|s| (s.1, s.2)).collect();
    let mut entries: Vec<PutEntry> = (0..400)
        .map(|i| PutEntry {
            data: Payload::from(format!("{{\"n\":{i}}}").as_bytes()),
            partition_key: format!("user-{i}").into(),
            route: Route::KEY,
            user_records: 1,
        })
        .collect();
    entries.extend((0..100).map(|i| PutEntry {
        data: Payload::from(&b"{}"[..]),
        partition_key: "same-key".into(),
        route: Route::explicit(loadgen_engine::sink::hash_ranges::midpoint(&ranges, i % 4)),
        user_records: 1,
    }));
    let mut too_many = entries.clone();
    too_many.push(entries[0].clone());
    assert!(matches!(sink.put_records(&mut too_many).await, Err(SinkError::Rejected(_))), "501 records");
    let huge = PutEntry {
        data: Payload::from(vec![b'x'; 1024 * 1024]),
        partition_key: "k".into(),
        route: Route::KEY,
        user_records: 1,
    };
    assert!(matches!(sink.put_records(&mut [huge]).await, Err(SinkError::Rejected(_))), "a record over 1 MiB");
    let results = sink.put_records(&mut entries).await.expect("500 records in one request");
    assert_eq!(results.len(), 500);
    for (e, r) in entries.iter().zip(&results) {
        let expected = shard_for(e.route.explicit_hash_key().unwrap_or_else(|| hash_key(&e.partition_key)), &ranges);
        assert_eq!(*r, PutResult::Accepted { shard: expected }, "{}", e.partition_key);
    }
    let stored: usize = count_records(&kinesis_client, &stream).await.iter().map(|(_, n)| n).sum();
    assert_eq!(stored, 500, "the refused requests never reached the stream");
}

#[tokio::test]
async fn preflight_errors_name_the_fix() {
    let endpoint = require_kinesalite();
    let missing = KinesisTarget { stream: unique("absent"), endpoint_url: Some(endpoint), ..Default::default() };
    assert!(matches!(preflight(&missing).await, Err(PreflightError::NotFound { .. })));
    let nowhere =
        KinesisTarget { stream: "s".into(), endpoint_url: Some("http://127.0.0.1:9".into()), ..Default::default() };
    match preflight(&nowhere).await {
        Err(e @ PreflightError::Unreachable { .. }) => assert!(e.to_string().contains("--endpoint-url"), "{e}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_against_kinesalite_stores_every_accepted_record() {
    let endpoint = require_kinesalite();
    let stream = unique("run");
    let client = create_stream(&endpoint, &stream, 4).await;
    let c = config(&stream, &endpoint, 2000.0, 4, 21);
    let r = loadgen_engine::run(&c, &mut Silent, Stop::never()).await.expect("run").result;
    assert_eq!(r.target.kind, TargetKind::Kinesis);
    assert_eq!(r.target.shards, 4);
    assert!(r.ledger.balanced());
    assert_eq!(r.ledger.accepted, 8000, "{:?}", r.ledger);
    assert!(r.pipeline.is_none());
    assert!(r.verdict.findings.iter().any(|f| f.contains("not measured")));
    let stored = count_records(&client, &stream).await;
    let per_shard: Vec<u64> = r.shards.iter().map(|s| s.records).collect();
    assert_eq!(per_shard.iter().sum::<u64>(), 8000);
    for ((id, n), s) in stored.iter().zip(&r.shards) {
        assert_eq!(id, &s.shard_id);
        assert_eq!(*n as u64, s.records, "shard {id}: loadgen's count and the stream's disagree");
    }
}

#[test]
fn cli_preflight_failures_exit_1_with_the_fix() {
    require_kinesalite();
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .args(["--stream", "nope", "--endpoint-url", "http://127.0.0.1:9", "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach Kinesis at http://127.0.0.1:9"), "{err}");
    assert!(!err.contains("DispatchFailure") && !err.contains("ConnectorError"), "a sentence, not debug output: {err}");
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .args(["-v", "--stream", "nope", "--endpoint-url", "http://127.0.0.1:9", "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("[detail: "), "-v keeps the SDK's chain: {err}");

    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .args(["--stream", &unique("missing"), "--endpoint-url", &endpoint(), "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist"), "{err}");

    let empty_home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .env_clear()
        .env("HOME", empty_home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .args(["--stream", "s", "--endpoint-url", &endpoint(), "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no AWS credentials") && err.contains("aws configure"), "{err}");

    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .env_clear()
        .env("HOME", empty_home.path())
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .args(["--stream", "s", "--endpoint-url", &endpoint(), "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no AWS region"), "{err}");

    let out =
        Command::cargo_bin("loadgen").unwrap().args(["--stream", "s", "--shards", "3", "--rps", "5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--shards contradicts --stream");
}

/// `consume --until-caught-up` reads every shard to its tip, prints a final tally and
/// exits 0 by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_until_caught_up_stops_by_itself_with_a_tally() {
    let endpoint = require_kinesalite();
    let stream = unique("caught-up");
    create_stream(&endpoint, &stream, 2).await;
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .args(["consume", "--stream", &stream, "--table", "t", "--dlq-url", "http://127.0.0.1:9/q"])
        .args(["--endpoint-url", &endpoint, "--starting-position", "trim-horizon", "--until-caught-up"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("final: consumed 0 records"), "{err}");
}

#[tokio::test]
async fn losing_the_stream_mid_run_exits_1_with_a_consistent_ledger() {
    require_kinesalite();
    // A private kinesalite this test may kill.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/kinesalite.js");
    let mut emulator = Command::new("node")
        .arg(script)
        .arg(port.to_string())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdout(Stdio::null())
        .spawn()
        .expect("node runs kinesalite (scripts/setup.sh installs it)");
    let own = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    create_stream(&own, "doomed", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("lost");
    let child = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .args(["--stream", "doomed", "--endpoint-url", &own, "--rps", "500", "--duration", "30s", "--quiet", "--out"])
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    emulator.kill().unwrap();
    let _ = emulator.wait();
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("connection to Kinesis lost"), "{err}");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("result.json")).expect("partial results written"))
            .unwrap();
    let l = &result["ledger"];
    let n = |k: &str| l[k].as_u64().unwrap();
    assert!(n("accepted") > 0 && n("generated") < 15_000, "{l}");
    assert_eq!(n("generated"), n("accepted") + n("expired") + n("rejected"), "{l}");
}

/// `consume` playing the event source mapping over `stream` into `table` and `dlq_url`,
/// from the trim horizon, until `stop`: the stop handle, the task, its running tally.
fn start_consumer(
    stream: &str,
    kinesis: &str,
    table: &str,
    dlq_url: &str,
) -> (
    loadgen_engine::stop::StopHandle,
    tokio::task::JoinHandle<Result<(), loadgen_engine::aws::consume::ConsumeError>>,
    Arc<std::sync::Mutex<ConsumerStats>>,
) {
    let consumer = ConsumerConfig {
        stream: KinesisTarget { stream: stream.into(), endpoint_url: Some(kinesis.into()), ..Default::default() },
        table: table.into(),
        dlq_url: dlq_url.into(),
        batch_size: 100,
        starting_position: StartingPosition::TrimHorizon,
        processor: retail_function::ProcessorConfig::default(),
        retry_budget: Duration::from_secs(20),
    };
    let consumed = Arc::new(std::sync::Mutex::new(ConsumerStats::default()));
    let (stop, stop_rx) = loadgen_engine::stop_channel();
    let poller = tokio::spawn(consume(consumer, consumed.clone(), stop_rx));
    (stop, poller, consumed)
}

/// The function's table (`userId` hash key, `eventKey` range key, on-demand).
async fn create_table(sdk: &aws_config::SdkConfig, table: &str) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    let attr = |n: &str| {
        AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build().unwrap()
    };
    let key = |n: &str, t| KeySchemaElement::builder().attribute_name(n).key_type(t).build().unwrap();
    aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(table)
        .attribute_definitions(attr("userId"))
        .attribute_definitions(attr("eventKey"))
        .key_schema(key("userId", KeyType::Hash))
        .key_schema(key("eventKey", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table in dynalite");
}

fn require(endpoint_var: &str, default: &str, what: &str) -> String {
    let e = std::env::var(endpoint_var).unwrap_or_else(|_| default.into());
    let addr = e.trim_start_matches("http://").parse().expect("endpoint host:port");
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!("{what} is not answering at {e}. Start the emulators with `scripts/emulators.sh start` (or run `scripts/test.sh`).");
    }
    e
}

/// loadgen → kinesalite → the consumer playing the event source mapping → the function's
/// processor → dynalite and moto_server → verification of tracers and dead letters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_through_the_emulators() {
    let kinesis = require_kinesalite();
    let dynamodb = require("RETAIL_TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:4569", "dynalite (DynamoDB)");
    let sqs = require("RETAIL_TEST_SQS_ENDPOINT", "http://127.0.0.1:5000", "moto_server (SQS)");
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb);
    std::env::set_var("AWS_ENDPOINT_URL_SQS", &sqs);

    let stream = unique("e2e");
    let kinesis_client = create_stream(&kinesis, &stream, 4).await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let table = unique("events");
    create_table(&sdk, &table).await;
    let queue = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name(unique("dlq"))
        .send()
        .await
        .expect("create queue in moto")
        .queue_url
        .unwrap();

    let (stop, poller, consumed) = start_consumer(&stream, &kinesis, &table, &queue);

    let mut c = config(&stream, &kinesis, 2000.0, 10, 8);
    c.verify = VerifyConfig { table: Some(table.clone()), dlq_url: Some(queue.clone()), ..VerifyConfig::default() };
    c.generator.invalid_rate = 0.01;
    c.settle = Duration::from_secs(90);
    let r = loadgen_engine::run(&c, &mut Silent, Stop::never()).await.expect("run").result;
    stop.stop();

    assert!(r.ledger.balanced(), "{:?}", r.ledger);
    assert_eq!(r.ledger.generated, 20_000);
    let v = r.verify.as_ref().expect("verification ran");
    assert_eq!(v.sampled, 1000);
    assert_eq!(v.missing, 0, "no tracer event lost: {v:?}");
    assert_eq!(v.found, 1000);
    assert!(r.ledger.invalid_accepted > 100);
    assert_eq!(r.ledger.invalid_accepted, r.ledger.invalid_injected);
    assert_eq!(v.dlq_messages, Some(r.ledger.invalid_accepted), "one dead letter per invalid event");
    assert_eq!(r.shards.iter().map(|s| s.records).sum::<u64>(), r.ledger.accepted);
    let e2e = r.latency_ms.end_to_end.expect("end-to-end histogram");
    assert_eq!(e2e.count, 1000);
    let stages: Vec<_> = r.latency_ms.stages.iter().map(|s| (s.stage, s.latency.count)).collect();
    assert_eq!(
        stages[1..],
        [(Stage::SendToArrival, 1000), (Stage::ArrivalToWritten, 1000)],
        "the tracer items split the way at Kinesis's arrival time"
    );
    assert!(e2e.p50 > 0.0);
    let stored = count_records(&kinesis_client, &stream).await;
    assert_eq!(stored.iter().map(|(_, n)| *n as u64).sum::<u64>(), r.ledger.accepted);
    tokio::time::timeout(Duration::from_secs(30), poller).await.expect("consumer stops").unwrap().expect("consumer ok");
    assert!(consumed.lock().unwrap().written >= r.ledger.accepted - r.ledger.invalid_accepted);
    // Dead letters name the stream, as Lambda's records do.
    let letters = aws_sdk_sqs::Client::new(&sdk).receive_message().queue_url(&queue).send().await.unwrap();
    let body = letters.messages().first().and_then(|m| m.body()).expect("a dead letter").to_string();
    assert!(body.contains("\"eventSourceArn\":\"arn:aws:kinesis:") && body.contains(&stream), "{body}");
}

/// `--stack` names the stream, table, queue and function from a CloudFormation stack's
/// outputs; after the run, the pipeline's CloudWatch metrics (put into moto_server as a
/// deployed pipeline would emit them) are read, judged and reported beside the model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stacks_cloudwatch_metrics_are_read_judged_and_reported() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let kinesis = require_kinesalite();
    let dynamodb = require("RETAIL_TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:4569", "dynalite (DynamoDB)");
    let moto = require("RETAIL_TEST_SQS_ENDPOINT", "http://127.0.0.1:5000", "moto_server (CloudWatch, CloudFormation)");
    let stream = unique("cw");
    create_stream(&kinesis, &stream, 2).await;
    let (function, table, stack) = (unique("processor"), unique("cw-events"), unique("pipeline"));
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(&moto).load().await;
    let dynamo_sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(&dynamodb).load().await;
    create_table(&dynamo_sdk, &table).await;
    // The outputs every flavour in infra/ declares.
    let template = serde_json::json!({
        "Resources": {"DeadLetterQueue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "KinesisStreamName": {"Value": stream},
            "LambdaFunctionName": {"Value": function},
            "DynamoDBTableName": {"Value": table},
            "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetterQueue"}},
        }
    });
    aws_sdk_cloudformation::Client::new(&sdk)
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await
        .expect("create stack in moto");
    // What the deployed pipeline would have published for the run: the function was
    // throttled three times.
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    // The run reads from the minute it starts in: points stamped in the minute before (a
    // minute that turns between them and the run's start, a second or two later) would be
    // outside its window. So they are stamped no later than 45 s into a minute.
    let into_minute = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    let into = into_minute(std::time::SystemTime::now());
    if into > 45 {
        tokio::time::sleep(Duration::from_secs(61 - into)).await;
    }
    let now = std::time::SystemTime::now();
    assert!(into_minute(now) <= 45, "{} s into the minute", into_minute(now));
    let now = aws_sdk_cloudwatch::primitives::DateTime::from(now);
    let put = |namespace: &str, dim: &str, subject: &str, points: &[(&str, f64)]| {
        let data: Vec<MetricDatum> = points
            .iter()
            .map(|(name, value)| {
                MetricDatum::builder()
                    .metric_name(*name)
                    .dimensions(Dimension::builder().name(dim).value(subject).build())
                    .timestamp(now)
                    .value(*value)
                    .build()
            })
            .collect();
        cloudwatch.put_metric_data().namespace(namespace).set_metric_data(Some(data)).send()
    };
    put(
        "AWS/Kinesis",
        "StreamName",
        &stream,
        &[("IncomingRecords", 400.0), ("WriteProvisionedThroughputExceeded", 0.0)],
    )
    .await
    .unwrap();
    put(
        "AWS/Lambda",
        "FunctionName",
        &function,
        &[
            ("Invocations", 20.0),
            ("Errors", 0.0),
            ("Throttles", 3.0),
            ("ConcurrentExecutions", 2.0),
            ("IteratorAge", 900.0),
        ],
    )
    .await
    .unwrap();
    put("AWS/DynamoDB", "TableName", &table, &[("ConsumedWriteCapacityUnits", 6000.0), ("WriteThrottleEvents", 0.0)])
        .await
        .unwrap();
    put("RetailEventProcessing", "FunctionName", &function, &[("ProcessedEvents", 400.0)]).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("cw");
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .env("AWS_ENDPOINT_URL_CLOUDFORMATION", &moto)
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", &moto)
        .env("AWS_ENDPOINT_URL_SQS", &moto)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb)
        .args(["--stack", &stack, "--endpoint-url", &kinesis, "--rps", "200", "--duration", "2s", "--quiet"])
        .args(["--invalid-rate", "0", "--trace-sample", "0", "--settle", "5s", "--metrics-wait", "0s", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "the thresholds passed; the verdict says the rest: {err}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("result.json")).unwrap()).unwrap();
    assert_eq!(r["target"]["stream"], stream.as_str(), "the stack named the stream");
    let m = &r["pipeline_metrics"];
    assert_eq!(m["function_name"], function.as_str());
    assert!(m["queue_name"].as_str().is_some_and(|q| !q.is_empty()), "{m}");
    assert_eq!(m["stream"]["incoming_records"], 400.0);
    assert_eq!(m["function"]["invocations"], 20.0);
    assert_eq!(m["function"]["throttles"], 3.0);
    assert_eq!(m["function"]["concurrent_executions_max"], 2.0);
    assert_eq!(m["table"]["consumed_wcu"], 6000.0);
    assert_eq!(m["table"]["peak_wcu_per_sec"], 100.0, "6,000 WCU in one minute");
    assert_eq!(m["processing"]["processed_events"], 400.0);
    // moto computes no percentiles: said, not faked.
    assert!(m["function"]["duration_p99_ms"].is_null());
    assert!(m["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("p99")), "{m}");
    assert_eq!(r["verdict"]["state"], "does_not_hold");
    assert_eq!(r["verdict"]["bottleneck"]["kind"], "lambda_concurrency");
    assert_eq!(r["verdict"]["bottleneck"]["measured"], 3.0);
    let headline = r["verdict"]["headline"].as_str().unwrap();
    assert!(headline.contains(&format!("Lambda throttled 3 invocations of {function}")), "{headline}");
    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.starts_with(headline), "the summary leads with the headline: {summary}");
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.contains("The deployed pipeline, measured (CloudWatch) vs modelled"), "{md}");
    assert!(md.contains("| Lambda throttles | 3 invocations | 0 invocations | model |"), "{md}");

    // --no-pipeline-metrics skips the read.
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .env("AWS_ENDPOINT_URL_CLOUDFORMATION", &moto)
        .env("AWS_ENDPOINT_URL_SQS", &moto)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb)
        .args(["--stack", &stack, "--endpoint-url", &kinesis, "--rps", "50", "--duration", "1s", "--quiet"])
        .args(["--invalid-rate", "0", "--trace-sample", "0", "--settle", "2s", "--no-pipeline-metrics", "--out"])
        .arg(dir.path().join("skipped"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("skipped/result.json")).unwrap()).unwrap();
    assert!(r.get("pipeline_metrics").is_none());

    // A stack that does not exist is named, with the fix.
    let out = Command::cargo_bin("loadgen")
        .unwrap()
        .envs(aws_env())
        .env("AWS_ENDPOINT_URL_CLOUDFORMATION", &moto)
        .args(["--stack", "no-such-stack", "--rps", "10", "--duration", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("stack 'no-such-stack'") && err.contains("cloudformation:DescribeStacks"), "{err}");
}

/// `--aggregate` against kinesalite: the stream stores KPL aggregates (fewer Kinesis
/// records than events), `consume` plays the event source mapping with the function's
/// de-aggregation into dynalite, and verification finds every sampled event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregated_records_end_to_end_through_the_emulators() {
    use loadgen_engine::load::aggregator::AggregationConfig;
    let kinesis = require_kinesalite();
    let dynamodb = require("RETAIL_TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:4569", "dynalite (DynamoDB)");
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb);
    let stream = unique("agg");
    let kinesis_client = create_stream(&kinesis, &stream, 2).await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let table = unique("agg-events");
    create_table(&sdk, &table).await;
    let (stop, poller, consumed) = start_consumer(&stream, &kinesis, &table, "http://127.0.0.1:9/unused");

    let mut c = config(&stream, &kinesis, 500.0, 4, 9);
    c.driver.aggregation =
        Some(AggregationConfig { linger: Duration::from_millis(50), ..AggregationConfig::default() });
    c.verify = VerifyConfig { table: Some(table.clone()), trace_sample: 200, ..VerifyConfig::default() };
    c.settle = Duration::from_secs(60);
    let r = loadgen_engine::run(&c, &mut Silent, Stop::never()).await.expect("run").result;
    stop.stop();

    assert!(r.ledger.balanced(), "{:?}", r.ledger);
    assert_eq!(r.ledger.accepted, 2000);
    let a = r.aggregation.as_ref().expect("aggregated");
    assert!(a.kinesis_records < 2000 / 5, "{a:?}");
    let stored = count_records(&kinesis_client, &stream).await;
    assert_eq!(
        stored.iter().map(|(_, n)| *n as u64).sum::<u64>(),
        a.kinesis_records,
        "the stream holds the aggregates"
    );
    let v = r.verify.as_ref().expect("verification ran");
    assert_eq!((v.sampled, v.found, v.missing), (200, 200, 0), "{v:?}");
    tokio::time::timeout(Duration::from_secs(30), poller).await.expect("consumer stops").unwrap().expect("consumer ok");
    assert!(consumed.lock().unwrap().written >= 2000, "every user record written");
}

/// Results without a shared disk, on moto_server's S3: two workers of one load write to
/// `s3://bucket/prefix/worker-I/`, `loadgen report s3://bucket/prefix/` merges them into
/// `prefix/merged/`; a missing worker is named, and a bucket that does not exist is
/// refused before any load is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_write_to_s3_and_the_report_merges_them_from_there() {
    let moto = require("RETAIL_TEST_SQS_ENDPOINT", "http://127.0.0.1:5000", "moto_server (S3)");
    for (k, v) in aws_env() {
        std::env::set_var(k, v);
    }
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(&moto).load().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let bucket = unique("results").to_lowercase();
    s3.create_bucket().bucket(&bucket).send().await.expect("create bucket in moto");
    let loadgen_s3 = |args: &[&str]| {
        Command::cargo_bin("loadgen")
            .unwrap()
            .envs(aws_env())
            .env("AWS_ENDPOINT_URL_S3", &moto)
            .args(args)
            .output()
            .unwrap()
    };
    // One worker of a 1 s load at `rps`, seeded `seed`, writing under `out`.
    let worker_run = |rps: &str, seed: &str, worker: &str, out: &str| {
        loadgen_s3(&[
            "--rps",
            rps,
            "--duration",
            "1s",
            "--settle",
            "5s",
            "--quiet",
            "--seed",
            seed,
            "--worker",
            worker,
            "--out",
            out,
        ])
    };
    let prefix = format!("s3://{bucket}/loads/one/");
    for worker in ["0/2", "1/2"] {
        let out = worker_run("200", "5", worker, &prefix);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("results uploaded to s3://"));
    }
    let out = loadgen_s3(&["report", &prefix, "--write-result"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let merged = s3
        .get_object()
        .bucket(&bucket)
        .key("loads/one/merged/result.json")
        .send()
        .await
        .expect("the merged result is in the bucket");
    let merged: serde_json::Value = serde_json::from_slice(&merged.body.collect().await.unwrap().to_vec()).unwrap();
    assert_eq!(merged["ledger"]["generated"], 200, "the two workers' shares of 200 events");
    assert!(merged["config"]["profile"].as_str().unwrap().ends_with("split over 2 workers"));
    let listed = s3.list_objects_v2().bucket(&bucket).prefix("loads/one/merged/").send().await.unwrap();
    assert!(listed.contents().iter().any(|o| o.key() == Some("loads/one/merged/report.html")));

    // Only worker 0 of another load: the merge names the missing one.
    let other = format!("s3://{bucket}/loads/two/");
    let out = worker_run("100", "6", "0/2", &other);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = loadgen_s3(&["report", &other]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("worker 1/2 of load") && err.contains("is missing"), "{err}");

    // A bucket that does not exist: refused before the load.
    let started = std::time::Instant::now();
    let out = loadgen_s3(&["--rps", "100", "--duration", "30s", "--out", &format!("s3://{bucket}-nope/x/")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("s3:PutObject"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "refused before the 30 s load");
}

/// The distributed run as a Kubernetes Indexed Job makes it, on this machine: 4 workers as
/// 4 processes, each with `JOB_COMPLETION_INDEX` and `--workers 4`, one start time, one
/// kinesalite stream, results to moto_server's S3. `loadgen report s3://…` merges them:
/// generated is exactly the single-process schedule's count (Poisson arrivals, so the
/// count is the seed's, not the rate × the duration), accepted is what the stream holds,
/// and the merged histogram counts are the sum of the workers'. With one worker's result
/// gone, the merge names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_worker_processes_into_one_stream_merge_exactly_from_s3() {
    use loadgen_engine::load::schedule::{Arrivals, RateProfile, Schedule};
    use loadgen_engine::measure::Latency;
    let kinesis = require_kinesalite();
    let moto = require("RETAIL_TEST_SQS_ENDPOINT", "http://127.0.0.1:5000", "moto_server (S3)");
    let stream = unique("four");
    let kinesis_client = create_stream(&kinesis, &stream, 2).await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(&moto).load().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let bucket = unique("four").to_lowercase();
    s3.create_bucket().bucket(&bucket).send().await.expect("create bucket in moto");
    let prefix = format!("s3://{bucket}/loads/four/");
    let (rps, secs, seed) = (300.0, 2, 21u64);
    let start = humantime::format_rfc3339_seconds(std::time::SystemTime::now() + Duration::from_secs(4)).to_string();
    let loadgen = |args: &[&str], index: Option<usize>| {
        let mut c = Command::cargo_bin("loadgen").unwrap();
        c.envs(aws_env()).env("AWS_ENDPOINT_URL_S3", &moto).env("AWS_ENDPOINT_URL_KINESIS", &kinesis).args(args);
        if let Some(i) = index {
            c.env("JOB_COMPLETION_INDEX", i.to_string());
        }
        c
    };
    let (rps_text, secs_text, seed_text) = (rps.to_string(), format!("{secs}s"), seed.to_string());
    let children: Vec<_> = (0..4)
        .map(|i| {
            loadgen(
                &[
                    "--stream",
                    &stream,
                    "--rps",
                    &rps_text,
                    "--duration",
                    &secs_text,
                    "--arrivals",
                    "poisson",
                    "--seed",
                    &seed_text,
                    "--start-at",
                    &start,
                    "--workers",
                    "4",
                    "--settle",
                    "2s",
                    "--quiet",
                    "--out",
                    &prefix,
                ],
                Some(i),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = loadgen(&["report", &prefix, "--write-result"], None).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let get = |key: String| {
        let s3 = s3.clone();
        let bucket = bucket.clone();
        async move {
            let o = s3.get_object().bucket(&bucket).key(&key).send().await.unwrap_or_else(|e| panic!("{key}: {e}"));
            serde_json::from_slice::<serde_json::Value>(&o.body.collect().await.unwrap().to_vec()).unwrap()
        }
    };
    let merged = get("loads/four/merged/result.json".into()).await;
    let mut workers = Vec::new();
    for i in 0..4 {
        workers.push(get(format!("loads/four/worker-{i}/result.json")).await);
    }
    // One process's schedule for the same load (the engine's schedule seed for this seed).
    let schedule_seed = RunConfig { seed, ..RunConfig::constant(rps, Duration::from_secs(secs)) }.driver().seed;
    let one_process =
        Schedule::new(&RateProfile::Constant { rps }, Arrivals::Poisson, Duration::from_secs(secs), schedule_seed)
            .count() as u64;
    let n = |r: &serde_json::Value, k: &str| r["ledger"][k].as_u64().unwrap();
    assert_eq!(n(&merged, "generated"), one_process, "the four shares are the one schedule");
    assert_eq!(workers.iter().map(|w| n(w, "generated")).sum::<u64>(), one_process);
    let stored: u64 = count_records(&kinesis_client, &stream).await.iter().map(|(_, c)| *c as u64).sum();
    assert_eq!(n(&merged, "accepted"), stored, "accepted is what kinesalite holds");
    assert_eq!(n(&merged, "accepted"), one_process, "kinesalite took them all at this rate");
    let count = |r: &serde_json::Value| {
        Latency::from_base64(r["histograms"]["put_corrected"].as_str().unwrap()).unwrap().histogram().len()
    };
    assert_eq!(count(&merged), workers.iter().map(count).sum::<u64>(), "merged histogram = the workers' summed");

    // Worker 3's result lost: the merge says which.
    s3.delete_object().bucket(&bucket).key("loads/four/worker-3/result.json").send().await.unwrap();
    let out = loadgen(&["report", &prefix], None).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("worker 3/4 of load") && err.contains("is missing"), "{err}");
}
