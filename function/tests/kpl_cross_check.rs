//! The KPL aggregation format against AWS's own implementation (`aws-kinesis-agg` from
//! PyPI, in the test venv that `scripts/setup.sh` makes): aggregates it builds are
//! expanded by the function, and aggregates this project builds are read back by it.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use retail_events::aggregation;
use retail_function::memory::{InMemoryDlq, InMemoryTable};
use retail_function::{BatchContext, NoMetrics, Processor, ProcessorConfig};

fn kpl_agg(mode: &str, input: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = format!("{root}/.venv/bin/python");
    let mut child = Command::new(&python)
        .arg(format!("{root}/scripts/kpl-agg.py"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{python} does not run ({e}): run scripts/setup.sh, which installs aws-kinesis-agg")
        });
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "kpl-agg.py {mode}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn aggregates_built_by_aws_kinesis_agg_are_expanded() {
    let events: Vec<String> = (0..5).map(|i| valid_event(&format!("u{i}"), &format!("agg-{i}"))).collect();
    let input: String =
        events.iter().enumerate().map(|(i, e)| serde_json::json!([format!("u{i}"), e]).to_string() + "\n").collect();
    let b64 = kpl_agg("build", &input);
    let records = vec![record_b64(1, b64.trim().to_string()), record(2, valid_event("plain", "p").as_bytes())];
    let p = Processor::new(InMemoryTable::default(), InMemoryDlq::default(), NoMetrics, ProcessorConfig::default());
    let ctx = BatchContext { now_ms: NOW_MS, deadline: tokio::time::Instant::now() + Duration::from_secs(5) };
    let report = p.process_batch(&records, ctx).await;
    assert_eq!(report.written(), 6, "five user records and the plain one: {report:?}");
    assert_eq!(p.store().len(), 6);
}

#[test]
fn aggregates_built_here_are_read_by_aws_kinesis_agg() {
    let datas: Vec<String> = (0..4).map(|i| valid_event(&format!("u{i}"), &format!("mine-{i}"))).collect();
    let keys = ["u0", "u1", "u0", "u3"];
    let data = aggregation::encode(keys.iter().copied().zip(datas.iter().map(|d| d.as_bytes())));
    use base64::Engine;
    let read = kpl_agg("read", &base64::engine::general_purpose::STANDARD.encode(&data));
    let back: Vec<(String, Option<String>, String)> = read.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(back.len(), 4);
    for (i, (key, hash, text)) in back.iter().enumerate() {
        assert_eq!((key.as_str(), hash, text), (keys[i], &None, &datas[i]));
    }
}
