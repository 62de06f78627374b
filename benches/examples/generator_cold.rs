//! The generator as a 5,000 events/s run meets it, with the partition key's hash the
//! driver routes by: 25 events (one 5 ms wake-up's worth)
//! at a time, each group after the caches were filled with other data, so its tables,
//! code and state are read cold, as after the driver's sleep. Criterion cannot time this
//! (the eviction between groups would dominate its sampling plan); this prints its own
//! figures:
//!
//! ```text
//! cargo run --profile bench -p benches --example generator_cold
//! ```
//!
//! It prints the median and the 90th percentile per event over 2,000 wake-ups, and the
//! same events generated warm, back to back, for comparison. Compare two builds by
//! running both binaries alternately: the machine's load moves the figures.

use std::time::{Duration, Instant};

use loadgen_engine::load::generator::{Generator, GeneratorConfig};
use loadgen_engine::sink::hash_ranges::hash_key;

/// Events per wake-up at 5,000 events/s with a 5 ms linger.
const WAKE: u64 = 25;
const WAKES: usize = 2_000;
/// Written between wake-ups: more than a core's L2 and its TLB's reach.
const EVICT_BYTES: usize = 16 << 20;

fn main() {
    let mut g = Generator::new(GeneratorConfig::default());
    let mut other = vec![0u8; EVICT_BYTES];
    let mut seq = 0u64;
    let mut bytes = 0usize;
    let mut hashes = 0u128;
    let mut group = |g: &mut Generator, seq: &mut u64| {
        let start = Instant::now();
        for _ in 0..WAKE {
            let r = g.next_record(1_764_000_000_000 + *seq as i64, *seq);
            // The shard routing hash the driver needs, as the driver gets it.
            hashes ^= r.key_hash.unwrap_or_else(|| hash_key(&r.partition_key));
            bytes += r.data.len();
            *seq += 1;
        }
        start.elapsed()
    };
    // Warm-up: every user's slot made, the pools touched once.
    for _ in 0..200 {
        group(&mut g, &mut seq);
    }
    let mut cold: Vec<Duration> = (0..WAKES)
        .map(|_| {
            for line in other.chunks_mut(64) {
                line[0] = line[0].wrapping_add(1);
            }
            group(&mut g, &mut seq)
        })
        .collect();
    let mut warm: Vec<Duration> = (0..WAKES).map(|_| group(&mut g, &mut seq)).collect();
    let per_event = |v: &mut Vec<Duration>, q: f64| {
        v.sort();
        v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6 / WAKE as f64
    };
    println!(
        "generator per event, {WAKE} events per wake-up, {WAKES} wake-ups: after {} MB of other writes \
         median {:.3} us p90 {:.3} us; warm median {:.3} us p90 {:.3} us ({bytes} bytes made)",
        EVICT_BYTES >> 20,
        per_event(&mut cold, 0.5),
        per_event(&mut cold, 0.9),
        per_event(&mut warm, 0.5),
        per_event(&mut warm, 0.9),
    );
    std::hint::black_box((other, hashes));
}
