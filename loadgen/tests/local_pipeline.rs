//! End to end in-process: loadgen's driver against the embedded local pipeline, which runs
//! the real function processor. Short runs (a few seconds each) with small batching
//! windows so they finish quickly.

use clap::Parser;
use loadgen::cli::{Cli, RunPlan};
use loadgen::run::run_local;

fn plan(args: &str) -> RunPlan {
    let argv = std::iter::once("loadgen").chain(args.split_whitespace());
    let cli = Cli::try_parse_from(argv).expect("valid arguments");
    cli.run.plan(false).expect("valid plan")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_lands_exactly_once_even_with_retries_and_redeliveries() {
    let p = plan(
        "--rps 1500 --duration 3s --shards 2 --invalid-rate 0.05 --table-unprocessed-rate 0.2 \
         --batching-window 500ms --seed 11 --quiet --settle 30s",
    );
    let r = run_local(p).await.expect("run").result;
    let l = &r.ledger;
    assert_eq!(l.generated, 4500);
    assert!(l.balanced(), "{l:?}");
    assert_eq!(l.expired, 0, "2 shards take 1,500 events/s: {l:?}");
    assert!(l.invalid_injected > 100 && l.invalid_accepted == l.invalid_injected);
    let pl = r.pipeline.as_ref().expect("the local pipeline is observed");
    assert!(pl.drained);
    assert_eq!(pl.table_items, l.accepted - l.invalid_accepted, "one item per accepted valid event");
    assert_eq!(pl.dlq_messages, l.invalid_accepted, "one dead letter per invalid event");
    assert_eq!(pl.lost, 0);
    // A fifth of the items come back unprocessed: the function had to retry.
    let minimum_calls = pl.table_items as f64 / 25.0;
    assert!(
        pl.table_write_calls as f64 > 1.1 * minimum_calls,
        "{} calls for {} items",
        pl.table_write_calls,
        pl.table_items
    );
    let e2e = r.latency_ms.end_to_end.expect("end-to-end measured");
    assert_eq!(e2e.count, pl.table_items, "every stored event has a latency");
    assert_eq!(r.shards.iter().map(|s| s.records).sum::<u64>(), l.accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_per_second_needs_more_than_one_shard() {
    let one = run_local(plan("--rps 5000 --duration 3s --batching-window 200ms --record-ttl 5s --seed 3 --quiet"))
        .await
        .expect("run")
        .result;
    assert!(one.ledger.throttled_events > 0, "1 shard must throttle 5,000 events/s");
    assert!(!one.verdict.holds);
    let shards = one.recommendation.shards;
    assert!(shards >= 5, "recommended {shards}");
    assert!(one.ledger.balanced());

    let enough = run_local(plan(&format!(
        "--rps 5000 --duration 3s --shards {shards} --batching-window 200ms --seed 3 --quiet"
    )))
    .await
    .expect("run")
    .result;
    assert_eq!(enough.ledger.throttled, 0, "{shards} shards must not throttle: {:?}", enough.ledger);
    assert_eq!(enough.recommendation.shards, shards, "the same load gets the same answer");
    assert!(enough.verdict.holds, "{:?}", enough.verdict.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_hotter_than_a_shard_cannot_be_fixed_by_shards() {
    let r = run_local(plan(
        "--rps 3000 --duration 2s --shards 4 --user-popularity hot:1:0.5 --batching-window 200ms --seed 5 --quiet",
    ))
    .await
    .expect("run")
    .result;
    let key = r.recommendation.unfixable_key.as_ref().expect("1,500 records/s on one key");
    assert_eq!(key.key, r.hot_keys[0].key);
    assert!(r.verdict.findings.iter().any(|f| f.contains("no shard count fixes this")));
    assert!(r.ledger.throttled_events > 0, "the hot key's shard throttles");
}

/// The search finds the model's known capacity: 2 shards × 1,000 records/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_search_finds_the_modelled_capacity() {
    let mut p = plan(
        "--rps 600 --keys explicit --shards 2 --batching-window 200ms --find-limit --limit-trial 2s \
         --limit-precision 0.02 --seed 13 --quiet",
    );
    let search = p.find_limit.take().expect("a search");
    let found = loadgen::limit::find_limit(&p, search).await.expect("search");
    let capacity = 2000.0;
    assert!(
        (found.limit_rps - capacity).abs() <= 0.05 * capacity,
        "found {:.0}/s, capacity {capacity}: {:?}",
        found.limit_rps,
        found.trials
    );
    assert!(found.trials.iter().any(|t| !t.held), "the search must have crossed the limit");
}
