//! Producer models: how loadgen paces records per shard, as the producers users deploy
//! do (`--producer`).
//!
//! - [`ProducerModel::Naive`]: no pacing. Every record is sent when due; a throttled
//!   record is retried after an exponential backoff with full jitter until its
//!   time-to-live. What a plain `PutRecords` loop does.
//! - [`ProducerModel::Kpl`]: the Kinesis Producer Library's limiter
//!   (awslabs/amazon-kinesis-producer, `aws/kinesis/core/limiter.h`): the shard of each
//!   record is predicted from the stream's hash-key ranges; each shard has a token bucket
//!   for records and one for bytes, refilled at `rate_limit` × the shard's quota (150% by
//!   default) and holding one second's worth; a record the buckets hold back waits in its
//!   shard's queue (earliest deadline first) until tokens arrive or its time-to-live runs
//!   out. The KPL does not react to throttling (its source leaves that as a TODO):
//!   throttled records go back to the queue and wait for tokens again.
//! - [`ProducerModel::Adaptive`]: loadgen's own. The same per-shard buckets, starting at
//!   the shard's quota and holding a tenth of a second's worth (so a shard's one-second
//!   windows see an even flow), scaled per shard by a factor that backs off
//!   multiplicatively when the shard throttles (by more when more of its records were
//!   throttled) and grows additively back (faster while far below the rate it last
//!   throttled at), never above the documented quota. Records wait in a bounded buffer
//!   (`max_buffered` events in all): an event that finds it full is expired with the
//!   reason "producer buffer full", never dropped silently.
//!
//! Both pacing models drain their queues as the KPL does: when new records arrive (the
//! driver drains at each of its turns) and otherwise every [`KPL_DRAIN_EVERY`] (25 ms), so a
//! record the buckets held back leaves at the first drain after its tokens are there,
//! not at that instant. The KPL does it to bound its work; here it also bounds the
//! driver's wake-ups on a shard over its quota to 40 a second, where waking for each
//! token was one per record (1,000 a second per shard).
//!
//! Pure: the caller passes the current instant, and decides what to do with the records
//! the limiter releases or expires.

use std::time::{Duration, Instant};

use crate::capacity::quotas::{SHARD_WRITE_BYTES_PER_SEC, SHARD_WRITE_RECORDS_PER_SEC};
use crate::load::segmented::SegmentedQueue;

/// How records are paced per shard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProducerModel {
    /// No pacing; backoff and retry on throttling.
    Naive,
    /// The KPL's fixed per-shard token buckets.
    Kpl {
        /// Share of the shard quota the buckets refill at (the KPL's `RateLimit` ÷ 100).
        rate_limit: f64,
    },
    /// Per-shard rates that back off on throttling and grow back while accepted.
    Adaptive,
}

impl ProducerModel {
    /// The name `--producer` takes and results show.
    pub fn name(&self) -> &'static str {
        match self {
            ProducerModel::Naive => "naive",
            ProducerModel::Kpl { .. } => "kpl",
            ProducerModel::Adaptive => "adaptive",
        }
    }

    /// Whether records are paced per shard (and a throttled record waits for tokens
    /// instead of a backoff).
    pub fn paces(&self) -> bool {
        !matches!(self, ProducerModel::Naive)
    }
}

/// The KPL's default `RateLimit`: 150% of the shard quota.
pub const KPL_DEFAULT_RATE_LIMIT: f64 = 1.5;
/// The KPL drains its limiter queues every 25 ms (`kDrainDelayMillis`); both pacing
/// models do.
pub const KPL_DRAIN_EVERY: Duration = Duration::from_millis(25);
/// The adaptive buckets hold this much of a second's rate.
const ADAPTIVE_BURST: f64 = 0.1;
/// The adaptive rate is adjusted at most this often (answers in between are summed).
const ADJUST_EVERY: Duration = Duration::from_millis(250);
/// The smallest multiplicative step down, and the largest.
const DECREASE_MIN: f64 = 0.02;
const DECREASE_MAX: f64 = 0.5;
/// The additive step up per second, as a share of the quota.
const INCREASE_STEP: f64 = 0.01;
/// The lowest scale a shard's rate falls to.
const MIN_SCALE: f64 = 0.05;

/// The producer's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProducerConfig {
    /// The model.
    pub model: ProducerModel,
    /// Events waiting in the producer's queues at most (adaptive); beyond it new events
    /// expire with the reason "producer buffer full".
    pub max_buffered: usize,
    /// One shard's write quota: records/s and bytes/s.
    pub shard_records_per_sec: f64,
    /// Bytes/s.
    pub shard_bytes_per_sec: f64,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            model: ProducerModel::Adaptive,
            max_buffered: 1_000_000,
            shard_records_per_sec: f64::from(SHARD_WRITE_RECORDS_PER_SEC),
            shard_bytes_per_sec: f64::from(SHARD_WRITE_BYTES_PER_SEC),
        }
    }
}

/// What the producer did, for the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProducerStats {
    /// Records the limiter made wait at least once (not sent when offered).
    pub held_back: u64,
    /// Most events waiting in the producer's queues at once.
    pub buffer_high_water: usize,
    /// Events expired because the buffer was full.
    pub buffer_full: u64,
    /// Events expired in the producer's queues (time-to-live).
    pub expired_waiting: u64,
    /// Times a shard's rate was cut after throttling (adaptive).
    pub rate_decreases: u64,
    /// The lowest rate any shard ran at, as a share of its quota (adaptive).
    pub lowest_rate_share: f64,
    /// The shards' rates at the end, mean share of the quota (adaptive).
    pub final_rate_share: f64,
}

/// A token bucket refilled continuously.
#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, burst_secs: f64, now: Instant) -> Self {
        let burst = (rate * burst_secs).max(1.0);
        Self { tokens: burst, rate, burst, last: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        self.last = now;
    }

    fn set_rate(&mut self, rate: f64, burst_secs: f64, now: Instant) {
        self.refill(now);
        self.rate = rate;
        self.burst = (rate * burst_secs).max(1.0);
        self.tokens = self.tokens.min(self.burst);
    }

    /// When `amount` tokens will be there (never, for an amount over the burst: then as
    /// soon as the bucket is full, which lets a record larger than the burst through).
    fn ready_at(&self, amount: f64) -> Instant {
        let missing = amount.min(self.burst) - self.tokens;
        if missing <= 0.0 {
            self.last
        } else {
            self.last + Duration::from_secs_f64(missing / self.rate.max(1e-9))
        }
    }
}

struct Waiting<T> {
    item: T,
    bytes: usize,
    deadline: Instant,
    /// When it was offered (or requeued): a record released later was held back.
    since: Instant,
}

struct ShardGate<T> {
    /// Grows a segment at a time: a shard over its quota queues for as long as the load
    /// lasts, and a buffer that doubled moved every record it held.
    queue: SegmentedQueue<Waiting<T>>,
    records: Bucket,
    bytes: Bucket,
    /// Adaptive: the rate as a share of the quota, and the share it last throttled at.
    scale: f64,
    peak: f64,
    /// Answers since the last adjustment: accepted, throttled.
    window: (u64, u64),
    window_start: Instant,
    /// Whether the shard throttled during the current second, and whether its records
    /// waited for tokens in it.
    throttled_this_second: bool,
    limited_this_second: bool,
}

impl<T> ShardGate<T> {
    /// Takes a record's tokens of `bytes` from both buckets (refilled by the caller), if
    /// they are there. A record larger than the byte bucket's burst goes once it is full.
    fn try_take(&mut self, bytes: usize) -> bool {
        let size = bytes as f64;
        let bytes_ok = self.bytes.tokens >= size.min(self.bytes.burst);
        if self.records.tokens >= 1.0 && bytes_ok {
            self.records.tokens -= 1.0;
            self.bytes.tokens -= size;
            true
        } else {
            false
        }
    }
}

/// Where [`Limiter::offer`] put a record.
#[derive(Debug, PartialEq, Eq)]
pub enum Offered<T> {
    /// Its shard had nothing waiting and its tokens were there: it goes now.
    Now(T),
    /// It waits in its shard's queue.
    Queued,
    /// The buffer was full (adaptive): the caller expires it.
    Full(T),
}

/// Per-shard queues and buckets.
pub struct Limiter<T> {
    config: ProducerConfig,
    /// The first drain's time: the others follow every [`KPL_DRAIN_EVERY`].
    start: Instant,
    burst_secs: f64,
    shards: Vec<ShardGate<T>>,
    /// The shards with records waiting (each once): a turn looks at these, not at every
    /// shard of a stream of thousands.
    waiting: Vec<usize>,
    buffered: usize,
    /// What the producer did.
    pub stats: ProducerStats,
}

impl<T> Limiter<T> {
    /// A limiter over `shards` shards (the model must pace: see [`ProducerModel::paces`]).
    pub fn new(config: ProducerConfig, shards: usize, now: Instant) -> Self {
        let (share, burst_secs) = match config.model {
            ProducerModel::Kpl { rate_limit } => (rate_limit, 1.0),
            _ => (1.0, ADAPTIVE_BURST),
        };
        let gate = || ShardGate {
            queue: SegmentedQueue::default(),
            records: Bucket::new(config.shard_records_per_sec * share, burst_secs, now),
            bytes: Bucket::new(config.shard_bytes_per_sec * share, burst_secs, now),
            scale: 1.0,
            peak: 1.0,
            window: (0, 0),
            window_start: now,
            throttled_this_second: false,
            limited_this_second: false,
        };
        Self {
            config,
            start: now,
            burst_secs,
            shards: (0..shards.max(1)).map(|_| gate()).collect(),
            waiting: Vec::new(),
            buffered: 0,
            stats: ProducerStats { lowest_rate_share: 1.0, final_rate_share: 1.0, ..ProducerStats::default() },
        }
    }

    /// Events waiting.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.buffered == 0
    }

    fn bounded(&self) -> bool {
        matches!(self.config.model, ProducerModel::Adaptive)
    }

    /// A new record for `shard`, of `bytes`, offered at `now`, that must be sent by
    /// `deadline`. It goes at once when nothing of its shard waits and its tokens are
    /// there, as the KPL drains a record on arrival: most records of a stream under its
    /// quota never touch a queue. Otherwise it waits for [`Limiter::release`], unless the
    /// buffer is full.
    pub fn offer(&mut self, shard: usize, item: T, bytes: usize, deadline: Instant, now: Instant) -> Offered<T> {
        let shard = shard.min(self.shards.len() - 1);
        let gate = &mut self.shards[shard];
        if gate.queue.is_empty() && deadline > now {
            gate.records.refill(now);
            gate.bytes.refill(now);
            if gate.try_take(bytes) {
                return Offered::Now(item);
            }
        }
        if self.bounded() && self.buffered >= self.config.max_buffered {
            self.stats.buffer_full += 1;
            return Offered::Full(item);
        }
        self.enqueue(shard, Waiting { item, bytes, deadline, since: now }, false);
        Offered::Queued
    }

    /// A throttled record back at the front of its shard's queue (it keeps its place
    /// ahead of newer records; never refused for a full buffer, it was accepted before).
    pub fn requeue(&mut self, shard: usize, item: T, bytes: usize, deadline: Instant, now: Instant) {
        self.enqueue(shard, Waiting { item, bytes, deadline, since: now }, true);
    }

    fn enqueue(&mut self, shard: usize, w: Waiting<T>, front: bool) {
        let shard = shard.min(self.shards.len() - 1);
        let queue = &mut self.shards[shard].queue;
        if queue.is_empty() {
            self.waiting.push(shard);
        }
        if front {
            queue.push_front(w);
        } else {
            queue.push_back(w);
        }
        self.buffered += 1;
        self.stats.buffer_high_water = self.stats.buffer_high_water.max(self.buffered);
    }

    /// Releases what the buckets allow at `now` to `out` (item and bytes), and expired
    /// records (past their deadline) into `expired`. `out` takes each item where it goes
    /// next (the driver's batcher), without a vector between them.
    pub fn release(&mut self, now: Instant, mut out: impl FnMut(T, usize), expired: &mut Vec<T>) {
        let shards = &mut self.shards;
        let (buffered, stats) = (&mut self.buffered, &mut self.stats);
        self.waiting.retain(|&shard| {
            let gate = &mut shards[shard];
            gate.records.refill(now);
            gate.bytes.refill(now);
            while let Some(front) = gate.queue.front() {
                if front.deadline <= now {
                    let w = gate.queue.pop_front().expect("front exists");
                    *buffered -= 1;
                    stats.expired_waiting += 1;
                    expired.push(w.item);
                    continue;
                }
                if gate.try_take(front.bytes) {
                    let w = gate.queue.pop_front().expect("front exists");
                    *buffered -= 1;
                    if w.since < now {
                        stats.held_back += 1;
                    }
                    out(w.item, w.bytes);
                } else {
                    gate.limited_this_second = true;
                    break;
                }
            }
            !gate.queue.is_empty()
        });
    }

    /// The drain at which the next waiting record can go (or expires), if any waits: the
    /// first drain at or after the moment its tokens are there (or its deadline).
    pub fn next_release(&self) -> Option<Instant> {
        self.waiting
            .iter()
            .filter_map(|&shard| {
                let g = &self.shards[shard];
                let front = g.queue.front()?;
                let at = g.records.ready_at(1.0).max(g.bytes.ready_at(front.bytes as f64));
                Some(at.min(front.deadline))
            })
            .min()
            .map(|at| self.drain_at_or_after(at))
    }

    /// The first drain at or after `at`.
    fn drain_at_or_after(&self, at: Instant) -> Instant {
        let since = at.saturating_duration_since(self.start).as_nanos();
        let every = KPL_DRAIN_EVERY.as_nanos();
        let drains = since.div_ceil(every);
        u64::try_from(drains * every)
            .ok()
            .and_then(|nanos| self.start.checked_add(Duration::from_nanos(nanos)))
            .unwrap_or(at)
    }

    /// Empties every queue (the run stops): the records, for the caller to expire.
    pub fn drain_all(&mut self) -> Vec<T> {
        let mut all = Vec::with_capacity(self.buffered);
        for shard in self.waiting.drain(..) {
            all.extend(self.shards[shard].queue.drain().map(|w| w.item));
        }
        self.buffered = 0;
        all
    }

    /// The stream's answer for `shard`: `accepted` records taken, `throttled` refused.
    /// The adaptive model cuts the shard's rate when it throttles, by a quarter of the
    /// share of its records throttled since the last adjustment (at least 2%, at most
    /// half).
    pub fn on_answer(&mut self, shard: usize, accepted: u64, throttled: u64, now: Instant) {
        if !matches!(self.config.model, ProducerModel::Adaptive) {
            return;
        }
        let Some(gate) = self.shards.get_mut(shard) else { return };
        gate.window.0 += accepted;
        gate.window.1 += throttled;
        if throttled > 0 {
            gate.throttled_this_second = true;
        }
        if now.saturating_duration_since(gate.window_start) < ADJUST_EVERY {
            return;
        }
        let (a, t) = std::mem::take(&mut gate.window);
        gate.window_start = now;
        if t > 0 {
            let share = t as f64 / (a + t) as f64;
            let cut = (share * 0.25).clamp(DECREASE_MIN, DECREASE_MAX);
            gate.peak = gate.scale;
            gate.scale = (gate.scale * (1.0 - cut)).max(MIN_SCALE);
            self.stats.rate_decreases += 1;
            self.stats.lowest_rate_share = self.stats.lowest_rate_share.min(gate.scale);
            let (records, bytes) = (self.config.shard_records_per_sec, self.config.shard_bytes_per_sec);
            gate.records.set_rate(records * gate.scale, self.burst_secs, now);
            gate.bytes.set_rate(bytes * gate.scale, self.burst_secs, now);
        }
    }

    /// Once a second: the adaptive model grows the rate of each shard that was held back
    /// and did not throttle in the second (by a quarter of the way back to the rate it
    /// last throttled at, at least 1% of the quota; never above the quota).
    pub fn second(&mut self, now: Instant) {
        let adaptive = matches!(self.config.model, ProducerModel::Adaptive);
        let (records, bytes) = (self.config.shard_records_per_sec, self.config.shard_bytes_per_sec);
        let mut sum = 0.0;
        for gate in &mut self.shards {
            if adaptive && gate.limited_this_second && !gate.throttled_this_second && gate.scale < 1.0 {
                let step = (0.25 * (gate.peak - gate.scale)).max(INCREASE_STEP);
                gate.scale = (gate.scale + step).min(1.0);
                gate.records.set_rate(records * gate.scale, self.burst_secs, now);
                gate.bytes.set_rate(bytes * gate.scale, self.burst_secs, now);
            }
            gate.limited_this_second = false;
            gate.throttled_this_second = false;
            sum += gate.scale;
        }
        if adaptive {
            self.stats.final_rate_share = sum / self.shards.len() as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(model: ProducerModel) -> ProducerConfig {
        ProducerConfig { model, max_buffered: 10, ..ProducerConfig::default() }
    }

    /// The KPL at 150%: a full bucket of 1,500 records goes at once, then 1,500 a second
    /// (one every 0.67 ms).
    #[test]
    fn the_kpl_buckets_release_one_second_at_the_rate_limit() {
        let t0 = Instant::now();
        let mut l = Limiter::new(
            ProducerConfig { max_buffered: usize::MAX, ..config(ProducerModel::Kpl { rate_limit: 1.5 }) },
            1,
            t0,
        );
        let (mut out, mut expired) = (Vec::new(), Vec::new());
        for i in 0..2000 {
            match l.offer(0, i, 100, t0 + Duration::from_secs(30), t0) {
                Offered::Now(i) => out.push((i, 100)),
                Offered::Queued => {}
                Offered::Full(_) => panic!("the buffer is unbounded"),
            }
        }
        assert_eq!(out.len(), 1500, "the bucket's tokens go as the records arrive");
        assert_eq!((l.buffered(), l.stats.buffer_high_water), (500, 500), "only the rest waits");
        l.release(t0, |t, b| out.push((t, b)), &mut expired);
        assert_eq!(out.len(), 1500, "no token left in the same instant");
        assert_eq!(l.stats.held_back, 0, "sent in the turn they were offered");
        out.clear();
        l.release(t0 + Duration::from_millis(100), |t, b| out.push((t, b)), &mut expired);
        assert_eq!(out.len(), 150, "1,500/s × 0.1 s");
        assert_eq!(l.stats.held_back, 150);
        assert!(expired.is_empty());
        // The next token is there 0.67 ms later; the record goes at the next drain.
        assert_eq!(l.next_release(), Some(t0 + Duration::from_millis(125)));
    }

    /// A record held back goes at the first drain after its tokens are there, and one
    /// whose tokens are there at a drain goes at that drain: drains are every 25 ms from
    /// the limiter's start.
    #[test]
    fn held_back_records_leave_at_the_drains() {
        let t0 = Instant::now();
        let mut l = Limiter::new(config(ProducerModel::Kpl { rate_limit: 1.0 }), 1, t0);
        l.shards[0].records.tokens = 0.0;
        assert_eq!(l.offer(0, 1, 10, t0 + Duration::from_secs(5), t0), Offered::Queued);
        // One token a millisecond at 1,000/s: there at 1 ms; the drain is at 25 ms.
        assert_eq!(l.next_release(), Some(t0 + Duration::from_millis(25)));
        assert_eq!(l.drain_at_or_after(t0 + Duration::from_millis(50)), t0 + Duration::from_millis(50));
        assert_eq!(l.drain_at_or_after(t0), t0);
        // A deadline nearer than the tokens: the record expires at the drain after it.
        let mut l = Limiter::new(config(ProducerModel::Kpl { rate_limit: 1.0 }), 1, t0);
        l.shards[0].records.tokens = -100.0;
        assert_eq!(l.offer(0, 2, 10, t0 + Duration::from_millis(30), t0), Offered::Queued);
        assert_eq!(l.next_release(), Some(t0 + Duration::from_millis(50)));
        let (mut out, mut expired) = (Vec::new(), Vec::new());
        l.release(t0 + Duration::from_millis(50), |t, b| out.push((t, b)), &mut expired);
        assert_eq!((out.len(), expired), (0, vec![2]));
    }

    /// A record whose shard has records waiting queues behind them, tokens or not: a
    /// shard's records leave in the order they came, a throttled one requeued at the front
    /// first.
    #[test]
    fn a_shard_with_records_waiting_keeps_its_order() {
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(5);
        let mut l = Limiter::new(config(ProducerModel::Kpl { rate_limit: 1.0 }), 1, t0);
        l.shards[0].records.tokens = 0.0;
        assert_eq!(l.offer(0, 1, 10, deadline, t0), Offered::Queued);
        l.requeue(0, 0, 10, deadline, t0);
        l.shards[0].records.tokens = 5.0;
        assert_eq!(l.offer(0, 2, 10, deadline, t0), Offered::Queued, "behind the records waiting");
        let (mut out, mut expired) = (Vec::new(), Vec::new());
        l.release(t0, |t, _| out.push(t), &mut expired);
        assert_eq!(out, vec![0, 1, 2]);
        assert_eq!(l.offer(0, 3, 10, deadline, t0), Offered::Now(3), "nothing waits: it goes at once");
    }

    /// Adaptive: a tenth of a second's burst, then the quota; a shard that throttles 40%
    /// of its records is cut by a quarter of that, 10%; a second held back without
    /// throttling grows it by a quarter of the way back (0.25 × 0.1 = 0.025).
    #[test]
    fn the_adaptive_rate_backs_off_and_grows_back() {
        let t0 = Instant::now();
        let mut l = Limiter::new(config(ProducerModel::Adaptive), 2, t0);
        l.shards[0].records.tokens = 0.0;
        l.shards[1].records.tokens = 0.0;
        for i in 0..10 {
            assert_eq!(l.offer(0, i, 100, t0 + Duration::from_secs(30), t0), Offered::Queued);
        }
        assert_eq!(l.offer(1, 99, 100, t0 + Duration::from_secs(30), t0), Offered::Full(99), "the buffer holds 10");
        assert_eq!(l.stats.buffer_full, 1);
        // A record whose shard has nothing waiting and a token needs no room in the buffer.
        l.shards[1].records.tokens = 1.0;
        assert_eq!(l.offer(1, 98, 100, t0 + Duration::from_secs(30), t0), Offered::Now(98));
        assert_eq!(l.stats.buffer_full, 1);
        l.on_answer(0, 60, 40, t0 + Duration::from_millis(300));
        assert!((l.shards[0].scale - 0.9).abs() < 1e-12);
        assert_eq!(l.shards[1].scale, 1.0, "the other shard keeps its rate");
        // The second it throttled in does not grow it; the next, held back and without
        // throttling, does.
        l.second(t0 + Duration::from_secs(1));
        assert!((l.shards[0].scale - 0.9).abs() < 1e-12);
        let (mut out, mut expired) = (Vec::new(), Vec::new());
        l.shards[0].records.tokens = 0.0;
        l.shards[0].records.last = t0 + Duration::from_secs(1);
        l.release(t0 + Duration::from_secs(1), |t, b| out.push((t, b)), &mut expired);
        assert!(out.is_empty(), "no tokens: held back");
        l.second(t0 + Duration::from_secs(2));
        assert!((l.shards[0].scale - 0.925).abs() < 1e-12, "{}", l.shards[0].scale);
        assert_eq!(l.stats.rate_decreases, 1);
        assert!((l.stats.lowest_rate_share - 0.9).abs() < 1e-12);
    }

    #[test]
    fn records_past_their_deadline_expire_in_the_queue() {
        let t0 = Instant::now();
        let mut l = Limiter::new(config(ProducerModel::Kpl { rate_limit: 1.0 }), 1, t0);
        l.shards[0].records.tokens = 0.0;
        assert_eq!(l.offer(0, 1, 10, t0 + Duration::from_millis(1), t0), Offered::Queued);
        assert_eq!(l.offer(0, 2, 10, t0 + Duration::from_secs(5), t0), Offered::Queued);
        let (mut out, mut expired) = (Vec::new(), Vec::new());
        l.release(t0 + Duration::from_millis(2), |t, b| out.push((t, b)), &mut expired);
        assert_eq!(expired, vec![1]);
        assert_eq!(out.len(), 1, "2 ms at 1,000/s refill two tokens: the live record goes");
        assert_eq!(l.stats.expired_waiting, 1);
        assert!(l.is_empty());
        assert!(l.waiting.is_empty(), "an emptied shard leaves the waiting list");
        // Of a thousand shards, only the one with a record is looked at, and it leaves
        // the list once released.
        let mut many = Limiter::new(config(ProducerModel::Adaptive), 1000, t0);
        many.shards[999].records.tokens = 0.0;
        assert_eq!(many.offer(999, 7, 10, t0 + Duration::from_secs(5), t0), Offered::Queued);
        assert_eq!(many.waiting, vec![999]);
        out.clear();
        many.release(t0 + Duration::from_millis(10), |t, b| out.push((t, b)), &mut expired);
        assert_eq!((out.len(), many.waiting.len()), (1, 0));
    }
}
