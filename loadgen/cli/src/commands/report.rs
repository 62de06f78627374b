//! `loadgen report`: files (or Markdown on stdout), then the comparison's verdict.

use std::io::Write;

use loadgen_report::{render_all, Format, ReportError};

use super::usage;
use loadgen_engine::aws::results::{ResultsBucket, S3Location};
use loadgen_engine::sink::kinesis::KinesisTarget;

use crate::args::{ReportArgs, UsageError};
use crate::exit::{print_error, Exit};
use crate::files::{self, write_all};

/// Renders, merges and compares the runs the options name. `s3://bucket/prefix/` as the
/// one run reads every worker's `result.json` under the prefix; `--out s3://…` (the
/// default for such a run: `prefix/merged/`) uploads what is written.
pub async fn report(args: &ReportArgs) -> Exit {
    let s3 = |p: &std::path::Path| p.to_str().and_then(S3Location::parse);
    let target = KinesisTarget::default();
    let mut args = args.clone();
    let mut upload_to = None;
    if let [one] = args.runs.as_slice() {
        match s3(one) {
            Some(Err(e)) => return usage(&UsageError::new(e)),
            Some(Ok(location)) => {
                let bucket = ResultsBucket::new(&target, location.clone()).await;
                let found = match bucket.folder_results().await {
                    Ok(found) => found,
                    Err(e) => {
                        print_error(&e);
                        return Exit::Runtime;
                    }
                };
                if found.is_empty() {
                    eprintln!(
                        "error: no result.json under {} (one folder deep, as each worker writes them)",
                        location.url()
                    );
                    return Exit::Usage;
                }
                // The workers of one load, each once, all there (even when only one is).
                let mut parsed = Vec::new();
                for (folder, bytes) in &found {
                    let label = location.child(folder).url();
                    match loadgen_engine::outcome::result::parse(&String::from_utf8_lossy(bytes), &label) {
                        Ok(r) => parsed.push((label, r)),
                        Err(e) => {
                            print_error(&e);
                            return Exit::Usage;
                        }
                    }
                }
                if let Err(e) = loadgen_engine::outcome::merge::check_workers(&parsed) {
                    print_error(&e);
                    return Exit::Usage;
                }
                let staging = files::staging_dir("report");
                let mut runs = Vec::new();
                for (folder, bytes) in &found {
                    let dir = staging.join(folder);
                    if let Err(e) = write_all(&dir, &[("result.json", bytes)]) {
                        print_error(&e);
                        return Exit::Runtime;
                    }
                    runs.push(dir);
                }
                args.runs = runs;
                if args.out.is_none() {
                    args.out = Some(std::path::PathBuf::from(location.child("merged").url()));
                }
            }
            None => {}
        }
    }
    if let Some(out) = args.out.clone() {
        match s3(&out) {
            Some(Err(e)) => return usage(&UsageError::new(format!("--out: {e}"))),
            Some(Ok(location)) => {
                upload_to = Some(ResultsBucket::new(&target, location).await);
                args.out = Some(files::staging_dir("merged"));
            }
            None => {}
        }
    }
    let args = &args;
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
            Ok(written) if upload_to.is_none() => {
                for f in written {
                    let _ = writeln!(stdout, "wrote {}", f.display());
                }
            }
            Ok(_) => {}
            Err(e) => {
                print_error(&e);
                return Exit::Runtime;
            }
        }
        if let Some(bucket) = &upload_to {
            if let Err(exit) = files::upload(bucket, &out).await {
                return exit;
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
