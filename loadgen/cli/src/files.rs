//! Writing results: every file goes through a temporary file and a rename in its
//! directory, so a reader never sees half a file; a set of files is rendered whole
//! before the first is written.

use std::path::{Path, PathBuf};

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}. Check that the directory is writable and the disk has room")]
pub struct WriteError {
    /// The file (or directory).
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Writes each `(name, bytes)` into `dir` (created if missing); returns the paths written.
pub fn write_all<B: AsRef<[u8]>>(dir: &Path, files: &[(&str, B)]) -> Result<Vec<PathBuf>, WriteError> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let done = std::fs::write(&tmp, bytes)
            .map_err(fail(&tmp))
            .and_then(|()| std::fs::rename(&tmp, &path).map_err(fail(&path)));
        if let Err(e) = done {
            // No half-written temporary left behind (a full disk, say).
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        written.push(path);
    }
    Ok(written)
}

/// Creates `dir` if needed and writes and removes a probe file in it: the results will
/// be writable when the run ends.
pub fn check_writable(dir: &Path) -> Result<(), WriteError> {
    let fail = |path: PathBuf| move |source| WriteError { path, source };
    std::fs::create_dir_all(dir).map_err(fail(dir.to_path_buf()))?;
    let probe = dir.join(".loadgen-write-check");
    std::fs::write(&probe, b"").map_err(fail(probe.clone()))?;
    std::fs::remove_file(&probe).map_err(fail(probe))
}

/// `value` as pretty JSON (what `result.json` and `limit.json` hold).
pub fn json<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(value)
}
