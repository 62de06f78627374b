//! The Python baselines and this project's code measured side by side in one run, on one core,
//! with the same method (best of 7 timed rounds of batches of 100), printed as a ratio.
//!
//! The baseline (`benches/baselines/recipe_handler_bench.py`) is the original handler's
//! decode/parse/score/put logic with the network stubbed out; here the processor runs
//! against a store that answers at once. Both time the same events (the baseline's
//! seven fields, `json.dumps` spacing); the processor is also timed on full-contract
//! events (with `eventId`, prices and quantities) for reference. Prints:
//! `rust_us_per_record=… python_us_per_record=… speedup=…x; full-contract … rust_us_per_record=…`.

use std::process::Command;
use std::time::{Duration, Instant};

use benches::{python_shaped_batch, retail_batch, CountingStore};
use retail_function::memory::InMemoryDlq;
use retail_function::KinesisEventRecord;
use retail_function::{BatchContext, NoMetrics, Processor, ProcessorConfig};

fn rust_us_per_record(make: fn(usize, i64) -> Vec<KinesisEventRecord>) -> f64 {
    let now = retail_function::now_ms();
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let processor = Processor::new(CountingStore::default(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
    let batch = make(100, now);
    let run = |rounds: usize| {
        rt.block_on(async {
            for _ in 0..rounds {
                let ctx = BatchContext { now_ms: now, deadline: tokio::time::Instant::now() + Duration::from_secs(60) };
                std::hint::black_box(processor.process_batch(&batch, ctx).await);
            }
        })
    };
    run(500);
    let rounds = 2000;
    (0..7)
        .map(|_| {
            let t = Instant::now();
            run(rounds);
            t.elapsed().as_secs_f64() / (rounds * 100) as f64 * 1e6
        })
        .fold(f64::INFINITY, f64::min)
}

fn python_figure(script: &str, key: &str) -> Result<f64, String> {
    let script = format!("{}/baselines/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3").arg(&script).output().map_err(|e| format!("cannot run python3: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("unexpected baseline output: {text}{}", String::from_utf8_lossy(&out.stderr)))
}

/// loadgen's generator, events built and encoded per second on one core (best of 7).
fn rust_events_per_s() -> f64 {
    use loadgen_engine::load::generator::{Generator, GeneratorConfig};
    let mut g = Generator::new(GeneratorConfig::default());
    let mut seq = 0u64;
    let mut run = |n: u64| {
        let mut bytes = 0usize;
        for _ in 0..n {
            bytes += g.next_record(1_764_000_000_000 + seq as i64, seq).data.len();
            seq += 1;
        }
        std::hint::black_box(bytes);
    };
    run(100_000);
    (0..7)
        .map(|_| {
            let t = Instant::now();
            run(500_000);
            500_000.0 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if !all.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets without `--bench`: a smoke check.
        let processor =
            Processor::new(CountingStore::default(), InMemoryDlq::new(), NoMetrics, ProcessorConfig::default());
        let now = retail_function::now_ms();
        let batch = retail_batch(100, now);
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let ctx = BatchContext { now_ms: now, deadline: tokio::time::Instant::now() + Duration::from_secs(60) };
        assert_eq!(rt.block_on(processor.process_batch(&batch, ctx)).written(), 100);
        return;
    }
    // `cargo bench -- <filter>` passes a filter; run only when it matches this target.
    let filters: Vec<&String> = all.iter().filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() && !filters.iter().any(|a| "baseline_ratio".contains(a.as_str())) {
        return;
    }
    let rust = rust_us_per_record(python_shaped_batch);
    let rust_full = rust_us_per_record(retail_batch);
    let producer = rust_events_per_s();
    match python_figure("recipe_producer_bench.py", "python_producer_events_per_s=") {
        Ok(python) => println!(
            "producer baseline: rust_events_per_s={producer:.0} python_producer_events_per_s={python:.0} speedup={:.1}x",
            producer / python
        ),
        Err(e) => {
            println!("producer baseline: rust_events_per_s={producer:.0}; Python baseline not measured: {e}");
            std::process::exit(1);
        }
    }
    match python_figure("recipe_handler_bench.py", "python_us_per_record=") {
        Ok(python) => println!(
            "handler baseline (same events): rust_us_per_record={rust:.3} python_us_per_record={python:.2} \
             speedup={:.1}x; full-contract events (eventId, prices): rust_us_per_record={rust_full:.3}",
            python / rust
        ),
        Err(e) => {
            println!("handler baseline: rust_us_per_record={rust:.3}; Python baseline not measured: {e}");
            std::process::exit(1);
        }
    }
}
