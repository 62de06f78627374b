//! `loadgen plan`'s Markdown: the plan's tables ([`crate::tables::plan_tables`], the same
//! ones every report shows) under a heading.

use loadgen_engine::capacity::plan::Plan;

use crate::markdown::table;
use crate::tables::plan_tables;

/// The plan as Markdown.
pub fn render(p: &Plan) -> String {
    let mut s = String::from("# Capacity plan\n\n");
    for t in plan_tables(p) {
        table(&mut s, &t);
    }
    s
}

#[cfg(test)]
mod tests {
    use loadgen_engine::capacity::plan::{plan, PlanInput};
    use loadgen_engine::capacity::prices::Prices;

    use super::*;

    #[test]
    fn the_plan_reads_the_same_as_in_a_report() {
        let p = plan(&PlanInput { peak_rps: 5000.0, mean_rps: 5000.0, ..PlanInput::default() }, &Prices::default());
        let md = render(&p);
        assert!(md.starts_with("# Capacity plan\n\n## Capacity plan for this load\n"), "{md}");
        assert!(md.contains("| Kinesis | 7 shards: by records/s 7"), "{md}");
        assert!(md.contains("| cheapest total |"), "{md}");
        let report = crate::sample_report();
        let in_report =
            String::from_utf8(crate::Exporter::render(&crate::markdown::Markdown, &report).unwrap()).unwrap();
        let plan_in_report = report.plan.as_ref().map(render).unwrap();
        let section = plan_in_report.trim_start_matches("# Capacity plan\n\n");
        assert!(in_report.contains(section), "the report embeds the plan's own tables");
    }
}
