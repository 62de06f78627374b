//! The driver: runs the schedule against a sink, on an absolute timeline.
//!
//! The *i*-th event is due at `t0 + offset(i)`. The driver sleeps until the next due time,
//! generates every event due by now (at most [`MAX_BURST`] per turn, so a driver that fell
//! behind catches up in bounded steps and still serves its timers), and hands them to the
//! batcher. Requests go out through a semaphore of `max_in_flight` permits: when all are
//! taken the driver waits, its events fall behind their due times, and the corrected
//! latency shows it. With a pacing producer model ([`crate::load::producer`]) every
//! record first waits in its predicted shard's queue until the shard's buckets let it go,
//! and a throttled record goes back to the front of that queue; with the naive model,
//! records the stream throttles or fails are retried with exponential backoff and full
//! jitter. Either way a record is given up when its time-to-live, counted from the
//! intended send time, runs out. Every generated event ends in exactly one ledger bucket:
//! accepted, expired or rejected.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::{mpsc, Notify, Semaphore};

use crate::load::aggregator::{Aggregate, AggregationConfig, Aggregator};
use crate::load::backoff::BackoffQueue;
use crate::load::batcher::{BatchLimits, Batcher};
use crate::load::generator::Generator;
use crate::load::producer::{Limiter, Offered, ProducerConfig, ProducerStats};
use crate::load::schedule::{Arrivals, RateProfile, Schedule};
use crate::load::split::{StartAt, WorkerSplit};
use crate::measure::{Ledger, Reservoir, RunStats, TimelinePoint, Tracer};
use crate::sink::hash_ranges::{hash_key, shard_for};
use crate::sink::{PutEntry, PutResult, RecordSink, Route, SinkError};
use crate::stop::Stop;

/// How late the schedule may end and still count as offered on time (a busy host's
/// scheduling noise; a producer that cannot keep up ends seconds late).
pub const LOAD_END_SLACK: Duration = Duration::from_millis(250);

/// Events generated per driver turn at most.
pub const MAX_BURST: usize = 2_048;

/// How long before the event that completes a request is due the driver wakes for it, when
/// it sleeps until then instead of waking for every event (from further than twice this
/// away). Timers fire up to a few milliseconds late after a long sleep on a busy machine;
/// from this close the driver sleeps again, until that event is due.
const FILL_AHEAD: Duration = Duration::from_millis(5);
/// Closer than this to the fill (at the profile's rate), the driver wakes for each event: a
/// sleep shorter than tokio's timer resolution (1 ms) saves nothing, and at high rates the
/// look-ahead through the schedule would cost more than it saves.
const FILL_NEAR: Duration = Duration::from_millis(1);

/// How the load is offered.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverConfig {
    /// The rate over time.
    pub profile: RateProfile,
    /// Uniform or Poisson arrivals.
    pub arrivals: Arrivals,
    /// Length of the schedule.
    pub duration: Duration,
    /// Seed of the schedule (Poisson arrivals) and the retry jitter's independence.
    pub seed: u64,
    /// Request limits and linger.
    pub batch: BatchLimits,
    /// Requests in flight at most.
    pub max_in_flight: usize,
    /// Longest time an event may take to be accepted, from its intended send time.
    pub record_ttl: Duration,
    /// First retry backoff ceiling.
    pub retry_base: Duration,
    /// Largest retry backoff ceiling.
    pub retry_cap: Duration,
    /// An event handed to the batcher later than this after its due time is late (beyond
    /// the linger the driver waits on purpose at a low rate: see `drive`).
    pub late_threshold: Duration,
    /// Accepted valid events to sample for end-to-end verification (0: none).
    pub trace_sample: usize,
    /// How records are paced per shard.
    pub producer: ProducerConfig,
    /// KPL aggregation of user records per shard (`None`: one event per Kinesis record).
    pub aggregation: Option<AggregationConfig>,
    /// This process's share of a load split over workers.
    pub worker: WorkerSplit,
    /// When the schedule starts on the wall clock (`None`: now).
    pub start_at: Option<StartAt>,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            profile: RateProfile::Constant { rps: 100.0 },
            arrivals: Arrivals::Uniform,
            duration: Duration::from_secs(60),
            seed: 1,
            batch: BatchLimits::default(),
            max_in_flight: 64,
            record_ttl: Duration::from_secs(30),
            retry_base: Duration::from_millis(50),
            retry_cap: Duration::from_secs(2),
            late_threshold: Duration::from_millis(10),
            trace_sample: 0,
            producer: ProducerConfig::default(),
            aggregation: None,
            worker: WorkerSplit::ALONE,
            start_at: None,
        }
    }
}

/// What a drive produced.
#[derive(Debug)]
pub struct Driven {
    /// Everything measured.
    pub stats: RunStats,
    /// Events offered per user index, for the users the run met (the generator's count).
    pub user_events: Vec<(usize, u64)>,
    /// From the first due time to the last acknowledgment.
    pub elapsed: Duration,
    /// The load window: from the first due time until the schedule ended (its last event
    /// generated, or the stop request), never shorter than the scheduled duration unless
    /// the run was stopped.
    pub load_elapsed: Duration,
    /// Events the stream accepted within the load window.
    pub accepted_in_load: u64,
    /// Stopped early by the caller (Ctrl-C).
    pub interrupted: bool,
    /// Stopped early because the target failed for good.
    pub fatal: Option<String>,
    /// What the producer model did (`None`: the naive model, which paces nothing).
    pub producer: Option<ProducerStats>,
    /// Events of this worker's schedule that were due before it joined a load that had
    /// already started (`--start-at` in the past): never sent, not in the ledger.
    pub missed_at_start: u64,
    /// Turns of the driver's loop, each after a sleep or a notice (or none, when it was
    /// already behind): what its wake-ups cost (`docs/performance.md`, "Wake-ups").
    pub turns: u64,
}

/// Called once a second with the finished interval; fills in what the sink knows
/// (backlog, iterator age, end-to-end latency) and reports progress.
pub type IntervalHook<'a> = &'a mut dyn FnMut(&mut TimelinePoint, &Ledger);

struct Pending {
    entry: PutEntry,
    /// The shard it is predicted to land on (pacing models; 0 otherwise).
    shard: usize,
    intended: Instant,
    first_sent: Option<Instant>,
    attempts: u32,
    invalid: bool,
    throttled: bool,
    not_before: Instant,
    /// Boxed: a run without verification has none, and a record is moved by value
    /// several times between the generator and the request (48 bytes inline).
    trace: Option<Box<Tracer>>,
    /// The user records of a KPL aggregate (`None`: the record is one event, described by
    /// `intended`, `invalid` and `trace`).
    members: Option<Vec<Member>>,
}

/// One user record of an aggregate.
struct Member {
    intended: Instant,
    invalid: bool,
    trace: Option<Box<Tracer>>,
    /// Its explicit hash key, or none.
    route: Route,
}

/// A request is made of the pending records themselves (see [`RecordSink::put_records`]).
impl std::borrow::Borrow<PutEntry> for Pending {
    fn borrow(&self) -> &PutEntry {
        &self.entry
    }
}

/// The sink may take an accepted record's data (the local stream model does).
impl std::borrow::BorrowMut<PutEntry> for Pending {
    fn borrow_mut(&mut self) -> &mut PutEntry {
        &mut self.entry
    }
}

impl Pending {
    /// Events this Kinesis record carries.
    fn events(&self) -> u64 {
        self.members.as_ref().map_or(1, |m| m.len() as u64)
    }

    /// A closed aggregate as one record to send: its deadline is its oldest member's.
    fn of_aggregate(g: Aggregate<Member>, now: Instant) -> Self {
        let intended = g.members.iter().map(|m| m.intended).min().unwrap_or(now);
        let user_records = g.members.len() as u32;
        Pending {
            entry: PutEntry {
                data: g.data,
                partition_key: g.partition_key,
                route: g.members.first().map_or(Route::KEY, |m| m.route),
                user_records,
            },
            shard: g.shard,
            intended,
            first_sent: None,
            attempts: 0,
            invalid: false,
            throttled: false,
            not_before: now,
            trace: None,
            members: Some(g.members),
        }
    }
}

/// A new record into the batcher, through the producer's limiter for a pacing model
/// (which may hold it back, or count it in `buffer_full` when its buffer is full); a batch
/// that filled comes back to be sent. Straight, not through a vector of the turn's
/// records: a `Pending` is 168 bytes, and moving it was most of the driver's `memmove`.
fn admit(
    p: Pending,
    limiter: &mut Option<Limiter<Pending>>,
    batcher: &mut Batcher<Pending>,
    record_ttl: Duration,
    now: Instant,
    buffer_full: &mut u64,
) -> Option<Vec<Pending>> {
    let size = p.entry.quota_bytes();
    let p = match limiter {
        Some(l) => {
            let (shard, deadline) = (p.shard, p.intended + record_ttl);
            match l.offer(shard, p, size, deadline, now) {
                Offered::Now(p) => p,
                Offered::Queued => return None,
                Offered::Full(p) => {
                    *buffer_full += p.events();
                    return None;
                }
            }
        }
        None => p,
    };
    let since = p.not_before.min(now);
    batcher.push(p, size, since)
}

fn events_of(items: &[Pending]) -> u64 {
    items.iter().map(Pending::events).sum()
}

/// State shared by the driver and its sender tasks.
struct Shared<S> {
    sink: Arc<S>,
    stats: Mutex<RunStats>,
    retry_tx: mpsc::UnboundedSender<Pending>,
    stopping: AtomicBool,
    fatal: Mutex<Option<String>>,
    /// A spawned send finished: its answers, retries and permit are for the driver.
    wake: Notify,
    /// Answers per shard since the loop last looked (accepted, throttled), for the
    /// adaptive producer.
    feedback: Mutex<Vec<(usize, u64, u64)>>,
    config: DriverConfig,
    /// Where the sink's one-second windows begin.
    origin: Instant,
}

impl<S: RecordSink> Shared<S> {
    fn lock(&self) -> std::sync::MutexGuard<'_, RunStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `p` for another attempt, or expires it when its time is up or the run stops.
    /// A throttled record of a pacing producer goes back at once (its shard's buckets pace
    /// it); everything else waits an exponential backoff with full jitter.
    fn retry_or_expire(&self, mut p: Pending, now: Instant, ledger: &mut Ledger, throttled: bool) {
        let backoff = if throttled && self.config.producer.model.paces() {
            Duration::ZERO
        } else {
            let ceiling = self.config.retry_base.saturating_mul(1 << p.attempts.min(16)).min(self.config.retry_cap);
            Duration::from_nanos(rand::rng().random_range(0..=ceiling.as_nanos() as u64))
        };
        let age = now.saturating_duration_since(p.intended) + backoff;
        if self.stopping.load(Ordering::Relaxed) || age > self.config.record_ttl {
            ledger.expired += p.events();
            return;
        }
        p.attempts += 1;
        p.not_before = now + backoff;
        ledger.retries += 1;
        if let Err(mpsc::error::SendError(p)) = self.retry_tx.send(p) {
            ledger.expired += p.events();
        }
    }

    async fn send(self: Arc<Self>, mut batch: Vec<Pending>) {
        let start = Instant::now();
        // Each record's size, counted here: the sink may take an accepted record's data.
        let mut sizes = Vec::with_capacity(batch.len());
        for p in &mut batch {
            p.first_sent.get_or_insert(start);
            sizes.push(p.entry.quota_bytes() as u64);
        }
        let result = self.sink.put_records(&mut batch).await;
        let done = Instant::now();
        let mut guard = self.lock();
        let st = &mut *guard;
        st.service_time.record(done - start);
        // The stream's one-second window the whole answer falls in, relative to the one
        // the current interval counts.
        let window_offset = done.saturating_duration_since(self.origin).as_secs().saturating_sub(st.window) as usize;
        let shard_count = st.shards.len();
        let adaptive = matches!(self.config.producer.model, crate::load::producer::ProducerModel::Adaptive);
        let mut answers = adaptive.then(|| ShardAnswers::new(shard_count));
        // Events sent first in this request: their send-to-answer time is the request's,
        // recorded once for all of them below.
        let mut first_sends = 0u64;
        let mut answer = |shard: usize, accepted: u64, throttled: u64| {
            if let Some(a) = &mut answers {
                a.add(shard, accepted, throttled);
            }
        };
        match result {
            Ok(results) => {
                for ((mut p, r), size) in batch.into_iter().zip(results).zip(sizes) {
                    match r {
                        PutResult::Accepted { shard } => {
                            answer(shard, 1, 0);
                            let sent = done - p.first_sent.unwrap_or(start);
                            let first_send = p.first_sent == Some(start);
                            let retried = p.attempts > 0;
                            let mut accept = |intended: Instant, invalid: bool, trace: Option<Box<Tracer>>| {
                                st.ledger.accepted += 1;
                                st.interval.accepted += 1;
                                st.ledger.accepted_after_retry += u64::from(retried);
                                st.ledger.invalid_accepted += u64::from(invalid);
                                if let Some(t) = trace {
                                    st.tracers.offer(*t);
                                }
                                // The run's histogram takes each second's when it closes.
                                st.interval.put.record(done.saturating_duration_since(intended));
                                if first_send {
                                    first_sends += 1;
                                } else {
                                    st.put_uncorrected.record(sent);
                                }
                            };
                            match p.members.take() {
                                None => accept(p.intended, p.invalid, p.trace.take()),
                                Some(members) => {
                                    for m in members {
                                        accept(m.intended, m.invalid, m.trace);
                                    }
                                }
                            }
                            if let Some(s) = st.shards.get_mut(shard) {
                                s.records += 1;
                                s.bytes += size;
                            }
                            // By the stream's second of acceptance, so that a second never
                            // holds more than the stream let through in it.
                            st.interval.count_accepted(shard, window_offset, shard_count);
                        }
                        PutResult::Throttled { shard } => {
                            answer(shard.unwrap_or(p.shard), 0, 1);
                            st.ledger.throttled += 1;
                            st.interval.throttled += 1;
                            if let Some(s) = shard.and_then(|i| st.shards.get_mut(i)) {
                                s.throttled += 1;
                            }
                            let mut p = p;
                            if !p.throttled {
                                p.throttled = true;
                                st.ledger.throttled_events += p.events();
                            }
                            self.retry_or_expire(p, done, &mut st.ledger, true);
                        }
                        PutResult::Failed { .. } => {
                            st.ledger.failed_attempts += 1;
                            self.retry_or_expire(p, done, &mut st.ledger, false);
                        }
                    }
                }
            }
            Err(SinkError::Transient(_)) => {
                for p in batch {
                    st.ledger.failed_attempts += 1;
                    self.retry_or_expire(p, done, &mut st.ledger, false);
                }
            }
            Err(SinkError::Rejected(reason)) => {
                let events = events_of(&batch);
                st.ledger.rejected += events;
                *st.ledger.rejected_by_reason.entry(reason).or_default() += events;
            }
            Err(SinkError::Fatal(reason)) => {
                st.ledger.expired += events_of(&batch);
                self.fatal.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(reason);
                self.stopping.store(true, Ordering::Relaxed);
            }
        }
        if first_sends > 0 {
            st.put_uncorrected.record_n(done - start, first_sends);
        }
        drop(guard);
        if let Some(answers) = answers.filter(|a| !a.sums.is_empty()) {
            self.feedback.lock().unwrap_or_else(|p| p.into_inner()).extend(answers.sums);
        }
    }
}

/// A request's answers summed per shard, in the order of each shard's first answer: what
/// the adaptive producer learns from.
struct ShardAnswers {
    /// (shard, accepted, throttled).
    sums: Vec<(usize, u64, u64)>,
    /// Each listed shard's place in `sums` (`u32::MAX`: none yet). Searching `sums` per
    /// record was quadratic: at 1,250 shards a request of 500 records answers for ~400.
    place: Vec<u32>,
}

impl ShardAnswers {
    /// For a stream of `shards` shards.
    fn new(shards: usize) -> Self {
        ShardAnswers { sums: Vec::new(), place: vec![u32::MAX; shards] }
    }

    fn add(&mut self, shard: usize, accepted: u64, throttled: u64) {
        let known = match self.place.get(shard) {
            Some(&at) => (at != u32::MAX).then_some(at as usize),
            // A shard the stream did not list at the start (a reshard): searched for.
            None => self.sums.iter().position(|a| a.0 == shard),
        };
        let i = known.unwrap_or_else(|| {
            if let Some(at) = self.place.get_mut(shard) {
                *at = self.sums.len() as u32;
            }
            self.sums.push((shard, 0, 0));
            self.sums.len() - 1
        });
        self.sums[i].1 += accepted;
        self.sums[i].2 += throttled;
    }
}

/// Runs `config`'s schedule of events from `generator` into `sink` until done, or until
/// `stop` is requested (then the schedule stops, requests in flight settle, and events
/// still waiting for a retry expire). `hook` sees every finished second.
pub async fn drive<S: RecordSink>(
    sink: Arc<S>,
    mut generator: Generator,
    config: DriverConfig,
    hook: IntervalHook<'_>,
    mut stop: Stop,
) -> Driven {
    let (retry_tx, mut retry_rx) = mpsc::unbounded_channel();
    let origin = sink.second_origin().unwrap_or_else(Instant::now);
    let shared = Arc::new(Shared {
        stats: Mutex::new(RunStats {
            tracers: Reservoir::new(config.trace_sample, config.seed ^ 0x7ace),
            ..RunStats::new(sink.shard_count())
        }),
        sink,
        retry_tx,
        stopping: AtomicBool::new(false),
        fatal: Mutex::new(None),
        wake: Notify::new(),
        feedback: Mutex::new(Vec::new()),
        config: config.clone(),
        origin,
    });
    let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    // The global schedule (the same seed on every worker), this worker's every N-th event.
    let split = config.worker;
    let mut schedule =
        split.events_of(Schedule::new(&config.profile, config.arrivals, config.duration, config.seed)).peekable();
    let mut batcher: Batcher<Pending> = Batcher::new(config.batch);
    let mut retries: BackoffQueue<Pending> = BackoffQueue::new(Instant::now());
    // The schedule's start: now, or the load's start time on the wall clock (waited for,
    // or, when it has passed, joined where the schedule is).
    let mut late_by = Duration::ZERO;
    if let Some(start) = config.start_at {
        match start.at.duration_since(std::time::SystemTime::now()) {
            Ok(wait) => {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    () = stop.stopped() => {}
                }
            }
            Err(past) => late_by = past.duration(),
        }
    }
    let t0 = Instant::now().checked_sub(late_by).unwrap_or_else(Instant::now);
    // A pacing producer, and aggregation, predict each record's shard from the stream's
    // hash-key ranges.
    let paced = config.producer.model.paces();
    let predicts = paced || config.aggregation.is_some();
    let ranges = if predicts { shared.sink.hash_ranges() } else { Vec::new() };
    let mut limiter: Option<Limiter<Pending>> = paced.then(|| Limiter::new(config.producer, ranges.len(), t0));
    let mut aggregator: Option<Aggregator<Member>> = config.aggregation.map(|a| Aggregator::new(a, ranges.len()));
    let (mut full_batches, mut lapsed, mut closed) = (Vec::new(), Vec::new(), Vec::new());
    let t0_ms = retail_function::now_ms() - late_by.as_millis() as i64;
    // Joining late: the events due before now are missed, not sent.
    let mut missed_at_start = 0u64;
    while schedule.peek().is_some_and(|offset| *offset < late_by) {
        schedule.next();
        missed_at_start += 1;
    }
    let mut sequence = 0u64;
    let mut next_tick = t0 + Duration::from_secs(1);
    let linger = config.batch.linger;
    // This worker's events per second over the linger from `t` seconds into the schedule
    // (the profile's, at the higher end): what decides how the driver sleeps below. Known
    // from the start, where the count of a second just past would leave the first second
    // to wake for every event (about 740 wake-ups at 5,000 events/s).
    let rate_over = |t: f64| {
        let profile = &config.profile;
        (profile.rate_at(t).max(profile.rate_at(t + linger.as_secs_f64())) * split.share()).ceil() as u64
    };
    // How long after its due time the driver meant to hand over the next event when it
    // last went to sleep (the coalescing wait, or zero): an event is late only beyond it.
    let mut slack = Duration::ZERO;
    // Events made so far and their bytes: the mean record size the fill-time wake uses.
    let (mut made, mut made_bytes) = (0u64, 0u64);
    let mut interrupted = false;
    let mut turns = 0u64;
    // When the schedule ended, and what the stream had accepted by then.
    let mut load_end: Option<(Instant, u64)> = None;

    let send = |batch: Vec<Pending>, shared: &Arc<Shared<S>>, permits: &Arc<Semaphore>| {
        let shared = shared.clone();
        let permits = permits.clone();
        async move {
            if shared.sink.answers_inline() {
                // An in-process sink answers at once: a task per request would only add
                // thread wake-ups.
                shared.send(batch).await;
                return;
            }
            // Closed only if the semaphore is dropped, which it is not while we run.
            let Ok(permit) = permits.acquire_owned().await else {
                return;
            };
            tokio::spawn(async move {
                shared.clone().send(batch).await;
                drop(permit);
                // The driver may be asleep: it has answers and a permit to look at. (An
                // inline send returns to the driver itself, which is awake: a notice
                // would only store a permit that ends its next sleep at once.)
                shared.wake.notify_one();
            });
        }
    };

    loop {
        turns += 1;
        if !interrupted && stop.is_stopped() {
            interrupted = true;
            shared.stopping.store(true, Ordering::Relaxed);
        }
        let stopping = shared.stopping.load(Ordering::Relaxed);
        let now = Instant::now();

        // Retries whose backoff has passed, and the answers since the last turn, before
        // the turn's new records: a throttled record goes back to the front of its shard's
        // queue, where the new records of that shard wait behind it (a record whose shard
        // has nothing waiting goes straight to the batcher).
        while let Ok(p) = retry_rx.try_recv() {
            retries.push(p.not_before, p);
        }
        if stopping && !retries.is_empty() {
            shared.lock().ledger.expired += retries.drain().map(|p| p.events()).sum::<u64>();
        }
        let mut retried = 0u64;
        while let Some(p) = retries.pop_due(now) {
            retried += 1;
            let size = p.entry.quota_bytes();
            match &mut limiter {
                Some(l) => {
                    let (shard, deadline) = (p.shard, p.intended + config.record_ttl);
                    l.requeue(shard, p, size, deadline, now);
                }
                None => {
                    if let Some(batch) = batcher.push(p, size, now) {
                        send(batch, &shared, &permits).await;
                    }
                }
            }
        }
        if retried > 0 {
            shared.lock().interval.retries += retried;
        }
        if let Some(l) = &mut limiter {
            let answers = std::mem::take(&mut *shared.feedback.lock().unwrap_or_else(|p| p.into_inner()));
            for (shard, accepted, throttled) in answers {
                l.on_answer(shard, accepted, throttled, now);
            }
        }

        // Events due by now.
        let (mut generated, mut late, mut invalid, mut offered, mut buffer_full) = (0u64, 0u64, 0u64, 0u64, 0u64);
        while !stopping && (generated as usize) < MAX_BURST {
            let Some(&offset) = schedule.peek() else {
                break;
            };
            let due = t0 + offset;
            if due > now {
                break;
            }
            schedule.next();
            let rec = generator.next_record(t0_ms + offset.as_millis() as i64, sequence);
            sequence += 1;
            generated += 1;
            if now.saturating_duration_since(due) > config.late_threshold + slack {
                late += 1;
            }
            // The key's hash, where the generator keeps it (once per user) or a predicting
            // driver needs it (once per record); the entry carries it on to the stream.
            let route = match rec.explicit_hash_key {
                Some(h) => Route::explicit(h),
                None => match rec.key_hash.or_else(|| predicts.then(|| hash_key(&rec.partition_key))) {
                    Some(h) => Route::key_hash(h),
                    None => Route::KEY,
                },
            };
            let entry = PutEntry { data: rec.data, partition_key: rec.partition_key, route, user_records: 1 };
            let size = entry.quota_bytes();
            offered += size as u64;
            invalid += u64::from(rec.invalid.is_some());
            let shard = match route.known() {
                Some(hash) if predicts => shard_for(hash, &ranges),
                _ => 0,
            };
            let trace = (config.trace_sample > 0 && rec.invalid.is_none()).then(|| {
                Box::new(Tracer {
                    user_id: generator.user_id(rec.user),
                    event_id: rec.event_id,
                    timestamp_ms: t0_ms + offset.as_millis() as i64,
                })
            });
            if let Some(a) = &mut aggregator {
                let member = Member {
                    intended: due,
                    invalid: rec.invalid.is_some(),
                    trace,
                    route: Route::explicit_or_key(route.explicit_hash_key()),
                };
                closed.extend(a.push(shard, &entry.partition_key, entry.data, member, now));
                continue;
            }
            let p = Pending {
                entry,
                shard,
                intended: due,
                first_sent: None,
                attempts: 0,
                invalid: rec.invalid.is_some(),
                throttled: false,
                not_before: due,
                trace,
                members: None,
            };
            if let Some(batch) = admit(p, &mut limiter, &mut batcher, config.record_ttl, now, &mut buffer_full) {
                send(batch, &shared, &permits).await;
            }
        }
        // Aggregates that filled, or whose linger ended (all of them once the schedule is
        // over), become records to send.
        if let Some(a) = &mut aggregator {
            if stopping || schedule.peek().is_none() {
                a.take_all(&mut closed);
            } else {
                a.poll(now, &mut closed);
            }
            for g in closed.drain(..) {
                let p = Pending::of_aggregate(g, now);
                if let Some(batch) = admit(p, &mut limiter, &mut batcher, config.record_ttl, now, &mut buffer_full) {
                    send(batch, &shared, &permits).await;
                }
            }
        }
        made += generated;
        made_bytes += offered;
        if generated > 0 || buffer_full > 0 {
            let mut st = shared.lock();
            st.ledger.generated += generated;
            st.ledger.late_sends += late;
            st.ledger.invalid_injected += invalid;
            st.interval.generated += generated;
            st.interval.late += late;
            st.offered_bytes += offered;
            st.ledger.expired += buffer_full;
        }

        if let Some(l) = &mut limiter {
            if stopping {
                lapsed.extend(l.drain_all());
            } else {
                let to_batcher = |p: Pending, size| {
                    let since = p.not_before.min(now);
                    full_batches.extend(batcher.push(p, size, since));
                };
                l.release(now, to_batcher, &mut lapsed);
            }
            if !lapsed.is_empty() {
                shared.lock().ledger.expired += events_of(&lapsed);
                lapsed.clear();
            }
            for batch in full_batches.drain(..) {
                send(batch, &shared, &permits).await;
            }
        }
        let schedule_done = stopping || schedule.peek().is_none();
        if schedule_done && load_end.is_none() {
            load_end = Some((now, shared.lock().ledger.accepted));
        }
        let flush = if schedule_done { batcher.take() } else { batcher.poll(now) };
        if let Some(batch) = flush {
            send(batch, &shared, &permits).await;
        }

        // Once a second: close the interval.
        if now >= next_tick {
            if let Some(l) = &mut limiter {
                l.second(now);
            }
            close_interval(&shared, &config, t0, now, hook);
            next_tick += Duration::from_secs(1);
        }

        let idle = permits.available_permits() == config.max_in_flight.max(1);
        let waiting =
            limiter.as_ref().is_some_and(|l| !l.is_empty()) || aggregator.as_ref().is_some_and(|a| !a.is_empty());
        if schedule_done && batcher.is_empty() && retries.is_empty() && idle && retry_rx.is_empty() && !waiting {
            break;
        }

        let mut wake = next_tick.min(now + Duration::from_millis(100));
        slack = Duration::ZERO;
        if !schedule_done {
            if let Some(&offset) = schedule.peek() {
                let due = t0 + offset;
                // Wake for the next event only when its request would be sent anyway:
                // after the batcher's linger (which counts from the event's due time,
                // not from when it was made), or when the request fills. The requests
                // leave at the same moments and every latency is measured from the same
                // due times, with a fraction of the wake-ups: each costs about 35 µs of
                // CPU on a virtual machine before any work (docs/performance.md,
                // "Wake-ups"). The wait is chosen, so it does not make an event late
                // (`slack`). Never with aggregation (its own linger counts from arrival).
                //
                // At a rate that cannot fill half a request within the linger, that is
                // the linger. Otherwise it is when the event that completes the request is
                // due (the schedule is known ahead; sizes taken at the mean so far): from
                // further than twice `FILL_AHEAD` at the rate, `FILL_AHEAD` before it,
                // then at it; closer than `FILL_NEAR`, the driver wakes for each event.
                let rate = rate_over(offset.as_secs_f64());
                let sparse = rate.saturating_mul(linger.as_micros() as u64)
                    < (config.batch.max_records as u64 / 2).saturating_mul(1_000_000);
                let linger_end = due + linger;
                let planned = if aggregator.is_some() {
                    due
                } else if sparse {
                    linger_end
                } else {
                    let mean_size = made_bytes.checked_div(made).unwrap_or(1) as usize;
                    let k = batcher.items_to_fill(mean_size);
                    // Whether the fill is further than `d` at the rate.
                    let beyond = |d: Duration| (k as u64 * 1_000_000) > rate.saturating_mul(d.as_micros() as u64);
                    if beyond(FILL_NEAR) {
                        let fill = schedule.clone().nth(k - 1).map(|fill| t0 + fill);
                        // A long sleep ends up to a few ms later than asked: `FILL_AHEAD`
                        // early from far, then at the fill, so that the request leaves as
                        // soon as it is full.
                        let ahead = if beyond(2 * FILL_AHEAD) { FILL_AHEAD } else { Duration::ZERO };
                        fill.map_or(linger_end, |fill| fill.checked_sub(ahead).unwrap_or(due).clamp(due, linger_end))
                    } else {
                        due
                    }
                };
                wake = wake.min(planned);
                slack = planned.saturating_duration_since(due);
            }
        }
        if let Some(d) = batcher.deadline() {
            wake = wake.min(d);
        }
        if let Some(at) = retries.next_at() {
            wake = wake.min(at);
        }
        if let Some(at) = limiter.as_ref().and_then(Limiter::next_release) {
            wake = wake.min(at);
        }
        if let Some(at) = aggregator.as_ref().and_then(Aggregator::deadline) {
            wake = wake.min(at);
        }
        if wake > Instant::now() {
            tokio::select! {
                _ = tokio::time::sleep_until(wake.into()) => {}
                Some(p) = retry_rx.recv() => retries.push(p.not_before, p),
                _ = shared.wake.notified() => {}
                () = stop.stopped(), if !interrupted => {}
            }
        }
    }
    let end = Instant::now();
    // Close the last, partial second unless it is an empty sliver.
    let last_t = shared.lock().timeline.last().map_or(0.0, |p| p.t);
    let active = {
        let st = shared.lock();
        st.interval.generated + st.interval.accepted + st.interval.throttled > 0
    };
    if active || end.duration_since(t0).as_secs_f64() - last_t > 0.1 {
        close_interval(&shared, &config, t0, end, hook);
    }
    let fatal = shared.fatal.lock().unwrap_or_else(|p| p.into_inner()).take();
    let stats = std::mem::replace(&mut *shared.lock(), RunStats::new(0));
    let (load_end, accepted_in_load) = load_end.unwrap_or((end, stats.ledger.accepted));
    let mut load_elapsed = load_end.duration_since(t0);
    if !interrupted {
        // A schedule that ends within LOAD_END_SLACK of its time counts as on time.
        load_elapsed = load_elapsed.saturating_sub(LOAD_END_SLACK).max(config.duration);
    }
    let user_events = generator.user_events();
    let producer = limiter.map(|l| l.stats);
    Driven {
        stats,
        user_events,
        elapsed: end - t0,
        load_elapsed,
        accepted_in_load,
        interrupted,
        fatal,
        producer,
        missed_at_start,
        turns,
    }
}

fn close_interval<S: RecordSink>(
    shared: &Shared<S>,
    config: &DriverConfig,
    t0: Instant,
    now: Instant,
    hook: IntervalHook<'_>,
) {
    let mut st = shared.lock();
    let t = now.duration_since(t0).as_secs_f64();
    let secs = (t - st.timeline.last().map_or(0.0, |p| p.t)).max(1e-3);
    let shards = st.shards.len();
    let mut interval = std::mem::take(&mut st.interval);
    st.put_corrected.merge(&interval.put);
    // This interval takes its window; the windows after it carry over.
    let shard_records = interval.shard_windows.pop_front().unwrap_or_else(|| vec![0; shards]);
    st.interval.shard_windows = std::mem::take(&mut interval.shard_windows);
    st.window += 1;
    let put = interval.put.percentiles();
    let mut point = TimelinePoint {
        t,
        // After the schedule ends (while the last requests settle) nothing is asked for.
        target_rps: if t - secs / 2.0 < config.duration.as_secs_f64() {
            config.profile.rate_at((t - secs / 2.0).max(0.0)) * config.worker.share()
        } else {
            0.0
        },
        generated_rps: interval.generated as f64 / secs,
        achieved_rps: interval.accepted as f64 / secs,
        late: interval.late,
        throttled: interval.throttled,
        retries: interval.retries,
        put_p50_ms: put.p50,
        put_p99_ms: put.p99,
        put_max_ms: put.max,
        shard_records,
        put_histogram: interval.put.to_base64(),
        ..TimelinePoint::default()
    };
    let ledger = st.ledger.clone();
    drop(st);
    hook(&mut point, &ledger);
    shared.lock().timeline.push(point);
}

#[cfg(test)]
mod tests {
    use std::borrow::BorrowMut;

    use super::*;
    use crate::load::generator::GeneratorConfig;

    /// One sum per shard, in the order the shards first answered, for the stream's listed
    /// shards and for one it did not list.
    #[test]
    fn answers_are_summed_per_shard_in_order_of_first_answer() {
        let mut answers = ShardAnswers::new(4);
        for (shard, accepted, throttled) in
            [(2, 1, 0), (0, 1, 0), (2, 0, 1), (7, 1, 0), (0, 1, 0), (7, 0, 1), (2, 1, 0)]
        {
            answers.add(shard, accepted, throttled);
        }
        assert_eq!(answers.sums, vec![(2, 2, 1), (0, 2, 0), (7, 1, 1)]);
    }

    /// A stream of `shards` shards that takes every record at once, in the driver's call.
    struct Accepting {
        shards: usize,
    }

    impl RecordSink for Accepting {
        async fn put_records<E: BorrowMut<PutEntry> + Send>(
            &self,
            entries: &mut [E],
        ) -> Result<Vec<PutResult>, SinkError> {
            Ok(entries.iter().map(|_| PutResult::Accepted { shard: 0 }).collect())
        }

        fn shard_count(&self) -> usize {
            self.shards
        }

        fn hash_ranges(&self) -> Vec<(u128, u128)> {
            crate::sink::hash_ranges::even_ranges(self.shards)
        }

        fn answers_inline(&self) -> bool {
            true
        }
    }

    /// Turns of the driver for 1.5 s of 5,000 events/s with `linger`, into `shards` shards
    /// (16: each well under its 1,000 records/s, the producer paces nothing; 4: each over
    /// it, the producer holds records back).
    async fn turns_at_5000(linger: Duration, shards: usize) -> u64 {
        let config = DriverConfig {
            profile: RateProfile::Constant { rps: 5_000.0 },
            duration: Duration::from_millis(1_500),
            batch: BatchLimits { linger, ..BatchLimits::default() },
            ..DriverConfig::default()
        };
        let generator = Generator::new(GeneratorConfig::default());
        let driven = drive(Arc::new(Accepting { shards }), generator, config, &mut |_, _| {}, Stop::never()).await;
        let ledger = &driven.stats.ledger;
        assert!(ledger.generated >= 7_499 && ledger.accepted == ledger.generated, "{ledger:?}");
        driven.turns
    }

    /// The driver wakes when a request must leave, from the first second on: at a linger
    /// the rate cannot fill half a request in, once per linger; where it fills within the
    /// linger, twice per request (shortly before the fill, and at it). Waking for each
    /// event instead (tokio's timer ticks every millisecond) would be over 1,000 turns.
    /// Timers that fire late make fewer turns, never more.
    #[tokio::test]
    async fn the_driver_wakes_when_a_request_must_leave() {
        // 5 ms: 25 events per linger, a request of 500 never fills. About 300 turns.
        let turns = turns_at_5000(Duration::from_millis(5), 16).await;
        assert!(turns < 450, "{turns} turns at a 5 ms linger");
        // 100 ms: a request fills in about 100 ms. About 30 turns.
        let turns = turns_at_5000(Duration::from_millis(100), 16).await;
        assert!(turns < 100, "{turns} turns at a 100 ms linger");
    }

    /// Records a pacing producer holds back leave at its drains, every 25 ms, not as each
    /// token arrives: 4 shards at 1,250 records/s each, over their 1,000, for 1.5 s, then
    /// the records held back. Woken for each token, the driver took about 1,200 turns.
    #[tokio::test]
    async fn records_held_back_leave_at_the_producers_drains() {
        let turns = turns_at_5000(Duration::from_millis(5), 4).await;
        assert!(turns < 500, "{turns} turns over the shards' quota");
    }
}
