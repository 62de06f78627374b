//! The capacity plan as Markdown: what `loadgen plan` prints.

use std::fmt::Write;

use loadgen_engine::capacity::plan::Plan;

/// The plan as Markdown.
pub fn render(p: &Plan) -> String {
    let i = &p.input;
    let mut s = String::new();
    let _ = writeln!(s, "# Capacity plan\n");
    let _ = writeln!(
        s,
        "Load: {:.0} events/s at peak, {:.0} on average; {:.0}-byte records, {:.0}-byte keys{}.\n",
        i.peak_rps,
        i.mean_rps,
        i.record_bytes,
        i.key_bytes,
        i.hottest_key_share.map(|h| format!("; hottest key {:.2}% of events", h * 100.0)).unwrap_or_default()
    );
    let _ = writeln!(s, "## Kinesis: {} shards\n", p.shards.shards);
    let _ = writeln!(
        s,
        "- by records/s: {}, by bytes/s: {}{}, by the read side ({} consumer{}): {} — at ≤{:.0}% of each shard's quota (binding: {})",
        p.shards.by_records,
        p.shards.by_bytes,
        p.shards.by_hot_key.map(|h| format!(", by the hottest key: {h}")).unwrap_or_default(),
        i.consumers,
        if i.consumers == 1 { "" } else { "s" },
        p.read_shards,
        p.shards.target_utilization * 100.0,
        p.shards.binding
    );
    let _ = writeln!(s, "- enhanced fan-out: {}", if p.enhanced_fan_out { "recommended" } else { "not needed" });
    let _ = writeln!(s, "\n## Lambda: concurrency {}\n", p.lambda.concurrency);
    let l = &p.lambda;
    let _ = writeln!(
        s,
        "- {:.0} records/s per lane → batches of {:.0} (batch size {}, window {}), records wait {:.0} ms for their batch on average",
        l.lane_rps,
        l.batch_size,
        i.batch_size,
        humantime::format_duration(i.batching_window),
        l.batching_delay_ms
    );
    let _ = writeln!(
        s,
        "- invocation ≈ {:.1} ms, lanes {:.0}% busy; {:.2e} invocations and {:.0} GB-s a month at {} MB",
        l.invocation_ms,
        l.lane_utilization * 100.0,
        l.invocations_per_month,
        l.gb_seconds_per_month,
        i.memory_mb
    );
    let d = &p.dynamodb;
    let _ = writeln!(s, "\n## DynamoDB: {:.0} WCU/s at peak\n", d.peak_wcu);
    let _ = writeln!(
        s,
        "- {:.0} WCU per event ({:.0}-byte items); {:.1} GB stored with a {:.0}-day TTL{}",
        d.wcu_per_event,
        i.item_bytes,
        d.storage_gb,
        i.ttl_days,
        d.hottest_key_wcu.map(|h| format!("; hottest user {h:.0} WCU/s on one partition")).unwrap_or_default()
    );
    let _ = writeln!(s, "\n## Cost per month ({})\n", p.prices.source);
    let _ = writeln!(s, "| item | option 1 | option 2 |\n|---|---:|---:|");
    let k = &p.kinesis;
    let _ = writeln!(
        s,
        "| Kinesis | provisioned ${:.2} ({} shards ${:.2} + PUT units ${:.2}) | on-demand ${:.2} |",
        k.provisioned_shards + k.provisioned_put_units,
        p.shards.shards,
        k.provisioned_shards,
        k.provisioned_put_units,
        k.on_demand
    );
    let _ = writeln!(s, "| Lambda | arm64 ${:.2} | x86_64 ${:.2} |", l.cost_arm64, l.cost_x86_64);
    let _ = writeln!(s, "| DynamoDB | provisioned ${:.2} | on-demand ${:.2} |", d.cost_provisioned, d.cost_on_demand);
    let _ = writeln!(
        s,
        "\n**Cheapest total: ${:.2} a month, ${:.4} per million events** (cheaper stream mode, arm64, cheaper table mode).",
        p.total_per_month, p.per_million_events
    );
    if !p.warnings.is_empty() {
        let _ = writeln!(s, "\n## Warnings\n");
        for w in &p.warnings {
            let _ = writeln!(s, "- {w}");
        }
    }
    s
}
