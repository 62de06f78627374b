//! The committed `loadgen/schema/result.schema.json` is the schema derived from the
//! result types: change a type, then regenerate the file with
//! `UPDATE_SCHEMA=1 cargo test -p loadgen-engine --test schema`.

use loadgen_engine::outcome::fixture::sample_result;
use loadgen_engine::RunResult;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/result.schema.json");

fn derived() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(RunResult)).expect("a schema is JSON");
    schema["title"] = "loadgen result.json".into();
    schema["$id"] = "https://example.invalid/retail-pipeline-loadgen/result.schema.json".into();
    schema
}

#[test]
fn the_committed_schema_is_the_derived_one() {
    let derived = derived();
    let text = serde_json::to_string_pretty(&derived).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(COMMITTED, &text).expect("write the schema");
    }
    let committed = std::fs::read_to_string(COMMITTED).expect("the committed schema");
    assert!(
        committed == text,
        "loadgen/schema/result.schema.json differs from the schema derived from the result types; \
         regenerate it with UPDATE_SCHEMA=1 cargo test -p loadgen-engine --test schema"
    );
}

#[test]
fn results_validate_against_it_and_broken_ones_do_not() {
    let schema = derived();
    let validator = jsonschema::validator_for(&schema).expect("valid JSON Schema");
    let good = serde_json::to_value(sample_result()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&good).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("ledger");
    assert!(!validator.is_valid(&missing), "a result without its ledger is not a result");
    let mut wrong = good.clone();
    wrong["target"]["kind"] = "lambda".into();
    assert!(!validator.is_valid(&wrong), "an unknown target kind");
    let mut extra = good.clone();
    extra["rate"]["surprise"] = 1.into();
    assert!(!validator.is_valid(&extra), "fields the types do not have");
    let mut negative = good;
    negative["ledger"]["accepted"] = (-1).into();
    assert!(!validator.is_valid(&negative), "counts are not negative");
}
