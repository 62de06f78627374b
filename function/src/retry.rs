//! Batched calls with retries: exponential backoff with full jitter inside a deadline,
//! bounded concurrency, and splitting of rejected batches.
//!
//! Both the table writes and the dead-letter sends go through [`run_batched`]: a batch
//! call returns the positions it did not take, those are retried after
//! `rand(0, min(cap, base·2^attempt))` (AWS's "full jitter", which spreads retrying
//! clients best), and nothing is retried past the deadline, which the handler derives from
//! the invocation's remaining time. A batch the service *rejects* is split into single
//! calls, so one bad item cannot sink its 24 neighbours.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use rand::Rng;
use tokio::time::Instant;

use crate::ports::ServiceError;

/// How retries are paced and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First backoff ceiling.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// Calls per batch at most, the first included.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base: Duration::from_millis(25), cap: Duration::from_secs(2), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// The full-jitter delay before retry number `attempt` (1 = first retry).
    pub fn backoff(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << attempt.min(20)).min(self.cap);
        let nanos = ceiling.as_nanos() as u64;
        Duration::from_nanos(if nanos == 0 { 0 } else { rng.random_range(0..=nanos) })
    }
}

/// The end state of one position handed to [`run_batched`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// The service took it.
    Done,
    /// Still not taken when attempts or time ran out; the text says why.
    GaveUp(String),
    /// The service rejected it even alone; the text is the service's reason.
    Rejected(String),
}

/// Counts of what [`run_batched`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// Calls made.
    pub calls: u32,
}

/// Runs `call` over `batches` of positions, at most `concurrency` at once, retrying what
/// each call leaves undone until `deadline`, and returns every position's outcome.
///
/// `call` receives a batch of positions and returns the indexes *within that batch* it
/// did not take, or an error for the whole call.
pub async fn run_batched<F, Fut>(
    batches: Vec<Vec<usize>>,
    concurrency: usize,
    policy: RetryPolicy,
    deadline: Instant,
    call: F,
) -> (Vec<(usize, CallOutcome)>, CallStats)
where
    F: Fn(Vec<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<usize>, ServiceError>>,
{
    // One outcome per position: sized once, not grown batch by batch.
    let mut outcomes = Vec::with_capacity(batches.iter().map(Vec::len).sum());
    let mut queue: VecDeque<Vec<usize>> = batches.into();
    let mut in_flight = FuturesUnordered::new();
    let mut stats = CallStats::default();
    loop {
        while in_flight.len() < concurrency.max(1) {
            let Some(batch) = queue.pop_front() else {
                break;
            };
            in_flight.push(retry_one_batch(batch, policy, deadline, &call));
        }
        let Some(result) = in_flight.next().await else {
            break;
        };
        let BatchResult { settled, split, calls } = result;
        stats.calls += calls;
        outcomes.extend(settled);
        // A rejected batch comes back as singles to find the item at fault.
        queue.extend(split.into_iter().map(|p| vec![p]));
    }
    (outcomes, stats)
}

struct BatchResult {
    settled: Vec<(usize, CallOutcome)>,
    split: Vec<usize>,
    calls: u32,
}

async fn retry_one_batch<F, Fut>(
    mut pending: Vec<usize>,
    policy: RetryPolicy,
    deadline: Instant,
    call: &F,
) -> BatchResult
where
    F: Fn(Vec<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<usize>, ServiceError>>,
{
    let mut settled = Vec::with_capacity(pending.len());
    let mut calls = 0;
    // Borrowed until a problem happens: most batches settle at the first call.
    let mut last_problem: Cow<'static, str> =
        Cow::Borrowed("not attempted: the invocation's time budget was already spent");
    loop {
        let now = Instant::now();
        if now >= deadline || calls >= policy.max_attempts {
            let why = if calls >= policy.max_attempts {
                format!("gave up after {calls} attempts; last problem: {last_problem}")
            } else if calls == 0 {
                last_problem.into_owned()
            } else {
                format!("time budget spent after {calls} attempts; last problem: {last_problem}")
            };
            settled.extend(pending.into_iter().map(|p| (p, CallOutcome::GaveUp(why.clone()))));
            return BatchResult { settled, split: Vec::new(), calls };
        }
        calls += 1;
        let attempt = tokio::time::timeout(deadline - now, call(pending.clone())).await;
        match attempt {
            Ok(Ok(left)) if left.is_empty() => {
                settled.extend(pending.into_iter().map(|p| (p, CallOutcome::Done)));
                return BatchResult { settled, split: Vec::new(), calls };
            }
            Ok(Ok(left)) => {
                let mut left_mask = vec![false; pending.len()];
                for i in left {
                    if let Some(m) = left_mask.get_mut(i) {
                        *m = true;
                    }
                }
                let mut still = Vec::new();
                for (p, left) in pending.into_iter().zip(left_mask) {
                    if left {
                        still.push(p);
                    } else {
                        settled.push((p, CallOutcome::Done));
                    }
                }
                pending = still;
                if pending.is_empty() {
                    return BatchResult { settled, split: Vec::new(), calls };
                }
                last_problem = format!("{} item(s) left unprocessed (throttled)", pending.len()).into();
            }
            Ok(Err(e)) if e.is_retryable() => last_problem = e.to_string().into(),
            Ok(Err(e)) => {
                if pending.len() > 1 {
                    return BatchResult { settled, split: pending, calls };
                }
                let why = e.to_string();
                settled.extend(pending.into_iter().map(|p| (p, CallOutcome::Rejected(why.clone()))));
                return BatchResult { settled, split: Vec::new(), calls };
            }
            Err(_) => last_problem = "the call did not answer before the deadline".into(),
        }
        let pause = policy.backoff(calls, &mut rand::rng());
        if Instant::now() + pause >= deadline {
            // Sleeping would end past the deadline: give up now, while there is still time
            // to answer Lambda.
            let why = format!("time budget spent after {calls} attempts; last problem: {last_problem}");
            settled.extend(pending.into_iter().map(|p| (p, CallOutcome::GaveUp(why.clone()))));
            return BatchResult { settled, split: Vec::new(), calls };
        }
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_is_full_jitter_under_the_cap() {
        let p = RetryPolicy::default();
        let mut rng = rand::rng();
        for attempt in 1..40 {
            let ceiling = (p.base * 2u32.pow(attempt.min(20))).min(p.cap);
            for _ in 0..50 {
                assert!(p.backoff(attempt, &mut rng) <= ceiling);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unprocessed_positions_are_retried_until_done() {
        let calls = AtomicU32::new(0);
        let deadline = Instant::now() + Duration::from_secs(10);
        let (out, stats) = run_batched(vec![vec![0, 1, 2]], 2, RetryPolicy::default(), deadline, |b| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(if n == 0 {
                    vec![1, 2]
                } else if b.len() == 2 {
                    vec![0]
                } else {
                    vec![]
                })
            }
        })
        .await;
        assert_eq!(stats.calls, 3);
        assert!(out.iter().all(|(_, o)| *o == CallOutcome::Done));
        assert_eq!(out.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn rejected_batches_are_split_to_find_the_culprit() {
        let deadline = Instant::now() + Duration::from_secs(10);
        let (mut out, _) = run_batched(vec![vec![0, 1, 2]], 4, RetryPolicy::default(), deadline, |b| async move {
            if b.contains(&1) {
                Err(ServiceError::Rejected("item 1 is bad".into()))
            } else {
                Ok(vec![])
            }
        })
        .await;
        out.sort_by_key(|(p, _)| *p);
        assert_eq!(out[0].1, CallOutcome::Done);
        assert!(matches!(out[1].1, CallOutcome::Rejected(_)));
        assert_eq!(out[2].1, CallOutcome::Done);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let start = Instant::now();
        let deadline = start + Duration::from_millis(500);
        let policy = RetryPolicy { max_attempts: u32::MAX, ..RetryPolicy::default() };
        let (out, stats) = run_batched(vec![vec![7]], 1, policy, deadline, |_| async {
            Err::<Vec<usize>, _>(ServiceError::Throttled("slow down".into()))
        })
        .await;
        assert!(Instant::now() <= deadline);
        assert!(stats.calls > 1);
        match &out[0].1 {
            CallOutcome::GaveUp(why) => assert!(why.contains("slow down"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_call_is_cut_at_the_deadline() {
        let deadline = Instant::now() + Duration::from_millis(300);
        let (out, _) = run_batched(vec![vec![0]], 1, RetryPolicy::default(), deadline, |_| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(vec![])
        })
        .await;
        assert!(matches!(out[0].1, CallOutcome::GaveUp(_)));
    }
}
