//! Lambda as the local pipeline's event source mapping invokes it: memory and its CPU
//! share, the concurrency limit and cold starts (figures in `docs/aws-quotas.md`, Lambda).
//!
//! - **CPU share**: Lambda gives a function CPU in proportion to its memory, one vCPU at
//!   [`FULL_VCPU_MB`] (1,769 MB). The model measures the thread CPU time the real
//!   processor spends on each batch here ([`CpuTimed`]) and holds the invocation for the
//!   time the same work takes at the configured share: `cpu × (1769 ÷ memory − 1)` more.
//!   The batch path is one thread, so memory past 1,769 MB adds no speed. One core of
//!   the machine running loadgen stands for one Lambda vCPU. The model's table answers
//!   in memory, so the CPU the deployed function spends on its AWS calls per record
//!   (writing and signing each `BatchWriteItem`, the HTTPS exchange, measured by the
//!   `function_path` bench: [`AWS_CALLS_US_PER_RECORD`] on a full vCPU) is added at the
//!   same share.
//! - **Concurrency**: every lane (shard × parallelization factor) needs an execution
//!   environment; at most `concurrency_limit` run at once (the regional limit, default
//!   1,000, or a reserved concurrency). A lane over the limit is throttled and waits, as
//!   the event source mapping retries a throttled invocation.
//! - **Cold start**: each lane's first invocation waits [`COLD_START`] for the new
//!   environment's init.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

pub use crate::capacity::quotas::{cpu_share, FULL_VCPU_MB};
use crate::capacity::quotas::{AWS_CALLS_US_PER_RECORD, DEFAULT_LAMBDA_CONCURRENCY};

/// Init of a new execution environment for a Rust `provided.al2023` zip (arm64).
pub const COLD_START: Duration = Duration::from_millis(14);
/// Lambda's memory range, MB.
pub const MEMORY_MB: std::ops::RangeInclusive<u32> = 128..=10_240;

/// The modelled function's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LambdaConfig {
    /// Memory, MB (default 256, as the infra deploys).
    pub memory_mb: u32,
    /// Concurrent executions at most (default the regional default, 1,000).
    pub concurrency_limit: u32,
    /// Init of each new execution environment.
    pub cold_start: Duration,
}

impl Default for LambdaConfig {
    fn default() -> Self {
        Self { memory_mb: 256, concurrency_limit: DEFAULT_LAMBDA_CONCURRENCY as u32, cold_start: COLD_START }
    }
}

/// How much longer `cpu` of work takes at `memory_mb` than on a full vCPU.
pub fn stretch(cpu: Duration, memory_mb: u32) -> Duration {
    let share = cpu_share(memory_mb.max(1));
    cpu.mul_f64(1.0 / share - 1.0)
}

/// The function's execution environments, shared by every lane.
#[derive(Debug)]
pub struct LambdaRuntime {
    /// The settings.
    pub config: LambdaConfig,
    slots: Semaphore,
    in_use: AtomicU64,
    peak: AtomicU64,
    throttled: AtomicU64,
    cold_starts: AtomicU64,
    cpu_ns: AtomicU64,
    stretched_ns: AtomicU64,
}

/// What the model saw over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LambdaStats {
    /// Most environments busy at once.
    pub peak_concurrency: u64,
    /// Invocations that found the concurrency limit reached and waited.
    pub throttled_invocations: u64,
    /// New environments started.
    pub cold_starts: u64,
    /// Thread CPU time the processor spent here, all invocations.
    pub cpu: Duration,
    /// Time added for the configured CPU share and the AWS calls' CPU, all invocations.
    pub stretched: Duration,
}

impl LambdaRuntime {
    /// Environments for `config`.
    pub fn new(config: LambdaConfig) -> Self {
        LambdaRuntime {
            config,
            slots: Semaphore::new(config.concurrency_limit.max(1) as usize),
            in_use: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            cold_starts: AtomicU64::new(0),
            cpu_ns: AtomicU64::new(0),
            stretched_ns: AtomicU64::new(0),
        }
    }

    /// An environment for one invocation; waits (counting a throttle) when all are busy.
    /// `warm` is the lane's own: its first invocation pays the cold start.
    pub async fn acquire(&self, warm: &mut bool) -> Environment<'_> {
        let permit = match self.slots.try_acquire() {
            Ok(p) => Some(p),
            Err(_) => {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                self.slots.acquire().await.ok()
            }
        };
        let busy = self.in_use.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(busy, Ordering::Relaxed);
        if !*warm {
            *warm = true;
            self.cold_starts.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.config.cold_start).await;
        }
        Environment { runtime: self, _permit: permit }
    }

    /// Runs `work`, the processing of `records` records, in an environment at the
    /// configured CPU share: the work's own thread CPU time stretched to what the share
    /// makes of it, plus the AWS calls' CPU for those records at that share.
    pub async fn run<F: Future>(&self, work: F, records: usize) -> F::Output {
        let (out, cpu) = CpuTimed::new(work).await;
        let calls = Duration::from_secs_f64(records as f64 * AWS_CALLS_US_PER_RECORD / 1e6);
        let extra = stretch(cpu, self.config.memory_mb) + calls.div_f64(cpu_share(self.config.memory_mb.max(1)));
        self.cpu_ns.fetch_add(cpu.as_nanos() as u64, Ordering::Relaxed);
        self.stretched_ns.fetch_add(extra.as_nanos() as u64, Ordering::Relaxed);
        if !extra.is_zero() {
            tokio::time::sleep(extra).await;
        }
        out
    }

    /// What the model saw.
    pub fn stats(&self) -> LambdaStats {
        LambdaStats {
            peak_concurrency: self.peak.load(Ordering::Relaxed),
            throttled_invocations: self.throttled.load(Ordering::Relaxed),
            cold_starts: self.cold_starts.load(Ordering::Relaxed),
            cpu: Duration::from_nanos(self.cpu_ns.load(Ordering::Relaxed)),
            stretched: Duration::from_nanos(self.stretched_ns.load(Ordering::Relaxed)),
        }
    }
}

/// One busy execution environment; dropping it frees the slot.
pub struct Environment<'a> {
    runtime: &'a LambdaRuntime,
    _permit: Option<SemaphorePermit<'a>>,
}

impl Drop for Environment<'_> {
    fn drop(&mut self) {
        self.runtime.in_use.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A future and the thread CPU time spent polling it (not the time it waited).
pub struct CpuTimed<F: Future> {
    inner: Pin<Box<F>>,
    spent: Duration,
}

impl<F: Future> CpuTimed<F> {
    /// Times `inner`.
    pub fn new(inner: F) -> Self {
        CpuTimed { inner: Box::pin(inner), spent: Duration::ZERO }
    }
}

impl<F: Future> Future for CpuTimed<F> {
    type Output = (F::Output, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A clock that cannot be read counts as no CPU: the model then adds nothing.
        let start = cpu_time::ThreadTime::try_now().ok();
        let polled = self.inner.as_mut().poll(cx);
        if let Some(spent) = start.and_then(|s| s.try_elapsed().ok()) {
            self.spent += spent;
        }
        polled.map(|out| (out, self.spent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,769 MB is one vCPU; 128 MB is 128 ÷ 1,769 = 7.2% of one, so 1 ms of CPU takes
    /// 1 ÷ 0.0724 = 13.8 ms, 12.8 ms more; 3,538 MB is still one vCPU for one thread.
    #[test]
    fn cpu_follows_memory_up_to_one_vcpu() {
        assert_eq!(cpu_share(1769), 1.0);
        assert!((cpu_share(128) - 0.072357).abs() < 1e-6);
        let extra = stretch(Duration::from_millis(1), 128);
        assert!((extra.as_secs_f64() * 1000.0 - 12.82).abs() < 0.01, "{extra:?}");
        assert_eq!(stretch(Duration::from_millis(1), 3538), Duration::ZERO);
        // 256 MB (the infra's default): 1769 ÷ 256 = 6.9 times the CPU time.
        assert!((stretch(Duration::from_millis(10), 256).as_secs_f64() * 1000.0 - 59.10).abs() < 0.01);
    }

    /// The AWS calls' CPU per record is added at the memory's share: at one vCPU 1,000
    /// records add 2.9 ms, at 256 MB 1769 ÷ 256 times that (the work itself is empty: no
    /// CPU).
    #[tokio::test]
    async fn the_aws_calls_share_is_held_per_record_at_the_cpu_share() {
        assert_eq!(AWS_CALLS_US_PER_RECORD, 2.9, "the figure this test spells out");
        for (memory_mb, expected_ms) in [(1769, 2.9), (256, 2.9 * 1769.0 / 256.0)] {
            let rt = LambdaRuntime::new(LambdaConfig { memory_mb, ..LambdaConfig::default() });
            rt.run(async {}, 1000).await;
            let stats = rt.stats();
            let calls_ms = (stats.stretched - stretch(stats.cpu, memory_mb)).as_secs_f64() * 1000.0;
            assert!((calls_ms - expected_ms).abs() < 1e-3, "{memory_mb} MB: {calls_ms} ms");
        }
    }

    /// Work that only waits costs no CPU; work that computes does.
    #[tokio::test]
    async fn cpu_timed_counts_polling_not_waiting() {
        let ((), waited) = CpuTimed::new(tokio::time::sleep(Duration::from_millis(30))).await;
        assert!(waited < Duration::from_millis(10), "{waited:?}");
        let (sum, computed) = CpuTimed::new(async { (0..3_000_000u64).map(std::hint::black_box).sum::<u64>() }).await;
        assert!(sum > 0 && computed > Duration::ZERO);
    }

    /// Two slots, three lanes: the third waits (a throttle) until one is free; every
    /// lane's first invocation is a cold start, the second is warm.
    #[tokio::test]
    async fn the_concurrency_limit_throttles_and_first_invocations_are_cold() {
        let rt = LambdaRuntime::new(LambdaConfig {
            concurrency_limit: 2,
            cold_start: Duration::ZERO,
            ..LambdaConfig::default()
        });
        let (mut a, mut b, mut c) = (false, false, false);
        let ea = rt.acquire(&mut a).await;
        let eb = rt.acquire(&mut b).await;
        let third = rt.acquire(&mut c);
        tokio::pin!(third);
        assert!(futures_poll_once(third.as_mut()).await.is_none(), "the third waits");
        drop(ea);
        let ec = third.await;
        drop((eb, ec));
        let again = rt.acquire(&mut a).await;
        drop(again);
        let s = rt.stats();
        assert_eq!((s.peak_concurrency, s.throttled_invocations, s.cold_starts), (2, 1, 3));
    }

    async fn futures_poll_once<F: Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            Poll::Ready(match Pin::new(&mut f).poll(cx) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => None,
            })
        })
        .await
    }
}
