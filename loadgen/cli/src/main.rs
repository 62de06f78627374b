//! `loadgen`: parse, run, exit with a meaningful code (see `loadgen --help`).

/// mimalloc, not glibc's malloc: every record's payload is allocated on the driver's
/// thread and released on the local pipeline's, and glibc's arenas made that a sixth of
/// the CPU at 1,000,000 events/s (its free sorted into the other thread's bins under their
/// lock). Measured side by side (Intel Xeon, 2 cores, 3 s at 1,000,000 events/s): user
/// CPU 8.7 -> 6.9-7.0 s. Its `MIMALLOC_*` environment variables tune it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    match loadgen::args::parse_from(std::env::args_os()) {
        Ok(cli) => loadgen::main_with(cli).into(),
        Err(e) => {
            let _ = e.print();
            // Help and version are answers, not errors.
            ExitCode::from(if e.use_stderr() { loadgen::exit::Exit::Usage.code() } else { 0 })
        }
    }
}
