//! The terminal's text: the line before the load starts ([`header`]) and the final
//! summary ([`render`], also the `summary.txt` a run writes, through [`Summary`]).

use std::fmt::Write;

use loadgen_engine::measure::Percentiles;
use loadgen_engine::{RunConfig, RunResult};

use crate::{Exporter, Report, ReportError};

/// `summary.txt`: the summary a run prints.
#[derive(Debug, Clone, Copy)]
pub struct Summary;

impl Exporter for Summary {
    fn file_name(&self) -> &'static str {
        "summary.txt"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>, ReportError> {
        Ok(render(&report.result).into_bytes())
    }
}

/// The line printed before the load starts.
pub fn header(config: &RunConfig) -> String {
    let peak = config.driver.profile.peak_rps();
    let duration = humantime::format_duration(config.driver.duration);
    if let Some(t) = &config.target {
        return format!(
            "loadgen: {peak:.0} events/s peak for {duration} into Kinesis stream '{}'; seed {}",
            t.stream, config.seed
        );
    }
    let esm = &config.local.esm;
    let shards = config.local.shards;
    format!(
        "loadgen: {peak:.0} events/s peak for {duration} into the embedded local pipeline ({shards} shard{}, batch size {}, batching window {}, parallelization {}); seed {}",
        if shards == 1 { "" } else { "s" },
        esm.batch_size,
        humantime::format_duration(esm.batching_window),
        esm.parallelization,
        config.seed
    )
}

fn percentiles_row(name: &str, p: &Percentiles) -> String {
    format!(
        "  {name:<22} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10}",
        p.p50, p.p90, p.p99, p.p999, p.max, p.count
    )
}

/// The final summary.
pub fn render(r: &RunResult) -> String {
    let mut s = String::new();
    let l = &r.ledger;
    let _ = writeln!(s, "\n== loadgen result ({}) ==", r.tool);
    let _ = writeln!(
        s,
        "target {:.0} events/s ({}), achieved {:.1} events/s over {:.1} s; {} late sends",
        r.rate.target_rps, r.config.profile, r.rate.achieved_rps, r.duration_s, r.rate.late_sends
    );
    let _ = writeln!(s, "\nLedger");
    let _ = writeln!(s, "  generated   {:>12}   (invalid by design: {})", l.generated, l.invalid_injected);
    let _ = writeln!(s, "  accepted    {:>12}   (after retries: {})", l.accepted, l.accepted_after_retry);
    let _ = writeln!(s, "  expired     {:>12}", l.expired);
    let _ = writeln!(s, "  rejected    {:>12}", l.rejected);
    let _ = writeln!(
        s,
        "  throttled   {:>12}   answers ({} events at least once, {:.2}% of attempts); {} retries",
        l.throttled,
        l.throttled_events,
        l.throttle_rate() * 100.0,
        l.retries
    );
    let _ = writeln!(
        s,
        "  balanced: {}",
        if l.balanced() { "yes (generated = accepted + expired + rejected)" } else { "NO — report this as a bug" }
    );
    let _ = writeln!(s, "\nLatency (ms)                  p50        p90        p99      p99.9        max      count");
    let lat = &r.latency_ms;
    let _ = writeln!(s, "{}", percentiles_row("put, from intended", &lat.put_corrected));
    let _ = writeln!(s, "{}", percentiles_row("put, from actual send", &lat.put_uncorrected));
    let _ = writeln!(s, "{}", percentiles_row("PutRecords call", &lat.service_time));
    match &lat.end_to_end {
        Some(e) => {
            let _ = writeln!(s, "{}", percentiles_row("end to end", e));
        }
        None => {
            let _ = writeln!(s, "  end to end             not measured (no event reached the table)");
        }
    }
    let _ = writeln!(s, "\nShards          records        bytes    throttled   utilisation (mean / peak second)");
    for sh in &r.shards {
        let _ = writeln!(
            s,
            "  {} {:>10} {:>12} {:>12}   {:>5.0}% / {:>5.0}%",
            sh.shard_id,
            sh.records,
            sh.bytes,
            sh.throttled,
            sh.utilization * 100.0,
            sh.peak_utilization * 100.0
        );
    }
    if let Some(p) = &r.pipeline {
        let _ = writeln!(s, "\nPipeline");
        let _ = writeln!(
            s,
            "  {} invocations, {:.0} records each on average, invocation p99 {:.1} ms; max iterator age {:.1} s",
            p.invocations,
            p.mean_batch_size,
            p.invocation_ms.p99,
            p.max_iterator_age_ms / 1000.0
        );
        let _ = writeln!(
            s,
            "  table items {} (accepted valid events {}), DLQ messages {} (invalid accepted {}), lost {}, discarded {}",
            p.table_items,
            l.accepted - l.invalid_accepted,
            p.dlq_messages,
            l.invalid_accepted,
            p.lost,
            p.discarded
        );
    }
    if let Some(v) = &r.verify {
        let _ = writeln!(s, "\nEnd-to-end verification");
        let _ = writeln!(s, "  sampled {}, found {}, missing {}", v.sampled, v.found, v.missing);
        if let Some(d) = v.dlq_messages {
            let _ = writeln!(s, "  dead-letter queue gained {d} (invalid accepted {})", l.invalid_accepted);
        }
    }
    // Only keys that carry real load are worth a line (uniform users never do).
    if r.hot_keys.first().is_some_and(|k| k.peak_rps >= 10.0) {
        let _ = writeln!(s, "\nHottest partition keys");
        for k in r.hot_keys.iter().take(3) {
            let _ = writeln!(
                s,
                "  {:<20} {:>6.2}% of events, {:>8.0} records/s at peak",
                k.key,
                k.share * 100.0,
                k.peak_rps
            );
        }
    }
    let _ = writeln!(s, "\nVerdict: {}", if r.verdict.holds { "HOLDS" } else { "DOES NOT HOLD" });
    for f in &r.verdict.findings {
        let _ = writeln!(s, "  - {f}");
    }
    if !r.thresholds.is_empty() {
        let _ = writeln!(s, "\nThresholds");
        for t in &r.thresholds {
            let _ = writeln!(
                s,
                "  {:<20} limit {:>12.4}  measured {:>12.4}  {}",
                t.name,
                t.limit,
                t.value,
                if t.passed { "pass" } else { "FAIL" }
            );
        }
    }
    s
}
