//! Helpers shared by the CLI-level test files: the binary, a run of it, and the result
//! schema check.
#![allow(dead_code)] // each test file uses its own subset

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

/// The `loadgen` binary.
pub fn loadgen() -> Command {
    Command::cargo_bin("loadgen").expect("binary built")
}

/// Runs `loadgen ARGS`: exit code, stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = loadgen().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Fails unless `result` matches `loadgen/schema/result.schema.json`.
pub fn validate(result: &serde_json::Value) {
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/result.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid JSON Schema");
    let errors: Vec<String> =
        validator.iter_errors(result).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "result.json does not match its schema: {errors:#?}");
}
