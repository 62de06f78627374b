//! Properties of the one answer over crafted results: every rendering names the shard
//! count the recommendation holds and no other, and a load that was not offered in full
//! never "holds".

use loadgen_engine::outcome::assemble::{conclude, shard_plan};
use loadgen_engine::outcome::fixture::sample_result;
use loadgen_engine::outcome::result::{HotKeyResult, VerdictState};
use loadgen_engine::RunResult;
use loadgen_report::{Format, Report};
use proptest::prelude::*;

/// Every whole number written right after `needs ` and before ` shard` in `text`.
fn shard_counts_after_needs(text: &str) -> Vec<u64> {
    text.match_indices("needs ")
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let after = &rest[digits.len()..];
            (!digits.is_empty() && after.starts_with(" shard")).then(|| digits.parse().unwrap())
        })
        .collect()
}

fn crafted(rps: f64, offered_share: f64, throttled: u64, hot_share: f64, age_s: f64) -> RunResult {
    let mut r = sample_result();
    r.rate.target_rps = rps;
    r.rate.peak_target_rps = rps;
    r.rate.offered_rps = rps * offered_share;
    r.rate.late_sends = 0;
    r.ledger.throttled = throttled;
    r.ledger.throttled_events = throttled;
    r.hot_keys = vec![HotKeyResult {
        key: "user-0000001".into(),
        events: (hot_share * 2000.0) as u64,
        share: hot_share,
        peak_rps: hot_share * rps,
    }];
    r.pipeline.as_mut().unwrap().max_iterator_age_ms = age_s * 1000.0;
    let plan = shard_plan(rps, r.rate.mean_record_bytes, &r.hot_keys, 0.8);
    conclude(&mut r, &plan);
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn renderings_agree_with_the_recommendation(
        rps in 10.0f64..60_000.0,
        offered in 0.9f64..1.0,
        throttled in prop_oneof![Just(0u64), 1u64..10_000],
        hot in 0.0f64..0.5,
        age in 0.0f64..30.0,
    ) {
        let r = crafted(rps, offered, throttled, hot, age);
        let planned = r.recommendation.planned_shards();
        let report = Report::of(r.clone(), "crafted").unwrap();
        for format in [Format::Text, Format::Md, Format::Html] {
            let text = String::from_utf8(format.exporter().render(&report).unwrap()).unwrap();
            let counts = shard_counts_after_needs(&text);
            prop_assert!(!counts.is_empty(), "{:?} states what the load needs", format);
            for n in counts {
                prop_assert_eq!(n, planned, "{:?} names {} shards, the recommendation {}", format, n, planned);
            }
        }
        if r.rate.offered_rps < 0.995 * r.rate.target_rps {
            prop_assert_ne!(r.verdict.state, VerdictState::Holds, "{}", r.verdict.headline);
        }
        prop_assert_eq!(r.verdict.holds, r.verdict.state == VerdictState::Holds);
        if r.recommendation.shards.is_none() {
            prop_assert!(!r.recommendation.spread_keys.is_empty());
        }
    }
}

#[test]
fn the_needs_scanner_reads_counts() {
    assert_eq!(shard_counts_after_needs("it needs 7 shards; the rest needs 25 shards, needs more"), [7, 25]);
}
