//! What Lambda bills: the function's whole CPU per record. The processor through the real
//! DynamoDB and SQS adapters (each `BatchWriteItem` and `SendMessageBatch` body written,
//! signed with SigV4 and sent over the adapters' pooled HTTP client) against
//! `fast-endpoint` (`benches::fast_endpoint`, on a thread of its own), beside the processor
//! alone against a store that answers at once, in the same run: CPU per record of the
//! batch path's thread, the share the AWS calls take, and the billed duration and cost per
//! million events this implies at 256 MB and at 1,769 MB (one vCPU); and, in the same run,
//! SHA-256 alone over as many body bytes as the batch sent, the part of SigV4 that grows
//! with the body (DynamoDB and SQS take no unsigned payload), which bounds how close the
//! whole path can come to the processor alone. The planner's `per_record_us` default is
//! this whole-path figure (`docs/aws-quotas.md`, "The function's CPU per record").
//!
//! `cargo bench -p benches --bench function_path` (`PATH_BATCHES`, default 3000 batches of
//! 100 records, 1% of them invalid so the dead-letter path runs too). Under `cargo test`
//! it is a smoke run that checks every record is written or dead-lettered.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use std::time::Duration;

use benches::fast_endpoint::{spawn, Counts, FastStream};
use benches::{retail_batch, CountingStore};
use loadgen_engine::capacity::prices::Prices;
use loadgen_engine::capacity::quotas::{cpu_share, FULL_VCPU_MB};
use retail_function::memory::InMemoryDlq;
use retail_function::{BatchContext, KinesisEventRecord, NoMetrics, Processor, ProcessorConfig};

/// A batch of `n` records, `invalid` of them not JSON (they are dead-lettered).
fn batch(n: usize, invalid: usize, now: i64) -> Vec<KinesisEventRecord> {
    use base64::Engine;
    let mut records = retail_batch(n, now);
    for r in records.iter_mut().take(invalid) {
        r.kinesis.data = base64::engine::general_purpose::STANDARD.encode(b"not json");
    }
    records
}

/// CPU µs per record of this thread over `batches` batches through `processor`, after a
/// warm-up of a tenth as many.
async fn cpu_us_per_record<S, D>(
    processor: &Processor<S, D, NoMetrics>,
    input: &[KinesisEventRecord],
    now: i64,
    batches: usize,
) -> f64
where
    S: retail_function::EventStore,
    D: retail_function::DeadLetterSink,
{
    let ctx = || BatchContext { now_ms: now, deadline: tokio::time::Instant::now() + Duration::from_secs(60) };
    for _ in 0..(batches / 10).max(10) {
        std::hint::black_box(processor.process_batch(input, ctx()).await);
    }
    let cpu = cpu_time::ThreadTime::now();
    for _ in 0..batches {
        std::hint::black_box(processor.process_batch(input, ctx()).await);
    }
    cpu.elapsed().as_secs_f64() * 1e6 / (batches * input.len()) as f64
}

/// CPU µs per record of SHA-256 over a batch's request bodies (`calls` bodies of
/// `body_bytes` in all, for `records` records), over `batches` batches on this thread: the
/// part of SigV4 that grows with the body, which DynamoDB and SQS make the caller pay
/// (they take no unsigned payload).
fn sha256_us_per_record(calls: usize, body_bytes: usize, records: usize, batches: usize) -> f64 {
    use sha2::Digest;
    let calls = calls.max(1);
    const TEXT: &[u8] = br#"{"PutRequest":{"Item":{"userId":{"S":"user-0001234"}}}},"#;
    let body: Vec<u8> = TEXT.iter().copied().cycle().take(body_bytes / calls).collect();
    let cpu = cpu_time::ThreadTime::now();
    for _ in 0..batches * calls {
        std::hint::black_box(sha2::Sha256::digest(std::hint::black_box(&body)));
    }
    cpu.elapsed().as_secs_f64() * 1e6 / (batches * records) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if bench && !filters.is_empty() && !filters.iter().any(|a| "function_path".contains(a.as_str())) {
        return;
    }
    let batches =
        if bench { std::env::var("PATH_BATCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000) } else { 20 };
    let counts = Arc::new(Counts::default());
    let addr = spawn("127.0.0.1:0".parse().unwrap(), FastStream { shards: 1 }, counts.clone()).expect("fast-endpoint");
    let url = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sdk = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new("x", "x", None, None, "bench"))
            .load(),
    );
    let config = retail_function::Config {
        table_name: "events".into(),
        dlq_url: format!("{url}/000000000000/dlq"),
        retry_budget: Duration::from_secs(20),
        processor: ProcessorConfig::default(),
    };
    let whole = retail_function::aws_processor_with(&sdk, &config, NoMetrics).expect("the function's clients");
    let alone = Processor::new(CountingStore::default(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let now = retail_function::now_ms();
    let input = batch(100, 1, now);
    let ctx = || BatchContext { now_ms: now, deadline: tokio::time::Instant::now() + Duration::from_secs(60) };

    let report = rt.block_on(whole.process_batch(&input, ctx()));
    assert_eq!((report.written(), report.dead_lettered(), report.retried()), (99, 1, 0), "through fast-endpoint");
    // One batch's requests and body bytes (every batch is this one).
    let calls = counts.bodies.load(Ordering::Relaxed);
    let body_bytes = counts.body_bytes.load(Ordering::Relaxed);
    if !bench {
        assert!(counts.items.load(Ordering::Relaxed) >= 99 && counts.messages.load(Ordering::Relaxed) >= 1);
        // Four BatchWriteItem bodies of 25 items (or fewer, larger ones) and one SendMessageBatch.
        assert!(calls >= 2 && body_bytes >= 100 * 100, "{calls} bodies, {body_bytes} bytes");
        return;
    }
    let whole_us = rt.block_on(cpu_us_per_record(&whole, &input, now, batches));
    let alone_us = rt.block_on(cpu_us_per_record(&alone, &input, now, batches));
    let hash_us = sha256_us_per_record(calls as usize, body_bytes as usize, input.len(), batches);
    let prices = Prices::default();
    println!(
        "function batch path, 100 records (1 invalid): whole path {whole_us:.3} µs/record CPU, processor alone {alone_us:.3} µs/record: {:.1}x; the AWS calls take {:.0}%",
        whole_us / alone_us,
        (1.0 - alone_us / whole_us) * 100.0
    );
    println!(
        "  SigV4 hashes every body byte: {calls} bodies per batch, {} bytes per record; SHA-256 of them alone {hash_us:.3} µs/record ({:.1}x the processor alone), so processor and hashing are {:.1}x before a body is written or sent",
        body_bytes as usize / input.len(),
        hash_us / alone_us,
        (alone_us + hash_us) / alone_us
    );
    for memory in [256u32, FULL_VCPU_MB as u32] {
        let billed_ms = whole_us * 100.0 / cpu_share(memory) / 1000.0;
        let invocations = 1e6 / 100.0;
        let gb_s = invocations * billed_ms / 1000.0 * f64::from(memory) / 1024.0;
        let cost = gb_s * prices.lambda_gb_second_arm64 + invocations / 1e6 * prices.lambda_requests_per_million;
        println!(
            "  at {memory} MB ({:.1}% of a vCPU): {billed_ms:.2} ms of CPU per 100-record invocation, ${cost:.4} per million events on arm64 (CPU only; the writes' wait is billed too)",
            cpu_share(memory) * 100.0
        );
    }
}
