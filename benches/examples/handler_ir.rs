//! The handler's batch path for an instruction count: 2,000 batches of 100 records through
//! `Processor::process_batch` against a store that answers at once. Timings on these shared
//! machines swing 2x between runs; callgrind's instruction counts do not, so a change to the
//! decoder or the processor can be judged before and after on any machine:
//!
//! ```text
//! cargo build --profile bench -p benches --example handler_ir
//! valgrind --tool=callgrind --toggle-collect='*process_batch*' \
//!     target/release/examples/handler_ir [python|retail]
//! ```
//!
//! `python` (the default) is the Python baseline's event shape (`baseline_ratio`'s "same
//! events"), `retail` the full contract with event ids and prices. Divide callgrind's
//! "Collected" by 200,000 for instructions per record.

use std::time::Duration;

use benches::{python_shaped_batch, retail_batch, CountingStore};
use retail_function::memory::InMemoryDlq;
use retail_function::{BatchContext, NoMetrics, Processor, ProcessorConfig};

fn main() {
    let now = retail_function::now_ms();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            std::process::exit(1);
        }
    };
    let processor = Processor::new(CountingStore::default(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let batch = match std::env::args().nth(1).as_deref() {
        None | Some("python") => python_shaped_batch(100, now),
        Some("retail") => retail_batch(100, now),
        Some(other) => {
            eprintln!("error: unknown event shape '{other}': use python or retail");
            std::process::exit(2);
        }
    };
    rt.block_on(async {
        for _ in 0..2000 {
            let ctx = BatchContext { now_ms: now, deadline: tokio::time::Instant::now() + Duration::from_secs(60) };
            std::hint::black_box(processor.process_batch(&batch, ctx).await);
        }
    });
}
