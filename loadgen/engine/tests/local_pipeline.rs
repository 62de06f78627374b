//! End to end in-process: the engine's driver against the embedded local pipeline, which
//! runs the real function processor. Runs are built from `RunConfig`, as a program using
//! the engine would; short runs (a few seconds each) with small batching windows so they
//! finish quickly.

use std::time::Duration;

use loadgen_engine::capacity::shards::Binding;
use loadgen_engine::limit::{find_limit, LimitSearch};
use loadgen_engine::load::keys::{KeyModel, Popularity};
use loadgen_engine::measure::Stage;
use loadgen_engine::outcome::result::{BottleneckKind, VerdictState};
use loadgen_engine::run::run_local;
use loadgen_engine::sink::local::table_model::TableMode;
use loadgen_engine::sink::local::StreamMode;
use loadgen_engine::{RunConfig, RunResult, Silent, Stop};

/// `rps` for `secs` seconds into `shards` shards, a `window_ms` batching window, `seed`.
fn config(rps: f64, secs: u64, shards: usize, window_ms: u64, seed: u64) -> RunConfig {
    let mut c = RunConfig::constant(rps, Duration::from_secs(secs));
    c.local.shards = shards;
    c.local.esm.batching_window = Duration::from_millis(window_ms);
    c.seed = seed;
    c
}

async fn run(c: &RunConfig) -> RunResult {
    run_local(c, &mut Silent, Stop::never()).await.expect("run").result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_lands_exactly_once_even_with_retries_and_redeliveries() {
    let mut c = config(1500.0, 3, 2, 500, 11);
    c.generator.invalid_rate = 0.05;
    c.local.table_unprocessed_rate = 0.2;
    c.settle = Duration::from_secs(30);
    let r = run(&c).await;
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
    // Every stage of the way, in order: accepted, waiting for the invocation, written.
    let stages: Vec<Stage> = r.latency_ms.stages.iter().map(|s| s.stage).collect();
    assert_eq!(stages, [Stage::SendToAccepted, Stage::ArrivalToInvocation, Stage::InvocationToWritten]);
    let count = |stage| r.latency_ms.stages.iter().find(|s| s.stage == stage).unwrap().latency.count;
    assert_eq!(count(Stage::SendToAccepted), l.accepted);
    assert_eq!(count(Stage::ArrivalToInvocation), pl.delivered, "one per delivery");
    assert!(count(Stage::InvocationToWritten) >= pl.table_items, "one per write, redeliveries included");
    assert_eq!(r.shards.iter().map(|s| s.records).sum::<u64>(), l.accepted);
    // The chart and the verdict read the same iterator age: the drain is charted too.
    let charted = r.timeline.iter().map(|p| p.iterator_age_ms).fold(0.0, f64::max);
    assert_eq!(charted, pl.max_iterator_age_ms, "the timeline's largest iterator age is the run's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_per_second_needs_more_than_one_shard() {
    // The shards are what is measured: a table that has seen this load before (an
    // on-demand table takes double its previous peak), not a new one, whose 4,000 WCU/s
    // would bind too, by more or less as the machine's timing bunches the writes.
    let warm_table = TableMode::on_demand(10_000.0);
    let mut c = config(5000.0, 3, 1, 200, 3);
    c.local.table_mode = warm_table;
    c.driver.record_ttl = Duration::from_secs(5);
    let one = run(&c).await;
    assert!(one.ledger.throttled_events > 0, "1 shard must throttle 5,000 events/s");
    assert!(!one.verdict.holds);
    let shards = one.recommendation.shards.expect("shards fix a uniform load");
    assert!(shards >= 5, "recommended {shards}");
    assert!(one.ledger.balanced());

    let mut c = config(5000.0, 3, shards as usize, 200, 3);
    c.local.table_mode = warm_table;
    let enough = run(&c).await;
    assert_eq!(enough.ledger.throttled, 0, "{shards} shards must not throttle: {:?}", enough.ledger);
    assert_eq!(enough.recommendation.shards, Some(shards), "the same load gets the same answer");
    assert!(enough.verdict.holds, "{:?}", enough.verdict.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_hotter_than_a_shard_cannot_be_fixed_by_shards() {
    let mut c = config(3000.0, 2, 4, 200, 5);
    c.generator.popularity = Popularity::Hot { keys: 1, share: 0.5 };
    let r = run(&c).await;
    let key = r.recommendation.unfixable_key.as_ref().expect("1,500 records/s on one key");
    assert_eq!(key.key, r.hot_keys[0].key);
    assert!(r.verdict.findings.iter().any(|f| f.contains("no shard count fixes this")));
    assert!(r.ledger.throttled_events > 0, "the hot key's shard throttles");
}

/// The search finds the model's known capacity: 2 shards × 1,000 records/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_search_finds_the_modelled_capacity() {
    let mut c = config(600.0, 2, 2, 200, 13);
    c.generator.keys = KeyModel::explicit(2);
    let search =
        LimitSearch { start_rps: 600.0, trial: Duration::from_secs(2), precision: 0.02, ..LimitSearch::default() };
    let found = find_limit(&c, search, &mut |_| {}, Stop::never()).await.expect("search");
    let capacity = 2000.0;
    assert!(
        (found.limit_rps - capacity).abs() <= 0.05 * capacity,
        "found {:.0}/s, capacity {capacity}: {:?}",
        found.limit_rps,
        found.trials
    );
    assert!(found.trials.iter().any(|t| !t.held), "the search must have crossed the limit");
    assert!(!found.interrupted);
}

/// A stop request ends the load early; the ledger still balances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_request_ends_the_run_with_a_balanced_ledger() {
    let c = config(500.0, 30, 1, 200, 17);
    let (handle, stop) = loadgen_engine::stop_channel();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        handle.stop();
    });
    let r = run_local(&c, &mut Silent, stop).await.expect("run").result;
    assert!(r.interrupted);
    assert!(r.ledger.generated > 100 && r.ledger.generated < 10_000, "{:?}", r.ledger);
    assert!(r.ledger.balanced(), "{:?}", r.ledger);
    assert_eq!(r.verdict.state, VerdictState::Inconclusive, "a stopped run says nothing: {:?}", r.verdict);
    assert_eq!(r.verdict.bottleneck.map(|b| b.kind), Some(BottleneckKind::Producer));
}

/// `--rps 20000 --payload-bytes 1024 --user-popularity hot:1:0.1 --shards 25`: the key
/// sends about 2,000 records/s, more than a shard or a DynamoDB partition takes; shards
/// do not fix it, the rest needs 25.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_key_is_the_bottleneck_and_is_spread_not_sharded() {
    let mut c = config(20_000.0, 2, 25, 200, 23);
    c.generator.payload_bytes = Some(1024);
    c.generator.popularity = Popularity::Hot { keys: 1, share: 0.1 };
    c.driver.record_ttl = Duration::from_secs(3);
    let r = run(&c).await;
    assert_eq!(r.verdict.state, VerdictState::DoesNotHold, "{:?}", r.verdict.findings);
    assert_eq!(r.verdict.bottleneck.as_ref().map(|b| b.kind), Some(BottleneckKind::HotKey));
    let rec = &r.recommendation;
    assert_eq!(rec.shards, None, "no shard count fixes it");
    assert_eq!(rec.spread_keys.first(), Some(&r.hot_keys[0].key));
    let after = rec.shards_after_spreading.expect("what the rest needs");
    assert!((24..=26).contains(&after), "the rest needs about 25 shards, not {after}");
    assert!(r.verdict.headline.contains(&format!("the rest needs {after} shards")), "{}", r.verdict.headline);
}

/// Exactly 25 shards' worth of uniform users (20,000 records/s at 80%): 25 shards, by
/// records/s, and no extra shard for a hottest key that carries nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uniform_load_gets_its_shards_by_records() {
    let r = run(&config(20_000.0, 2, 25, 200, 29)).await;
    assert_eq!(r.recommendation.shards, Some(25), "{:?}", r.recommendation);
    assert_eq!(r.recommendation.binding, Binding::Records);
    assert_eq!(r.recommendation.by_hot_key, None);
    for s in &r.shards {
        assert!(s.peak_utilization <= 1.0 + 1e-9, "{} peaked at {:.0}%", s.shard_id, s.peak_utilization * 100.0);
    }
}

/// A rate this process cannot offer (a million events/s from a debug build, into a model
/// that takes all of it): nothing fails downstream, but the run says nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_that_cannot_be_offered_is_inconclusive() {
    // 50 ms of it: enough events to fall behind, few enough for the model to keep up.
    let mut c = RunConfig {
        driver: RunConfig::constant(1_000_000.0, Duration::from_millis(50)).driver,
        ..config(1.0, 1, 4, 0, 31)
    };
    c.local.write_quota.records_per_sec = 1e9;
    c.local.write_quota.bytes_per_sec = 1e12;
    c.local.esm.batch_size = 10_000;
    c.local.esm.parallelization = 10;
    c.local.table_write_latency = Duration::ZERO;
    // A table that takes every write: only the producer can fall short here.
    c.local.table_mode = TableMode::Provisioned { wcu: 1e12 };
    let r = run(&c).await;
    if r.rate.offered_rps >= 0.995 * r.rate.target_rps && r.rate.late_sends * 100 <= r.ledger.generated {
        panic!("this machine offered {:.0} of 1,000,000 events/s on time: raise the rate", r.rate.offered_rps);
    }
    assert_eq!(r.verdict.state, VerdictState::Inconclusive, "{:?}", r.verdict.findings);
    assert_eq!(r.verdict.bottleneck.map(|b| b.kind), Some(BottleneckKind::Producer));
    assert!(r.verdict.headline.starts_with("Inconclusive:"));
}

/// At a rate too low to fill a request within the linger, the driver sleeps the whole
/// linger between turns (the requests leave when they would anyway): that wait is its own
/// choice, so the events it hands over after it are not late sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_linger_at_a_low_rate_makes_no_late_sends() {
    let mut c = config(1000.0, 3, 1, 100, 37);
    c.driver.batch.linger = Duration::from_millis(40);
    let r = run(&c).await;
    let l = &r.ledger;
    assert_eq!(l.generated, 3000);
    assert!(l.balanced(), "{l:?}");
    // After the first second the driver wakes every 40 ms, four times the late threshold:
    // counted from the due times alone, two thirds of the events would be late. A few may
    // be, if this machine stalls the driver for more than 10 ms.
    assert!(r.rate.late_sends * 100 <= l.generated, "{} late sends of {}", r.rate.late_sends, l.generated);
}

/// At a rate that fills a request before the linger ends, the driver sleeps until the
/// event that completes it is due: the request leaves full, when it would have if the
/// driver had woken for every event, and no event is late for the wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_fills_within_the_linger_leaves_when_full() {
    // 10,000 events/s fill a request of 500 in 50 ms, within the 90 ms linger (and within
    // the driver's longest sleep, 100 ms).
    let mut c = config(10_000.0, 3, 16, 100, 41);
    c.driver.batch.linger = Duration::from_millis(90);
    let r = run(&c).await;
    let l = &r.ledger;
    assert_eq!(l.generated, 30_000);
    assert!(l.balanced(), "{l:?}");
    assert!(r.rate.late_sends * 100 <= l.generated, "{} late sends of {}", r.rate.late_sends, l.generated);
    // From its due time, an event waits up to 50 ms for its request to fill (25 ms at the
    // median). Sent at the linger's end instead, the wait would reach 90 ms (45 ms at the
    // median).
    let put = &r.latency_ms.put_corrected;
    assert!(put.p50 > 10.0 && put.p50 < 37.0, "put latency from due: {put:?}");
    assert!(put.p99 < 80.0, "put latency from due: {put:?}");
}

/// Items over DynamoDB's 400 KB are dead-lettered by the function: in the queue, not
/// lost, and the pipeline does not hold for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_lettered_valid_events_are_not_lost() {
    // Records of 480–720 KB: every item is over the limit.
    // Spread over 8 shards by explicit hash keys, so that no shard's 1 MiB/s throttles.
    let mut c = config(2.0, 2, 8, 200, 41);
    c.generator.payload_bytes = Some(600_000);
    c.generator.keys = KeyModel::explicit(8);
    let r = run(&c).await;
    let p = r.pipeline.as_ref().unwrap();
    assert!(r.ledger.accepted > 0, "{:?}", r.ledger);
    assert_eq!(p.table_items, 0, "nothing that large is stored");
    assert_eq!(p.valid_dead_lettered, r.ledger.accepted, "{p:?}");
    assert_eq!(p.lost, 0, "dead-lettered is not lost");
    assert_eq!(r.verdict.bottleneck.as_ref().map(|b| b.kind), Some(BottleneckKind::DynamodbTable));
}

/// A short load whose last events land in the drain: achieved counts the load window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_achieved_rate_is_over_the_load_window() {
    let r = run(&config(1.0, 3, 1, 200, 37)).await;
    assert_eq!(r.ledger.generated, 3);
    assert!((r.rate.load_s - 3.0).abs() < 0.1, "{}", r.rate.load_s);
    assert!(r.rate.achieved_rps <= 1.0 + 1e-9, "{} events/s over a 3 s window", r.rate.achieved_rps);
    assert!(r.rate.drain_s >= 0.0);
}

#[test]
fn invalid_configs_are_refused_before_anything_starts() {
    let mut c = RunConfig::default();
    c.local.esm.batch_size = 0;
    let e = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run_local(&c, &mut Silent, Stop::never()))
        .expect_err("batch size 0 cannot run");
    assert!(e.to_string().contains("--batch-size must be 1–10000"), "{e}");
}

/// One throttled shard: each second's utilisation is what the quota allowed in it, never
/// 200–300% from intervals that closed late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_shard_peaks_at_its_quota() {
    let mut c = config(3000.0, 3, 1, 200, 43);
    c.driver.record_ttl = Duration::from_secs(3);
    let r = run(&c).await;
    assert!(r.ledger.throttled > 0);
    let peak = r.shards[0].peak_utilization;
    assert!(peak <= 1.1, "peak second at {:.0}% of the quota", peak * 100.0);
    assert!(peak >= 0.9, "a throttled shard runs at its quota: {:.0}%", peak * 100.0);
}

/// One user with 60% of 2,000 events/s, partition keys spread over enough shards: the
/// stream takes it, the user's DynamoDB partition (1,000 WCU/s) does not. The function
/// retries, reports what is still unprocessed, the mapping redelivers; the ledger balances,
/// nothing is silently lost, and the bottleneck is that partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_user_throttles_its_dynamodb_partition() {
    let mut c = config(2000.0, 4, 4, 200, 41);
    c.generator.keys = KeyModel::Random;
    c.generator.popularity = Popularity::Hot { keys: 1, share: 0.6 };
    c.settle = Duration::from_secs(60);
    let r = run(&c).await;
    assert!(r.ledger.balanced(), "{:?}", r.ledger);
    assert_eq!(r.ledger.throttled, 0, "the stream takes it: {:?}", r.ledger);
    let p = r.pipeline.as_ref().unwrap();
    let t = p.table_capacity.as_ref().unwrap();
    assert!(t.throttled_partition > 0 && t.throttled_table == 0, "{t:?}");
    assert_eq!(t.hottest_key.as_deref(), Some("user-0000000"));
    assert!(t.hottest_key_wcu_per_sec > 1000.0, "{t:?}");
    assert!(t.peak_wcu_per_sec <= 4000.0);
    // Every accepted event is in the table, the DLQ, discarded by the mapping (counted),
    // or still in the stream.
    assert_eq!(p.table_items + p.dlq_messages + p.discarded + p.not_processed + p.lost, r.ledger.accepted);
    assert_eq!(p.lost, p.discarded, "lost means discarded after the mapping's retries, nothing else");
    if p.reported_for_retry > 0 {
        assert_eq!(
            r.verdict.bottleneck.as_ref().map(|b| b.kind),
            Some(BottleneckKind::DynamodbPartition),
            "{:?}",
            r.verdict
        );
        assert!(!r.verdict.holds);
    } else {
        assert!(r.verdict.findings.iter().any(|f| f.contains("retries absorbed them")), "{:?}", r.verdict.findings);
    }
}

/// Burst capacity lasts burst units ÷ the excess rate (`docs/aws-quotas.md`): 300 events/s
/// of one-unit items (300 WCU/s asked) into a provisioned table. At 100 WCU the burst is
/// 300 × 100 = 30,000 units, spent at 200 a second: 150 s, longer than the run. At 5 WCU
/// it is 1,500 units at 295 a second: about 5 s, then the table throttles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_table_bursts_then_throttles() {
    let mut c = config(300.0, 16, 1, 200, 43);
    // 100 WCU: a 16 s run sees no throttling...
    c.local.table_mode = TableMode::Provisioned { wcu: 100.0 };
    let r = run(&c).await;
    let t = r.pipeline.as_ref().unwrap().table_capacity.clone().unwrap();
    assert_eq!((t.throttled_table, t.burst_exhausted_at_s), (0, None), "{t:?}");
    // ...while 5 WCU (burst 1,500 units, 295 WCU/s above) runs out after about 5 s.
    c.local.table_mode = TableMode::Provisioned { wcu: 5.0 };
    c.settle = Duration::from_secs(10); // a table this small never catches up
    let r = run(&c).await;
    let t = r.pipeline.as_ref().unwrap().table_capacity.clone().unwrap();
    let at = t.burst_exhausted_at_s.expect("the burst runs out");
    assert!((3.0..12.0).contains(&at), "burst ran out at {at:.1} s: {t:?}");
    assert!(t.throttled_table > 0, "{t:?}");
    assert!(r.ledger.balanced());
}

/// A new on-demand stream takes 4,000 records/s as four shards: 3,000 events/s hold,
/// 6,000 throttle, and the headline says it is the on-demand stream's ceiling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_on_demand_stream_takes_four_shards_worth() {
    let mut c = config(3000.0, 2, 1, 200, 47);
    c.local.stream_mode = StreamMode::OnDemand { previous_peak_rps: 0.0 };
    c.local.table_mode = TableMode::Provisioned { wcu: 40_000.0 };
    let r = run(&c).await;
    assert_eq!((r.target.shards, r.target.mode.as_deref()), (4, Some("ON_DEMAND")));
    assert_eq!(r.ledger.throttled, 0, "{:?}", r.ledger);
    let mut c = config(6000.0, 2, 1, 200, 47);
    c.local.stream_mode = StreamMode::OnDemand { previous_peak_rps: 0.0 };
    c.local.table_mode = TableMode::Provisioned { wcu: 40_000.0 };
    let r = run(&c).await;
    assert!(r.ledger.throttled > 0 && r.ledger.balanced(), "{:?}", r.ledger);
    assert!(r.verdict.headline.contains("the on-demand stream (4 shards' worth at once)"), "{}", r.verdict.headline);
}

/// One shard offered 3,000 events/s for 6 s by each producer model, side by side. The
/// adaptive producer paces the shard at its quota: after its first second (its full
/// buckets' burst) at most 1% of put attempts throttled, at most 2% with it, and about
/// 1,000 records/s accepted; the KPL's fixed 150% buckets throttle a third of
/// their attempts; the naive producer hammers the shard (most attempts throttled, many
/// retries). Every model keeps the ledger exact, and the verdict tells a producer that
/// did not pace itself from a stream that is short even for one that does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_models_pace_a_throttled_shard_as_documented() {
    use loadgen_engine::load::producer::ProducerModel;
    let mut results = Vec::new();
    for model in [ProducerModel::Adaptive, ProducerModel::Kpl { rate_limit: 1.5 }, ProducerModel::Naive] {
        let mut c = config(3000.0, 6, 1, 200, 41);
        c.driver.producer.model = model;
        c.driver.record_ttl = Duration::from_secs(2);
        c.settle = Duration::from_secs(20);
        let r = run(&c).await;
        assert!(r.ledger.balanced(), "{}: {:?}", model.name(), r.ledger);
        assert_eq!(r.config.producer, model.name());
        results.push(r);
    }
    let throttle_share = |r: &RunResult| r.ledger.throttle_rate();
    let (adaptive, kpl, naive) = (&results[0], &results[1], &results[2]);
    // The adaptive buckets start full: the first second takes the quota and the burst
    // on top and throttles about 75 records (that is all of the run's throttling, on
    // Intel Xeon 0.90-1.05% of the 6 s run's attempts); from the second second on it
    // paces the shard without a throttle.
    let steady: (u64, f64) = adaptive
        .timeline
        .iter()
        .filter(|p| p.t > 1.5)
        .fold((0, 0.0), |(throttled, accepted), p| (throttled + p.throttled, accepted + p.achieved_rps));
    assert!(steady.0 as f64 <= 0.01 * (steady.1 + steady.0 as f64), "adaptive after its first second: {steady:?}");
    assert!(throttle_share(adaptive) <= 0.02, "adaptive: {:?}", adaptive.ledger);
    assert!((900.0..=1010.0).contains(&adaptive.rate.achieved_rps), "adaptive: {}", adaptive.rate.achieved_rps);
    assert!(throttle_share(kpl) > 0.1, "kpl at 150%: {:?}", kpl.ledger);
    assert!(throttle_share(naive) > 0.5, "naive: {:?}", naive.ledger);
    assert!(naive.ledger.retries > 10 * adaptive.ledger.retries.max(1));
    let p = adaptive.producer.as_ref().expect("a pacing model reports itself");
    assert_eq!(p.model, "adaptive");
    assert!(p.held_back > 0 && p.buffer_high_water > 0 && p.expired_waiting > 0, "{p:?}");
    assert_eq!(p.expired_waiting + p.buffer_full, adaptive.ledger.expired, "every expiry counted where it happened");
    assert!(naive.producer.is_none());
    assert_eq!(kpl.producer.as_ref().unwrap().rate_limit, Some(1.5));
    for r in &results {
        assert_eq!(r.verdict.state, VerdictState::DoesNotHold);
        assert_eq!(r.verdict.bottleneck.as_ref().unwrap().kind, BottleneckKind::StreamWriteQuota);
    }
    assert!(adaptive.verdict.headline.contains("paced per shard (adaptive producer)"), "{}", adaptive.verdict.headline);
    assert!(adaptive.verdict.findings.iter().any(|f| f.contains("short even for a producer that paces itself")));
    assert!(naive.verdict.findings.iter().any(|f| f.contains("The naive producer does not pace itself")));
}

/// A paced producer at 90% of a shard: throttles at the windows' edges (if any) are
/// retried and accepted; the pipeline holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_producer_within_the_quota_holds() {
    let r = run(&config(900.0, 4, 1, 200, 43)).await;
    assert_eq!(r.ledger.expired, 0, "{:?}", r.ledger);
    assert_eq!(r.verdict.state, VerdictState::Holds, "{:?}", r.verdict);
}

/// `--rps 5000 --shards 2 --aggregate`: KPL aggregates per shard keep each shard far under
/// its 1,000 records/s, nothing is throttled, the function de-aggregates every user
/// record into the table exactly once, and the recommendation sets the aggregated stream
/// beside the plain one (7 shards by records without aggregation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregated_records_carry_the_load_in_fewer_shards() {
    use loadgen_engine::load::aggregator::AggregationConfig;
    let mut c = config(5000.0, 4, 2, 200, 47);
    c.driver.aggregation = Some(AggregationConfig::default());
    c.generator.invalid_rate = 0.01;
    c.local.table_mode = TableMode::Provisioned { wcu: 1e12 };
    c.settle = Duration::from_secs(30);
    let r = run(&c).await;
    let l = &r.ledger;
    assert!(l.balanced(), "{l:?}");
    assert_eq!((l.generated, l.expired, l.throttled), (20_000, 0, 0), "{l:?}");
    let p = r.pipeline.as_ref().unwrap();
    assert!(p.drained);
    assert_eq!(p.table_items, l.accepted - l.invalid_accepted, "every valid user record stored once");
    assert_eq!(p.dlq_messages, l.invalid_accepted, "each invalid user record dead-lettered");
    assert_eq!(p.lost, 0);
    let a = r.aggregation.as_ref().expect("aggregation reported");
    assert_eq!(a.user_records, l.accepted);
    assert_eq!(a.kinesis_records, r.shards.iter().map(|s| s.records).sum::<u64>());
    assert!(a.ratio > 5.0, "{a:?}");
    for s in &r.shards {
        assert!(s.records as f64 / r.rate.load_s < 1000.0, "{}: {} records", s.shard_id, s.records);
    }
    let rec = r.recommendation.aggregation.as_ref().unwrap();
    assert_eq!(rec.plain_shards, 7, "5,000 records/s at 80% of 1,000");
    assert!(rec.aggregated_shards < rec.plain_shards && rec.aggregated_stream_cost_usd < rec.plain_stream_cost_usd);
    assert_eq!(r.recommendation.shards, Some(rec.aggregated_shards), "the run's own way decides");
    assert!(r.verdict.findings.iter().any(|f| f.starts_with("With KPL aggregation")), "{:?}", r.verdict.findings);
}

/// A load split over three workers (`--worker I/3`): together they offer exactly the
/// events one process would (Poisson arrivals: the same global schedule, every third
/// event each), each judged on its share; the merge is the whole load and refuses a
/// missing or a repeated worker, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_load_adds_up_to_the_whole_and_merges_only_whole() {
    use loadgen_engine::load::schedule::Arrivals;
    use loadgen_engine::load::split::WorkerSplit;
    use loadgen_engine::outcome::merge::merge;
    let base = || {
        let mut c = config(1500.0, 2, 2, 200, 53);
        c.driver.arrivals = Arrivals::Poisson;
        c
    };
    let alone = run(&base()).await;
    let mut workers = Vec::new();
    for index in 0..3 {
        let mut c = base();
        c.driver.worker = WorkerSplit { index, count: 3 };
        let r = run(&c).await;
        assert!((r.rate.target_rps - 500.0).abs() < 1e-6, "a worker's share: {}", r.rate.target_rps);
        let w = r.worker.as_ref().unwrap();
        assert_eq!((w.index, w.count), (index, 3));
        workers.push((format!("worker-{index}"), r));
    }
    let total: u64 = workers.iter().map(|(_, r)| r.ledger.generated).sum();
    assert_eq!(total, alone.ledger.generated, "the workers offer exactly the one process's events");
    let ids: std::collections::HashSet<&str> =
        workers.iter().map(|(_, r)| r.worker.as_ref().unwrap().load_id.as_str()).collect();
    assert_eq!(ids.len(), 1, "one load id");
    let (merged, _) = merge(workers.clone()).expect("the three workers merge");
    assert_eq!(merged.ledger.generated, alone.ledger.generated);
    assert!((merged.rate.target_rps - 1500.0).abs() < 1e-6);
    assert!(merged.config.profile.ends_with("split over 3 workers"), "{}", merged.config.profile);
    let e = merge(workers[..2].to_vec()).unwrap_err().to_string();
    assert!(e.contains("worker 2/3 of load") && e.contains("is missing"), "{e}");
    let mut twice = workers.clone();
    // Worker 1 run again (another start): its index is taken twice, worker 2 absent.
    let mut again = workers[1].1.clone();
    again.started_at = "2026-12-01T00:00:00Z".into();
    twice[2] = (String::from("worker-2-again"), again);
    let e = merge(twice).unwrap_err().to_string();
    assert!(e.contains("worker 1/3 appears twice (worker-1 and worker-2-again)"), "{e}");
}
