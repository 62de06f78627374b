//! Realistic retail events, fast: a pure, seeded generator of encoded Kinesis records.
//!
//! Users walk sessions through the view → add_to_cart → purchase funnel: a cart event
//! adds the product the user last viewed, a purchase buys what is in the cart, a purchase
//! or a long session starts a new session. Event types follow the configured mix exactly
//! in expectation; products follow a Zipf popularity; users follow the configured
//! popularity (uniform, Zipf, or a few hot keys). User agents come from a pool built once
//! with `fake`, IP addresses are made from the user's index; each user keeps theirs.
//! Encoding is hand-written into a kept buffer, then copied into the record's own
//! allocation; a user's state is 32 bytes (64 with its key's hash, `UserSlots`), its
//! `userId` is made from its index, and its state, its user agent and the event's product
//! entry (`products`) are asked for four events ahead, so the working set per user stays
//! small, a wake-up after a sleep waits for few misses, and one core makes millions of
//! events per second.
//!
//! `--invalid-rate` replaces a share of events with records the function must
//! dead-letter (broken JSON, no `userId`, blank `eventType`, a timestamp in seconds,
//! bytes that are not UTF-8).

use fake::faker::internet::en::UserAgent;
use fake::Fake;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::load::event_id::uuid_text;
use crate::load::keys::{KeyModel, Popularity, UserPicker};
use crate::load::per_user::{PerUser, DENSE_USERS};
use crate::load::products::{Draw, Products};
use crate::load::split::splitmix64;
use crate::sink::hash_ranges::hash_key;
use crate::sink::{PartitionKey, Payload};

/// Relative weights of the three event types.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventMix {
    /// Weight of `view`.
    pub view: f64,
    /// Weight of `add_to_cart`.
    pub add_to_cart: f64,
    /// Weight of `purchase`.
    pub purchase: f64,
}

impl Default for EventMix {
    /// A typical e-commerce funnel: most events are views.
    fn default() -> Self {
        Self { view: 70.0, add_to_cart: 20.0, purchase: 10.0 }
    }
}

/// Everything that shapes the generated events.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Seed of every random choice: the same seed gives the same events.
    pub seed: u64,
    /// Distinct users.
    pub users: usize,
    /// How often each user appears.
    pub popularity: Popularity,
    /// Distinct products.
    pub products: usize,
    /// Zipf exponent of product popularity.
    pub product_zipf: f64,
    /// Event type weights.
    pub mix: EventMix,
    /// Average record size to pad events to, if any.
    pub payload_bytes: Option<usize>,
    /// Share of records made invalid on purpose (0–1).
    pub invalid_rate: f64,
    /// How partition keys are chosen.
    pub keys: KeyModel,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            users: 100_000,
            popularity: Popularity::Uniform,
            products: 10_000,
            product_zipf: 1.1,
            mix: EventMix::default(),
            payload_bytes: None,
            invalid_rate: 0.0,
            keys: KeyModel::User,
        }
    }
}

/// The kinds of deliberately invalid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// JSON cut in half.
    BrokenJson,
    /// No `userId`.
    MissingUser,
    /// `eventType` is blank.
    BlankType,
    /// `timestamp` in epoch seconds.
    SecondsTimestamp,
    /// Bytes that are not UTF-8.
    NotUtf8,
}

/// One generated record, ready for a `PutRecords` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedRecord {
    /// The record data (JSON, or deliberately broken bytes).
    pub data: Payload,
    /// The partition key.
    pub partition_key: PartitionKey,
    /// An explicit hash key, when the key model spreads records over shards itself.
    pub explicit_hash_key: Option<u128>,
    /// The partition key's MD5 hash key when the generator keeps it (see `UserSlots`):
    /// the driver and the local stream route by it instead of hashing the key again.
    pub key_hash: Option<u128>,
    /// The event's `eventId` as 128 bits (tracer sampling uses it).
    pub event_id: u128,
    /// `Some` when the record was made invalid on purpose.
    pub invalid: Option<InvalidKind>,
    /// Index of the event's user (per-key load is counted by it, exactly).
    pub user: usize,
}

/// A user's state: 32 bytes, no pointer (the `userId` is made from the index). Small on
/// purpose: a population of millions keeps one per user met.
#[derive(Debug, Clone, Copy)]
struct UserSlot {
    session: u64,
    /// Events generated for the user (per-key load is counted from it, exactly).
    events: u64,
    /// The product last viewed in the session, or [`NONE`].
    last_viewed: u32,
    /// The product in the cart, or [`NONE`].
    carted: u32,
    events_in_session: u16,
}

/// No product (products are numbered from 0, far below it).
const NONE: u32 = u32::MAX;

fn user_slot(_index: usize) -> UserSlot {
    UserSlot { session: 0, events: 0, last_viewed: NONE, carted: NONE, events_in_session: 0 }
}

/// A user's state with the MD5 hash key of its partition key beside it, in one cache
/// line: one miss brings both.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct HashedSlot {
    state: UserSlot,
    /// 0 until the user's first event (an MD5 of 0 would only be hashed again).
    key_hash: u128,
}

fn hashed_slot(index: usize) -> HashedSlot {
    HashedSlot { state: user_slot(index), key_hash: 0 }
}

/// The users' state. Where the partition key is the user's id (the `user` key model, the
/// default) its hash key never changes, so a population kept whole (at most
/// [`DENSE_USERS`], 16 MiB of 64-byte slots) keeps each user's hash in its slot: hashed
/// once per user, not once per event (MD5 was a tenth of the driver thread's CPU at
/// 1,000,000 events/s). A larger population keeps 32-byte slots for the users met, and
/// the driver hashes per event: a hash in every slot would cost such a run up to three
/// times the memory (docs/performance.md).
enum UserSlots {
    Hashed(PerUser<HashedSlot>),
    Plain(PerUser<UserSlot>),
}

impl UserSlots {
    fn new(users: usize, keys: &KeyModel) -> Self {
        if matches!(keys, KeyModel::User) && users <= DENSE_USERS {
            UserSlots::Hashed(PerUser::new(users, hashed_slot))
        } else {
            UserSlots::Plain(PerUser::new(users, user_slot))
        }
    }

    fn users(&self) -> usize {
        match self {
            UserSlots::Hashed(t) => t.users(),
            UserSlots::Plain(t) => t.users(),
        }
    }

    fn prefetch(&self, index: usize) {
        match self {
            UserSlots::Hashed(t) => t.prefetch(index),
            UserSlots::Plain(t) => t.prefetch(index),
        }
    }

    fn get_mut(&mut self, index: usize) -> &mut UserSlot {
        match self {
            UserSlots::Hashed(t) => &mut t.get_mut(index).state,
            UserSlots::Plain(t) => t.get_mut(index),
        }
    }

    /// User `index`'s hash key, `user_id` being its partition key, where it is kept.
    fn key_hash(&mut self, index: usize, user_id: &str) -> Option<u128> {
        let UserSlots::Hashed(t) = self else {
            return None;
        };
        let slot = t.get_mut(index);
        if slot.key_hash == 0 {
            slot.key_hash = hash_key(user_id);
        }
        Some(slot.key_hash)
    }

    /// Events per user, for the users that had any.
    fn user_events(&self) -> Vec<(usize, u64)> {
        let events = |(i, s): (usize, &UserSlot)| (s.events > 0).then_some((i, s.events));
        match self {
            UserSlots::Hashed(t) => t.iter().filter_map(|(i, s)| events((i, &s.state))).collect(),
            UserSlots::Plain(t) => t.iter().filter_map(events).collect(),
        }
    }

    /// Slots held.
    #[cfg(test)]
    fn len(&self) -> usize {
        match self {
            UserSlots::Hashed(t) => t.len(),
            UserSlots::Plain(t) => t.len(),
        }
    }
}

fn product_or(p: u32, other: u32) -> u32 {
    if p == NONE {
        other
    } else {
        p
    }
}

/// Strings end to end in one buffer: one allocation, and no pointer to follow per draw.
struct Pool {
    text: Vec<u8>,
    ends: Vec<u32>,
}

impl Pool {
    fn new(items: impl Iterator<Item = String>) -> Self {
        let (mut text, mut ends) = (Vec::new(), Vec::new());
        for s in items {
            text.extend_from_slice(s.as_bytes());
            ends.push(text.len() as u32);
        }
        Pool { text, ends }
    }

    /// Where item `i` lies in the text.
    fn span(&self, i: usize) -> Span {
        Span { start: if i == 0 { 0 } else { self.ends[i - 1] }, end: self.ends[i] }
    }

    fn get(&self, span: Span) -> &[u8] {
        &self.text[span.start as usize..span.end as usize]
    }
}

/// An item's place in a [`Pool`].
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn len(self) -> usize {
        (self.end - self.start) as usize
    }
}

/// The generator. Construct once per run (pools are built here), then call
/// [`Generator::next_record`] per event.
pub struct Generator {
    rng: SmallRng,
    config: GeneratorConfig,
    users: UserPicker,
    /// Each user's session, made when the user is first drawn.
    user_slots: UserSlots,
    /// JSON-escaped once, at construction, so events copy them without scanning.
    user_agents: Pool,
    /// The buffer each record is encoded into (kept, so it stays in the cache).
    scratch: Vec<u8>,
    /// The users and product draws of the next [`LOOKAHEAD`] events, taken ahead so that
    /// the user's state, its user agent and the product's entry are fetched from memory
    /// while the events before them are encoded.
    next: [Ahead; LOOKAHEAD],
    next_at: usize,
    prices_cents: Vec<u32>,
    /// Zipf popularity of products: O(1) draws, one line read each.
    products: Products,
    mix_cut: [f64; 2],
    sessions_started: u64,
}

/// An event's user, its user agent and the event's product draw, taken [`LOOKAHEAD`]
/// events before it.
#[derive(Debug, Clone, Copy, Default)]
struct Ahead {
    user: usize,
    agent: Span,
    product: Draw,
}

/// Distinct user agents in the pool.
const USER_AGENT_POOL: usize = 500;
/// Events after which a session ends even without a purchase (on average).
const MEAN_SESSION_EVENTS: u16 = 12;
/// Events whose users are drawn ahead (enough to hide a memory access at millions of
/// events per second).
const LOOKAHEAD: usize = 4;

impl Generator {
    /// Builds the pools for `config`.
    pub fn new(config: GeneratorConfig) -> Self {
        let mut rng = SmallRng::seed_from_u64(config.seed);
        let users = config.users.max(1);
        let user_agents =
            Pool::new((0..USER_AGENT_POOL).map(|_| json_escaped(&UserAgent().fake_with_rng::<String, _>(&mut rng))));
        let products = config.products.max(1);
        // Log-uniform prices from $1 to $500, fixed per product.
        let prices_cents: Vec<u32> = (0..products).map(|_| (100.0 * 500f64.powf(rng.random::<f64>())) as u32).collect();
        let s = config.product_zipf.max(0.0);
        let weights: Vec<f64> = (1..=products).map(|k| (k as f64).powf(-s)).collect();
        let products = Products::new(&weights);
        let m = config.mix;
        let total = (m.view + m.add_to_cart + m.purchase).max(f64::MIN_POSITIVE);
        let picker = UserPicker::new(users, &config.popularity);
        let next = std::array::from_fn(|_| {
            let user = picker.pick(&mut rng);
            Ahead { user, agent: user_agents.span(user % USER_AGENT_POOL), product: products.draw(rng.random()) }
        });
        Generator {
            users: picker,
            next,
            next_at: 0,
            user_slots: UserSlots::new(users, &config.keys),
            user_agents,
            scratch: Vec::with_capacity(1024),
            prices_cents,
            products,
            mix_cut: [m.view / total, (m.view + m.add_to_cart) / total],
            rng,
            config,
            sessions_started: 0,
        }
    }

    /// The `userId` of user `index` (made from the index, inline: no allocation).
    pub fn user_id(&self, index: usize) -> PartitionKey {
        user_partition_key(index % self.user_slots.users())
    }

    /// Events generated per user, for the users that had any (in no particular order).
    pub fn user_events(&self) -> Vec<(usize, u64)> {
        self.user_slots.user_events()
    }

    /// The configuration this generator was built with.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The next record, whose event is due at `timestamp_ms` (epoch ms); `sequence` is the
    /// event's position in the run (explicit hash keys use it to spread evenly).
    pub fn next_record(&mut self, timestamp_ms: i64, sequence: u64) -> GeneratedRecord {
        // This event's user and product were drawn LOOKAHEAD events ago; draw the ones
        // after them, and ask for what they will read.
        let this = self.next[self.next_at];
        let later = self.users.pick(&mut self.rng);
        // The pool's size a constant: a multiplication, not a division.
        let agent = self.user_agents.span(later % USER_AGENT_POOL);
        let ahead = Ahead { user: later, agent, product: self.products.draw(self.rng.random()) };
        self.next[self.next_at] = ahead;
        self.next_at = (self.next_at + 1) % LOOKAHEAD;
        self.user_slots.prefetch(ahead.user);
        crate::prefetch::address(self.user_agents.get(ahead.agent).as_ptr(), ahead.agent.len());
        self.products.prefetch(ahead.product);
        let user = this.user;
        let event_id: u128 = self.rng.random();
        let invalid =
            (self.config.invalid_rate > 0.0 && self.rng.random::<f64>() < self.config.invalid_rate).then(|| match self
                .rng
                .random_range(0..5)
            {
                0 => InvalidKind::BrokenJson,
                1 => InvalidKind::MissingUser,
                2 => InvalidKind::BlankType,
                3 => InvalidKind::SecondsTimestamp,
                _ => InvalidKind::NotUtf8,
            });
        let user_id = user_partition_key(user);
        // Encoded into the kept buffer, then copied into an allocation of the record's own
        // exact size. Not split off a shared chunk: a record kept for long (in a lagging
        // shard's backlog, a throttled shard's queue) would keep its chunk's other records'
        // memory too, up to the shard count times the data held.
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        self.encode_event(this, &user_id, event_id, timestamp_ms, invalid, &mut b);
        let data = Payload::from(&b[..]);
        self.scratch = b;
        let (partition_key, explicit_hash_key) = self.config.keys.key_for(&user_id, event_id, sequence);
        let key_hash = self.user_slots.key_hash(user, &partition_key);
        GeneratedRecord { data, partition_key, explicit_hash_key, key_hash, event_id, invalid, user }
    }

    fn encode_event(
        &mut self,
        Ahead { user, agent, product }: Ahead,
        user_id: &str,
        event_id: u128,
        ts: i64,
        invalid: Option<InvalidKind>,
        b: &mut Vec<u8>,
    ) {
        let roll: f64 = self.rng.random();
        let zipf_product = self.products.product(product);
        let st = self.user_slots.get_mut(user);
        st.events += 1;
        if st.events_in_session == 0 {
            self.sessions_started += 1;
            st.session = self.sessions_started ^ (self.config.seed.rotate_left(17));
            st.last_viewed = NONE;
            st.carted = NONE;
        }
        st.events_in_session += 1;
        let (kind, product) = if roll < self.mix_cut[0] {
            st.last_viewed = zipf_product;
            ("view", zipf_product)
        } else if roll < self.mix_cut[1] {
            let p = product_or(st.last_viewed, zipf_product);
            st.carted = p;
            ("add_to_cart", p)
        } else {
            let p = product_or(product_or(st.carted, st.last_viewed), zipf_product);
            st.events_in_session = 0; // a purchase ends the session
            ("purchase", p)
        };
        if st.events_in_session >= MEAN_SESSION_EVENTS * 2 {
            st.events_in_session = 0;
        }
        let session = st.session;
        let quantity = 1 + (self.rng.random::<u32>().trailing_zeros().min(4));
        let ua = self.user_agents.get(agent);

        if invalid == Some(InvalidKind::NotUtf8) {
            b.extend_from_slice(b"\xff\xfe{\"userId\":\"");
            b.extend_from_slice(user_id.as_bytes());
            b.extend_from_slice(b"\"}");
            return;
        }
        b.extend_from_slice(b"{\"eventId\":\"");
        b.extend_from_slice(&uuid_text(event_id));
        if invalid != Some(InvalidKind::MissingUser) {
            b.extend_from_slice(b"\",\"userId\":\"");
            // `user-NNNNNNN`: nothing to escape.
            b.extend_from_slice(user_id.as_bytes());
        }
        b.extend_from_slice(b"\",\"sessionId\":\"");
        b.extend_from_slice(&uuid_text(u128::from(session) << 64 | user as u128));
        b.extend_from_slice(b"\",\"eventType\":\"");
        if invalid != Some(InvalidKind::BlankType) {
            b.extend_from_slice(kind.as_bytes());
        }
        b.extend_from_slice(b"\",\"productId\":\"P");
        push_padded(b, u64::from(product) + 1, 5);
        b.extend_from_slice(b"\",\"timestamp\":");
        let ts = if invalid == Some(InvalidKind::SecondsTimestamp) { ts / 1000 } else { ts };
        b.extend_from_slice(itoa::Buffer::new().format(ts).as_bytes());
        b.extend_from_slice(b",\"userAgent\":\"");
        b.extend_from_slice(ua);
        b.extend_from_slice(b"\",\"ipAddress\":\"");
        push_ipv4(b, user, self.config.seed);
        b.push(b'"');
        if kind != "view" {
            let cents = self.prices_cents[product as usize];
            b.extend_from_slice(b",\"price\":");
            b.extend_from_slice(itoa::Buffer::new().format(cents / 100).as_bytes());
            b.push(b'.');
            push_padded(b, u64::from(cents % 100), 2);
            b.extend_from_slice(b",\"quantity\":");
            b.extend_from_slice(itoa::Buffer::new().format(quantity).as_bytes());
            b.extend_from_slice(b",\"currency\":\"USD\"");
        }
        if let Some(avg) = self.config.payload_bytes {
            // Sizes spread ±20% around the average; padding only ever adds.
            let target = (avg as f64 * (0.8 + 0.4 * self.rng.random::<f64>())) as usize;
            let room = target.saturating_sub(b.len() + 10);
            if room > 0 {
                b.extend_from_slice(b",\"pad\":\"");
                b.resize(b.len() + room, b'x');
                b.push(b'"');
            }
        }
        b.push(b'}');
        if invalid == Some(InvalidKind::BrokenJson) {
            b.truncate(b.len() / 2);
        }
    }
}

/// The mean data size of `config`'s records, bytes, over a sample of `n` (what
/// `--payload-bytes` pads up to, or the events' own size without it).
pub fn mean_data_bytes(config: GeneratorConfig, n: usize) -> f64 {
    let mut g = Generator::new(config);
    let n = n.max(1);
    let total: usize = (0..n as u64).map(|i| g.next_record(1_764_000_000_000 + i as i64, i).data.len()).sum();
    total as f64 / n as f64
}

/// The `userId` (and default partition key) of user `index`.
pub fn user_key(index: usize) -> String {
    user_partition_key(index).to_string()
}

/// The `userId` of user `index`, `user-` and at least seven digits, as a partition key
/// made without allocating (it fits inline).
pub fn user_partition_key(index: usize) -> PartitionKey {
    let mut digits = itoa::Buffer::new();
    // Built from `&str` pieces, so nothing is checked again as UTF-8 (that was 5% of the
    // generator's instructions); inline (no allocation) up to 23 bytes, which any index
    // below 10^18 fits.
    ["user-", padded(&mut digits, index as u64, 7)].into_iter().collect()
}

/// `v` in decimal, zero-padded to `width` digits (at most 18), in `buf`: below 10^width,
/// the last `width` digits of 10^width + v, so the padding costs no loop.
fn padded(buf: &mut itoa::Buffer, v: u64, width: u32) -> &str {
    debug_assert!(width <= 18, "10^width + v must fit in a u64");
    match 10u64.checked_pow(width).filter(|&p| v < p).and_then(|p| p.checked_add(v)) {
        Some(lifted) => &buf.format(lifted)[1..],
        None => buf.format(v),
    }
}

/// User `user`'s IP address: four octets mixed from the user's index and the run's seed,
/// the same for every event of the user (a session comes from one address). Made, not
/// looked up: a pool of 20,000 addresses cost two cache misses per event at 5,000
/// events/s, where the generator's tables are cold at every wake-up.
fn push_ipv4(out: &mut Vec<u8>, user: usize, seed: u64) {
    let octets = (splitmix64(user as u64 ^ seed) as u32).to_be_bytes();
    // Each octet's digits are stored whole (3 bytes), then the length moves past those
    // that count: no division, no branch per digit.
    let mut text = [b'.'; 16];
    let mut n = 0;
    for octet in octets {
        let [digits @ .., len] = OCTET_TEXT[usize::from(octet)];
        text[n..n + 3].copy_from_slice(&digits);
        n += usize::from(len);
        text[n] = b'.';
        n += 1;
    }
    out.extend_from_slice(&text[..n - 1]);
}

/// Each byte value's decimal digits, then their count (1 KiB, built at compile time).
const OCTET_TEXT: [[u8; 4]; 256] = {
    let mut table = [[0u8; 4]; 256];
    let mut v = 0;
    while v < 256 {
        let (h, t, u) = ((v / 100) as u8, (v / 10 % 10) as u8, (v % 10) as u8);
        table[v] = if v >= 100 {
            [b'0' + h, b'0' + t, b'0' + u, 3]
        } else if v >= 10 {
            [b'0' + t, b'0' + u, 0, 2]
        } else {
            [b'0' + u, 0, 0, 1]
        };
        v += 1;
    }
    table
};

fn push_padded(out: &mut Vec<u8>, v: u64, width: u32) {
    out.extend_from_slice(padded(&mut itoa::Buffer::new(), v, width).as_bytes());
}

/// `s` JSON-escaped, without the quotes.
fn json_escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use retail_events::Event;

    const TS: i64 = 1_764_000_000_000;

    fn generate(config: GeneratorConfig, n: usize) -> Vec<GeneratedRecord> {
        let mut g = Generator::new(config);
        (0..n).map(|i| g.next_record(TS + i as i64, i as u64)).collect()
    }

    /// Ten million users cost only the users a run meets: a hundred events hold at most a
    /// hundred users' state (it used to be a gigabyte made up front).
    #[test]
    fn memory_follows_the_users_met_not_the_users_named() {
        let mut g = Generator::new(GeneratorConfig { users: crate::config::MAX_USERS, ..GeneratorConfig::default() });
        let users: std::collections::HashSet<usize> = (0..100).map(|i| g.next_record(TS + i, i as u64).user).collect();
        assert_eq!(g.user_slots.len(), users.len());
        assert!(users.iter().any(|&u| u > DENSE_USERS), "users are drawn from the whole range");
    }

    #[test]
    fn events_are_valid_and_follow_the_contract() {
        for r in generate(GeneratorConfig::default(), 2_000) {
            let text = std::str::from_utf8(&r.data).unwrap();
            let ev = Event::from_json(text).unwrap();
            ev.validate(TS).unwrap();
            assert_eq!(Some(&*r.partition_key), ev.user_id.as_deref());
            let id = ev.event_id.as_deref().unwrap();
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "4", "version-4 UUID");
            let kind = ev.event_type.as_deref().unwrap();
            assert_eq!(ev.price.is_some(), kind != "view", "{text}");
        }
    }

    #[test]
    fn each_user_keeps_one_ipv4_address() {
        let records = generate(GeneratorConfig { users: 200, ..GeneratorConfig::default() }, 5_000);
        let mut by_user = std::collections::HashMap::new();
        for r in &records {
            let event: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
            let ip = event["ipAddress"].as_str().unwrap().to_string();
            assert!(ip.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.to_string() == ip), "{ip}");
            assert_eq!(by_user.entry(r.user).or_insert_with(|| ip.clone()), &ip, "user {}", r.user);
        }
        let distinct: std::collections::HashSet<_> = by_user.values().collect();
        assert!(distinct.len() > 190, "{} addresses for {} users", distinct.len(), by_user.len());
        // Every octet length, 0 and 255 included.
        for user in 0..2_000 {
            let mut b = Vec::new();
            push_ipv4(&mut b, user, 7);
            let text = std::str::from_utf8(&b).unwrap();
            assert!(text.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.to_string() == text), "{text}");
        }
    }

    #[test]
    fn numbers_are_written_as_std_writes_them() {
        for v in 0..=255u8 {
            let [digits @ .., len] = OCTET_TEXT[usize::from(v)];
            assert_eq!(&digits[..usize::from(len)], v.to_string().as_bytes());
        }
        for v in [0, 1, 9, 10, 99, 100, 12_345, 99_999, 100_000, 1_234_567, 9_999_999, 10_000_000, u64::MAX] {
            for width in [1, 2, 5, 7, 18] {
                let mut b = Vec::new();
                push_padded(&mut b, v, width);
                assert_eq!(b, format!("{v:0w$}", w = width as usize).as_bytes(), "{v} to {width} digits");
            }
        }
        for index in [0, 7, 1_234_567, 9_999_999, 10_000_000, 123_456_789_012, usize::MAX] {
            assert_eq!(user_partition_key(index), format!("user-{index:07}"));
        }
    }

    /// The user key model over a population kept whole carries each key's hash; other key
    /// models and larger populations leave the hashing to the driver.
    #[test]
    fn the_hash_key_is_kept_for_user_keys_of_a_whole_population() {
        // 50 users over 1,000 events: every user's kept hash is used many times.
        for r in generate(GeneratorConfig { users: 50, ..GeneratorConfig::default() }, 1_000) {
            assert_eq!(r.key_hash, Some(hash_key(&r.partition_key)), "{}", r.partition_key);
        }
        for keys in [KeyModel::Random, KeyModel::explicit(4)] {
            for r in generate(GeneratorConfig { keys: keys.clone(), ..GeneratorConfig::default() }, 100) {
                assert_eq!(r.key_hash, None, "the driver hashes {} keys itself", keys.name());
            }
        }
        for r in generate(GeneratorConfig { users: DENSE_USERS + 1, ..GeneratorConfig::default() }, 100) {
            assert_eq!(r.key_hash, None, "a population kept per user met has 32-byte slots");
        }
        assert_eq!(std::mem::size_of::<UserSlot>(), 32);
        assert_eq!(std::mem::size_of::<HashedSlot>(), 64);
    }

    #[test]
    fn same_seed_same_events() {
        let a = generate(GeneratorConfig::default(), 100);
        let b = generate(GeneratorConfig::default(), 100);
        assert_eq!(a, b);
        let c = generate(GeneratorConfig { seed: 2, ..GeneratorConfig::default() }, 100);
        assert_ne!(a, c);
    }

    #[test]
    fn mix_is_respected_and_funnel_is_coherent() {
        let config = GeneratorConfig { users: 50, ..GeneratorConfig::default() };
        let records = generate(config, 30_000);
        let mut counts = [0usize; 3];
        let mut last_view = std::collections::HashMap::new();
        let mut coherent_carts = 0;
        for r in &records {
            let ev = Event::from_json(std::str::from_utf8(&r.data).unwrap()).unwrap();
            let user = ev.user_id.clone().unwrap().into_owned();
            let product = ev.product_id.clone().unwrap().into_owned();
            match ev.event_type.as_deref().unwrap() {
                "view" => {
                    counts[0] += 1;
                    last_view.insert(user, product);
                }
                "add_to_cart" => {
                    counts[1] += 1;
                    if last_view.get(&user) == Some(&product) {
                        coherent_carts += 1;
                    }
                }
                _ => counts[2] += 1,
            }
        }
        let share = |c: usize| c as f64 / records.len() as f64;
        assert!((share(counts[0]) - 0.7).abs() < 0.02, "{counts:?}");
        assert!((share(counts[1]) - 0.2).abs() < 0.02, "{counts:?}");
        assert!((share(counts[2]) - 0.1).abs() < 0.02, "{counts:?}");
        assert!(coherent_carts as f64 > 0.8 * counts[1] as f64, "carts add the product last viewed");
    }

    #[test]
    fn payload_size_average_is_met() {
        let config = GeneratorConfig { payload_bytes: Some(1_000), ..GeneratorConfig::default() };
        let records = generate(config, 5_000);
        let avg = records.iter().map(|r| r.data.len()).sum::<usize>() as f64 / 5_000.0;
        assert!((avg - 1_000.0).abs() < 20.0, "{avg}");
        for r in records.iter().take(50) {
            assert!(Event::from_json(std::str::from_utf8(&r.data).unwrap()).is_ok());
        }
    }

    #[test]
    fn invalid_records_are_invalid() {
        let config = GeneratorConfig { invalid_rate: 0.2, ..GeneratorConfig::default() };
        let records = generate(config, 5_000);
        let invalid: Vec<_> = records.iter().filter(|r| r.invalid.is_some()).collect();
        assert!((invalid.len() as f64 / 5_000.0 - 0.2).abs() < 0.03);
        for r in invalid {
            let bad = match std::str::from_utf8(&r.data) {
                Err(_) => true,
                Ok(text) => Event::from_json(text).map_or(true, |e| e.validate(TS).is_err()),
            };
            assert!(bad, "{:?} produced a valid event", r.invalid);
        }
    }
}
