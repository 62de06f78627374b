//! The verdict: did the pipeline hold the load, and the findings that say why, one
//! sentence each.

use crate::aws::verify::VerifyResult;
use crate::capacity::shards::ShardPlan;
use crate::config::RunConfig;
use crate::measure::Ledger;
use crate::outcome::result::{Pipeline, ShardResult, Verdict};

/// What the verdict is judged on.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// What was run.
    pub config: &'a RunConfig,
    /// Where every event ended.
    pub ledger: &'a Ledger,
    /// Per-shard load.
    pub shards: &'a [ShardResult],
    /// The shard recommendation for the load.
    pub recommendation: &'a ShardPlan,
    /// The local pipeline's counts, when it was the target.
    pub pipeline: Option<&'a Pipeline>,
    /// What verification found against a deployed pipeline.
    pub verify: Option<&'a VerifyResult>,
    /// Whether the run was stopped early.
    pub interrupted: bool,
}

/// Judges a run from its evidence.
pub fn judge(e: &Evidence<'_>) -> Verdict {
    let Evidence { config, ledger, shards, recommendation: rec, pipeline, verify, interrupted } = *e;
    let mut findings = Vec::new();
    let used = shards.len() as u64;
    let throttled = ledger.throttled_events > 0;
    if throttled {
        let busiest = shards.iter().max_by_key(|s| s.throttled).map(|s| s.shard_id.clone()).unwrap_or_default();
        findings.push(format!(
            "The stream throttled {:.1}% of put attempts ({} events at least once; most on {busiest}): {} shard{} cannot take {:.0} events/s.",
            ledger.throttle_rate() * 100.0,
            ledger.throttled_events,
            used,
            if used == 1 { "" } else { "s" },
            config.driver.profile.peak_rps(),
        ));
    } else {
        findings.push(format!("No throttling: {used} shard{} took the load.", if used == 1 { "" } else { "s" }));
    }
    if ledger.expired > 0 {
        findings.push(format!(
            "{} events expired before the stream accepted them (after retries for up to {}).",
            ledger.expired,
            humantime::format_duration(config.driver.record_ttl)
        ));
    }
    if let Some(k) = &rec.unfixable_key {
        findings.push(format!(
            "Partition key '{}' alone sends {:.0} records/s ({:.0} KiB/s), over one shard's 1,000 records/s or 1 MiB/s: no shard count fixes this. Spread that key (add a suffix, or use explicit hash keys).",
            k.key,
            k.records_per_sec,
            k.bytes_per_sec / 1024.0
        ));
    }
    let mut pipeline_ok = true;
    match pipeline {
        None => match verify {
            None => findings.push(
                "End-to-end figures were not measured: name the table (--table) and the queue (--dlq-url) to verify the pipeline.".into(),
            ),
            Some(v) => {
                if v.sampled > 0 {
                    findings.push(format!(
                        "{} of {} sampled events reached the table{}.",
                        v.found,
                        v.sampled,
                        if v.missing > 0 { format!("; {} are missing after --settle", v.missing) } else { String::new() }
                    ));
                }
                if let Some(d) = v.dlq_messages {
                    findings.push(format!(
                        "The dead-letter queue gained {d} messages for {} invalid events accepted.",
                        ledger.invalid_accepted
                    ));
                    pipeline_ok &= d == ledger.invalid_accepted;
                }
                pipeline_ok &= v.missing == 0;
            }
        },
        Some(pipeline) => {
            let window_ms = config.local.esm.batching_window.as_secs_f64() * 1000.0;
            let behind = pipeline.max_iterator_age_ms > window_ms + 5_000.0;
            if behind {
                findings.push(format!(
                "The consumer fell behind: iterator age reached {:.1} s (batching window {:.0} s); raise the parallelization factor, the batch size or the shard count.",
                pipeline.max_iterator_age_ms / 1000.0,
                window_ms / 1000.0
            ));
            } else if pipeline.invocations > 0 {
                findings.push(format!(
                "The consumer kept up: iterator age at most {:.1} s (batching window {:.0} s), {:.0} records per invocation.",
                pipeline.max_iterator_age_ms / 1000.0,
                window_ms / 1000.0,
                pipeline.mean_batch_size
            ));
            }
            if pipeline.lost > 0 || pipeline.discarded > 0 {
                findings.push(format!(
                "{} accepted events never reached the table or the DLQ ({} discarded by the event source mapping after retries).",
                pipeline.lost, pipeline.discarded
            ));
            }
            if !pipeline.drained {
                findings.push(
                    "The pipeline had not finished processing when --settle ran out; table counts are partial.".into(),
                );
            }
            if ledger.invalid_accepted != pipeline.dlq_messages {
                findings.push(format!(
                    "DLQ holds {} messages for {} invalid events accepted.",
                    pipeline.dlq_messages, ledger.invalid_accepted
                ));
            }
            pipeline_ok = !behind && pipeline.lost == 0 && pipeline.discarded == 0 && pipeline.drained;
        }
    }
    findings.push(format!(
        "This load needs {} shard{} at ≤{:.0}% utilisation (by records/s: {}, by bytes/s: {}{}; bound: {}).",
        rec.shards,
        if rec.shards == 1 { "" } else { "s" },
        rec.target_utilization * 100.0,
        rec.by_records,
        rec.by_bytes,
        rec.by_hot_key.map(|h| format!(", by hottest key: {h}")).unwrap_or_default(),
        rec.binding
    ));
    if interrupted {
        findings.push("The run was interrupted: figures cover the part that ran.".into());
    }
    let holds = !throttled && ledger.expired == 0 && pipeline_ok && rec.unfixable_key.is_none();
    Verdict { holds, findings, unfixable_key: rec.unfixable_key.clone() }
}
