//! `loadgen plan`: the capacity plan as Markdown (or JSON) on stdout.

use std::io::Write;

use loadgen_engine::capacity::plan::plan as make_plan;
use loadgen_engine::outcome::result;

use super::usage;
use crate::args::{PlanArgs, UsageError};
use crate::exit::{print_error, Exit};

/// Plans from the options and the measured runs they name.
pub fn plan(args: &PlanArgs) -> Exit {
    let runs = match args.from.iter().map(|path| result::load(path)).collect::<Result<Vec<_>, _>>() {
        Ok(runs) => runs,
        Err(e) => return usage(&UsageError::new(e.to_string())),
    };
    let input = match args.request().input(&runs) {
        Ok(input) => input,
        Err(e) => return usage(&e.into()),
    };
    let prices = match args.prices() {
        Ok(prices) => prices,
        Err(e) => return usage(&e),
    };
    let plan = make_plan(&input, &prices);
    let text = if args.json {
        match serde_json::to_string_pretty(&plan) {
            Ok(json) => json,
            Err(e) => {
                print_error(&e);
                return Exit::Runtime;
            }
        }
    } else {
        loadgen_report::plan::render(&plan)
    };
    let _ = writeln!(std::io::stdout(), "{text}");
    Exit::Ok
}
