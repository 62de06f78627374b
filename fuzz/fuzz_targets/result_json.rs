//! `loadgen report` on an arbitrary result.json: the loader, the merge of the run with
//! itself under another name and every report format answer or refuse, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgen_engine::outcome::result;
use loadgen_report::{render_all, Format, Report};

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    let Ok(run) = result::parse(text, "fuzz.json") else { return };
    if let Ok(report) = Report::merged(vec![("fuzz.json".into(), run)]) {
        let _ = render_all(&report, &Format::ALL);
    }
});
