//! The generator for an instruction count: 200,000 records from `Generator::next_record`
//! with the default configuration, each dropped as it is counted (`baseline_ratio`'s
//! producer figure), after 1,000,000 made to warm it: by then every one of the 100,000
//! users has been met and its key hashed, as in a run that lasts more than a few seconds. Timings on these shared machines swing 2x between
//! runs; callgrind's instruction counts do not, so a change to the generator can be judged
//! before and after on any machine:
//!
//! ```text
//! cargo build --profile bench -p benches --example generator_ir
//! valgrind --tool=callgrind --toggle-collect='*generator_ir::measured*' \
//!     target/release/examples/generator_ir
//! ```
//!
//! Divide callgrind's "Collected" by 200,000 for instructions per record.

use loadgen_engine::load::generator::{Generator, GeneratorConfig};

/// `n` records from `g`, numbered from `first`; their data's bytes.
#[inline(never)]
fn records(g: &mut Generator, first: u64, n: u64) -> usize {
    let mut bytes = 0usize;
    for seq in first..first + n {
        bytes += g.next_record(1_764_000_000_000 + seq as i64, seq).data.len();
    }
    bytes
}

/// The records callgrind counts (a function of its own, for `--toggle-collect`).
#[inline(never)]
fn measured(g: &mut Generator, first: u64) -> usize {
    records(g, first, 200_000)
}

fn main() {
    let mut g = Generator::new(GeneratorConfig::default());
    let warm = records(&mut g, 0, 1_000_000);
    std::hint::black_box(warm + measured(&mut g, 1_000_000));
}
