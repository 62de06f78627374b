//! Writing results: every file goes through a temporary file and a rename in its
//! directory, so a reader never sees half a file; a set of files is rendered whole
//! before the first is written.

use std::io::Write;
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

/// A fresh local folder for results on their way to S3 (kept if the upload fails).
pub fn staging_dir(what: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    std::env::temp_dir().join(format!("loadgen-{what}-{}-{stamp}", std::process::id()))
}

/// Uploads every file of `dir` to `bucket`'s location; removes `dir` when all are there,
/// or keeps it and says where, with exit code 1.
pub async fn upload(bucket: &loadgen_engine::aws::results::ResultsBucket, dir: &Path) -> Result<(), crate::exit::Exit> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        eprintln!("error: cannot read the results in {} to upload them: {e}", dir.display());
        crate::exit::Exit::Runtime
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().is_file() {
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(bytes) => files.push((name, bytes)),
            Err(e) => {
                eprintln!("error: cannot read {} to upload it: {e}", entry.path().display());
                return Err(crate::exit::Exit::Runtime);
            }
        }
    }
    files.sort();
    match bucket.put_all(&files).await {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(dir);
            let _ = writeln!(std::io::stdout(), "results uploaded to {}", bucket.location().url());
            Ok(())
        }
        Err(e) => {
            eprintln!("error: {e}. The results are kept in {}: upload them from there", dir.display());
            Err(crate::exit::Exit::Runtime)
        }
    }
}

/// `value` as pretty JSON (what `result.json` and `limit.json` hold).
pub fn json<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(value)
}
