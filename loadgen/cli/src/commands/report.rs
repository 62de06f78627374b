//! `loadgen report`: files (or Markdown on stdout), then the comparison's verdict.

use std::io::Write;

use loadgen_report::{render_all, Format, ReportError};

use super::usage;
use crate::args::ReportArgs;
use crate::exit::{print_error, Exit};
use crate::files::{self, write_all};

/// Renders, merges and compares the runs the options name.
pub fn report(args: &ReportArgs) -> Exit {
    let out = match args.out_dir() {
        Ok(out) => out,
        Err(e) => return usage(&e),
    };
    let failed = |e: ReportError| {
        print_error(&e);
        if e.is_bad_input() {
            Exit::Usage
        } else {
            Exit::Runtime
        }
    };
    let report = match loadgen_report::load(&args.runs, args.baseline.as_deref(), &args.max_regression) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let mut stdout = std::io::stdout().lock();
    if args.stdout {
        match Format::Md.exporter().render(&report) {
            Ok(md) => {
                let _ = stdout.write_all(&md);
            }
            Err(e) => return failed(e),
        }
    } else {
        let mut rendered = match render_all(&report, &args.formats()) {
            Ok(files) => files,
            Err(e) => return failed(e),
        };
        if args.write_result {
            match files::json(&report.result) {
                Ok(json) => rendered.push(("result.json", json.into_bytes())),
                Err(e) => {
                    print_error(&e);
                    return Exit::Runtime;
                }
            }
        }
        match write_all(&out, &rendered) {
            Ok(written) => {
                for f in written {
                    let _ = writeln!(stdout, "wrote {}", f.display());
                }
            }
            Err(e) => {
                print_error(&e);
                return Exit::Runtime;
            }
        }
    }
    if let Some(cmp) = &report.comparison {
        let regressed: Vec<_> = cmp.regressions().collect();
        for d in &regressed {
            eprintln!(
                "regression: {} went from {} to {} ({}), past the allowed {}",
                d.what,
                loadgen_report::tables::figure(d.baseline),
                loadgen_report::tables::figure(d.current),
                loadgen_report::tables::change_text(d),
                d.limit.as_ref().map(loadgen_report::tables::limit_text).unwrap_or_default()
            );
        }
        if !regressed.is_empty() {
            return Exit::Thresholds;
        }
    }
    Exit::Ok
}
