//! `loadgen`: parse, run, exit with a meaningful code (see `loadgen --help`).

/// mimalloc, not glibc's malloc: every record's payload is allocated on the driver's
/// thread and released on the local pipeline's, and glibc's arenas made that a sixth of
/// the CPU at 1,000,000 events/s (its free sorted into the other thread's bins under their
/// lock). Built without transparent huge pages (the `no_thp` feature): with them, the
/// kernel's compaction and 2 MiB page clearing cost 2-11 s of system CPU in a 3 s run.
/// Measured side by side (Intel Xeon, 2 cores, 3 s at 1,000,000 events/s): CPU 9.3-9.8 s
/// -> 8.1-8.5 s; at 5,000 events/s the same (1.83% vs 1.78% of a core), peak RSS 32 ->
/// 37 MiB. Its `MIMALLOC_*` environment variables tune it.
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
