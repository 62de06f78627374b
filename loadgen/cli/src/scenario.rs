//! Scenario files: `loadgen --scenario FILE.toml` (also `loadgen run --scenario …`). A
//! scenario is a TOML table whose keys are `run`'s long options without the dashes, with
//! the same names and values (`rps = "20k"`, `duration = "10m"`, `shards = 7`,
//! `max-p99 = "250ms"`; `true` for a switch; an array for an option given more than
//! once). It is read before the command line is parsed and its options are placed ahead
//! of the command line's, so a flag given on the command line wins. A key that is not an
//! option of `run` is refused with its name. `result.json` records the file and its text
//! (`config.scenario`). `scenarios/` holds real cases.

use std::ffi::OsString;

use clap::error::ErrorKind;

/// The option that names the scenario file.
pub const OPTION: &str = "--scenario";

/// `args` with the scenario's options inserted ahead of the command line's own (after
/// the program name, and after `run` when it is given). `run_options` are the long
/// names `run` takes.
pub fn expand(args: Vec<OsString>, run_options: &[String]) -> Result<Vec<OsString>, clap::Error> {
    let Some((file, _)) = scenario_path(&args) else { return Ok(args) };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        usage(format!(
            "{OPTION} {file}: cannot read it ({e}); give the path of a TOML file like scenarios/ci-gate.toml"
        ))
    })?;
    let options = options(&file, &text, run_options)?;
    let at = match args.get(1).and_then(|a| a.to_str()) {
        Some("run") => 2,
        _ => 1,
    };
    let mut out: Vec<OsString> = args[..at.min(args.len())].to_vec();
    out.extend(options.into_iter().map(OsString::from));
    out.extend(args[at.min(args.len())..].iter().cloned());
    Ok(out)
}

/// The scenario file named on the command line, and the index of its value.
pub fn scenario_path(args: &[OsString]) -> Option<(String, usize)> {
    args.iter().enumerate().find_map(|(i, a)| {
        let a = a.to_str()?;
        if a == OPTION {
            args.get(i + 1).and_then(|v| v.to_str()).map(|v| (v.to_string(), i + 1))
        } else {
            a.strip_prefix("--scenario=").map(|v| (v.to_string(), i))
        }
    })
}

/// The scenario's options as command-line words (in key order: each option once, so the
/// order does not matter; an array's items keep theirs).
fn options(file: &str, text: &str, run_options: &[String]) -> Result<Vec<String>, clap::Error> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        usage(format!("{OPTION} {file}: not a TOML table of options: {}", e.message()))
    })?;
    let mut out = Vec::new();
    for (key, value) in &table {
        if key == "scenario" {
            return Err(usage(format!("{OPTION} {file}: a scenario cannot name another scenario")));
        }
        if !run_options.iter().any(|o| o == key) {
            let close: Vec<&String> = run_options.iter().filter(|o| similar(o, key)).take(3).collect();
            let hint = if close.is_empty() {
                "keys are the options of `loadgen run --help` without the dashes, like rps, duration, shards"
                    .to_string()
            } else {
                format!("did you mean {}?", close.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
            };
            return Err(usage(format!("{OPTION} {file}: unknown key '{key}': {hint}")));
        }
        let values: Vec<&toml::Value> = match value {
            toml::Value::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        for v in values {
            match v {
                toml::Value::Boolean(true) => out.push(format!("--{key}")),
                toml::Value::Boolean(false) => {}
                toml::Value::String(s) => out.push(format!("--{key}={s}")),
                toml::Value::Integer(n) => out.push(format!("--{key}={n}")),
                toml::Value::Float(x) => out.push(format!("--{key}={x}")),
                other => {
                    return Err(usage(format!(
                        "{OPTION} {file}: '{key}' is a {}; give a string, a number, true or an array of them",
                        other.type_str()
                    )))
                }
            }
        }
    }
    Ok(out)
}

/// Whether `a` and `b` are one edit or a shared stem apart (for "did you mean").
fn similar(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    if a.starts_with(&b) || b.starts_with(&a) {
        return a.len().min(b.len()) >= 3;
    }
    // Levenshtein distance ≤ 2.
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

fn usage(message: String) -> clap::Error {
    clap::Error::raw(ErrorKind::ValueValidation, format!("{message}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["rps", "duration", "shards", "max-p99", "quiet", "user-popularity"].map(String::from).to_vec()
    }

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_come_before_the_command_lines_own() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(&f, "rps = \"20k\"\nduration = \"1m\"\nshards = 7\nquiet = true\nmax-p99 = \"250ms\"\n")
            .unwrap();
        let path = f.display().to_string();
        let out = expand(os(&["loadgen", "--scenario", &path, "--shards", "9"]), &names()).unwrap();
        let words: Vec<String> = out.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            words,
            [
                "loadgen",
                "--duration=1m",
                "--max-p99=250ms",
                "--quiet",
                "--rps=20k",
                "--shards=7",
                "--scenario",
                &path,
                "--shards",
                "9"
            ]
        );
        let out = expand(os(&["loadgen", "run", "--scenario", &path]), &names()).unwrap();
        assert_eq!(out[1], "run");
        assert_eq!(out[2], "--duration=1m");
    }

    #[test]
    fn unknown_keys_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(&f, "rpss = 5000\n").unwrap();
        let path = f.display().to_string();
        let e = expand(os(&["loadgen", "--scenario", &path]), &names()).unwrap_err().to_string();
        assert!(e.contains("unknown key 'rpss': did you mean rps?"), "{e}");
        std::fs::write(&f, "rps = [\n").unwrap();
        let e = expand(os(&["loadgen", "--scenario", &path]), &names()).unwrap_err().to_string();
        assert!(e.contains("not a TOML table of options"), "{e}");
        let e = expand(os(&["loadgen", "--scenario", "/nope.toml"]), &names()).unwrap_err().to_string();
        assert!(e.contains("cannot read it"), "{e}");
    }
}
