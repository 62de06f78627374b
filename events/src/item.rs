//! The DynamoDB item the function writes for each valid event, and the table key scheme.
//!
//! Table key: hash key `userId`, range key `eventKey` = `<13-digit epoch ms>#<id>`. The
//! zero-padded time prefix keeps a user's events ordered by time under a plain string
//! sort; `<id>` is the event's `eventId` or, when a producer sent none, the record's
//! `<shardId>:<sequenceNumber>`. Both are unique per event and identical on every
//! redelivery of the same record, so a retried batch overwrites its own items instead of
//! adding copies. Items carry `expiresAt` (epoch seconds) for DynamoDB TTL.
//!
//! The key and the insight text are *derived* attributes: the item keeps their parts and
//! [`StoredItem::key`] compares and hashes them without building strings; the text is
//! made once, by whichever store encodes the item. The batch path thus allocates nothing
//! per item for them.

use serde_json::value::RawValue;

use crate::event::{Event, EventType, Str};
use crate::flat_json::Shape;
use crate::limits::MAX_ITEM_BYTES;
use crate::validate::ValidationError;

/// Attribute names of the stored item, shared by the adapters, the infra and the tests.
pub mod attr {
    /// Hash key.
    pub const USER_ID: &str = "userId";
    /// Range key.
    pub const EVENT_KEY: &str = "eventKey";
    /// The TTL attribute (epoch seconds).
    pub const EXPIRES_AT: &str = "expiresAt";
    /// When the function built the item (epoch ms).
    pub const PROCESSED_AT: &str = "processedAt";
    /// Kinesis's approximate arrival time of the record (epoch ms).
    pub const ARRIVAL_TIMESTAMP: &str = "arrivalTimestamp";
    /// The event time used in the key (epoch ms).
    pub const EVENT_TIMESTAMP: &str = "eventTimestamp";
    /// Map of the event's unknown fields.
    pub const EXTRA: &str = "extra";
}

/// Where a stored item's event time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampSource {
    /// The event's own `timestamp`.
    Event,
    /// The event had none; Kinesis's approximate arrival time was used.
    Arrival,
}

impl TimestampSource {
    /// The stored label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Arrival => "arrival",
        }
    }
}

/// Facts about the Kinesis record that carried the event.
#[derive(Debug, Clone, Copy)]
pub struct RecordMeta<'a> {
    /// `shardId-000000000000` style shard id.
    pub shard_id: &'a str,
    /// The record's sequence number within its shard.
    pub sequence_number: &'a str,
    /// `approximateArrivalTimestamp` in epoch milliseconds.
    pub arrival_ms: i64,
    /// The user record's index in its KPL aggregate, if the record was one.
    pub sub_sequence: Option<u64>,
}

/// One item of the events table.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem<'a> {
    /// Hash key: the event's `userId`.
    pub user_id: Str<'a>,
    /// The validated event, every field as sent (including unknown ones).
    pub event: Event<'a>,
    /// The classified event type.
    pub event_type: EventType<'a>,
    /// The event time used in the key (epoch ms).
    pub event_timestamp: i64,
    /// Whether `event_timestamp` came from the event or from Kinesis.
    pub timestamp_source: TimestampSource,
    /// Engagement score of the event type.
    pub event_score: u32,
    /// When the item was built (epoch ms).
    pub processed_at: i64,
    /// Kinesis approximate arrival time (epoch ms).
    pub arrival_timestamp: i64,
    /// Shard the record came from.
    pub shard_id: Str<'a>,
    /// The record's sequence number.
    pub sequence_number: Str<'a>,
    /// The user record's index in its KPL aggregate, if it came in one (part of the key).
    pub sub_sequence: Option<u64>,
    /// TTL attribute, epoch seconds.
    pub expires_at: i64,
}

/// Why a record's bytes did not become an item.
#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    /// The bytes are not an event object.
    #[error(transparent)]
    Decode(#[from] crate::decode::DecodeError),
    /// The event breaks the contract.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// A value of one attribute of a [`StoredItem`], for adapters that encode items.
#[derive(Debug, Clone)]
pub enum AttrValue<'i> {
    /// A string.
    S(&'i str),
    /// A string derived from the item's parts (the range key, the insight), built only by
    /// an encoder that needs its text.
    Derived(Derived<'i>),
    /// An integer number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// The unknown fields, as raw JSON values.
    Extra(&'i [(Str<'i>, Box<RawValue>)]),
}

/// What makes an item's range key unique: the event id, or the record's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyId<'i> {
    /// The event's `eventId`.
    Event(&'i str),
    /// `<shardId>:<sequenceNumber>`, for events sent without an `eventId`, and
    /// `:<subSequenceNumber>` after it for a user record of a KPL aggregate.
    Record {
        /// The shard.
        shard_id: &'i str,
        /// The sequence number.
        sequence_number: &'i str,
        /// The user record's index in its aggregate, if it came in one.
        sub_sequence: Option<u64>,
    },
}

/// The table key of an item, in parts: compares like the key strings do, without
/// building them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemKey<'i> {
    /// Hash key.
    pub user_id: &'i str,
    /// Time part of the range key, epoch ms.
    pub timestamp_ms: i64,
    /// Identity part of the range key.
    pub id: KeyId<'i>,
}

/// Hashes the parts where the keys of one batch differ: the time, and the last eight
/// bytes and the length of each string (a user id's number, a sequence number's low
/// digits, the end of an event id), not every byte (whole strings cost ~150
/// instructions per record in the function's duplicate check). Equal keys hash equally,
/// since everything hashed is part of what [`PartialEq`] compares. It is a map's hash,
/// not a digest: a digest standing in for the key hashes every part (`KeyId`'s own
/// `Hash` reads every byte).
impl std::hash::Hash for ItemKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        fn tail(s: &str) -> u64 {
            let b = s.as_bytes();
            let n = b.len().min(8);
            let mut last = [0u8; 8];
            last[..n].copy_from_slice(&b[b.len() - n..]);
            u64::from_le_bytes(last) ^ (b.len() as u64).rotate_left(56)
        }
        state.write_u64(tail(self.user_id));
        state.write_i64(self.timestamp_ms);
        match self.id {
            KeyId::Event(id) => state.write_u64(tail(id)),
            KeyId::Record { shard_id, sequence_number, sub_sequence } => {
                state.write_u64(tail(shard_id) ^ tail(sequence_number).rotate_left(32));
                state.write_u64(sub_sequence.unwrap_or(u64::MAX));
            }
        }
    }
}

impl ItemKey<'_> {
    /// The range key string: `<epoch ms, 13 digits>#<eventId or shardId:sequenceNumber>`.
    pub fn event_key(&self) -> String {
        let mut key = String::with_capacity(self.event_key_len());
        self.push_event_key(&mut key);
        key
    }

    /// Appends the range key string to `out`.
    pub fn push_event_key(&self, out: &mut String) {
        push_padded_ms(out, self.timestamp_ms);
        out.push('#');
        match self.id {
            KeyId::Event(id) => out.push_str(id),
            KeyId::Record { shard_id, sequence_number, sub_sequence } => {
                out.push_str(shard_id);
                out.push(':');
                out.push_str(sequence_number);
                if let Some(sub) = sub_sequence {
                    use std::fmt::Write;
                    // Writing to a String cannot fail.
                    let _ = write!(out, ":{sub}");
                }
            }
        }
    }

    /// The range key string's length in bytes, without building it.
    pub fn event_key_len(&self) -> usize {
        14 + match self.id {
            KeyId::Event(id) => id.len(),
            KeyId::Record { shard_id, sequence_number, sub_sequence } => {
                shard_id.len() + 1 + sequence_number.len() + sub_sequence.map_or(0, |sub| 1 + decimal_digits(sub))
            }
        }
    }
}

/// Digits of `v` in decimal.
fn decimal_digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// A string attribute derived from the item's parts: its length is known without
/// building it (the size estimate needs only that), and an encoder that needs the text
/// writes it with [`Derived::push_to`].
#[derive(Debug, Clone, Copy)]
pub enum Derived<'i> {
    /// The range key (see [`ItemKey::event_key`]).
    EventKey(ItemKey<'i>),
    /// `User <id> <action> product <productId or unknown>`.
    Insight {
        /// The user id.
        user_id: &'i str,
        /// The event type's verb (`viewed`, …).
        action: &'i str,
        /// The product id, or `unknown`.
        product: &'i str,
    },
}

impl Derived<'_> {
    const USER: &'static str = "User ";
    const PRODUCT: &'static str = " product ";

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Derived::EventKey(key) => key.event_key_len(),
            Derived::Insight { user_id, action, product } => {
                Self::USER.len() + user_id.len() + 1 + action.len() + Self::PRODUCT.len() + product.len()
            }
        }
    }

    /// Whether the text is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the text to `out`.
    pub fn push_to(&self, out: &mut String) {
        match self {
            Derived::EventKey(key) => key.push_event_key(out),
            Derived::Insight { user_id, action, product } => {
                out.push_str(Self::USER);
                out.push_str(user_id);
                out.push(' ');
                out.push_str(action);
                out.push_str(Self::PRODUCT);
                out.push_str(product);
            }
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.len());
        self.push_to(&mut out);
        out
    }
}

/// The range key for an event: `<epoch ms, 13 digits>#<eventId or shardId:sequenceNumber>`.
pub fn event_key(timestamp_ms: i64, event_id: Option<&str>, meta: &RecordMeta<'_>) -> String {
    let id = match event_id {
        Some(id) => KeyId::Event(id),
        None => KeyId::Record {
            shard_id: meta.shard_id,
            sequence_number: meta.sequence_number,
            sub_sequence: meta.sub_sequence,
        },
    };
    ItemKey { user_id: "", timestamp_ms, id }.event_key()
}

fn push_padded_ms(out: &mut String, ms: i64) {
    // Validated timestamps are between 2000 and 2286, so 13 digits always suffice; a
    // negative arrival time (never sent by Kinesis) is clamped rather than mis-sorted.
    let mut digits = [b'0'; 13];
    let mut v = ms.clamp(0, 9_999_999_999_999) as u64;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits).unwrap_or_default());
}

impl<'a> StoredItem<'a> {
    /// Validates `event` (see [`Event::validate`]) and builds its item, for the record
    /// `meta`, processed at `processed_at_ms`, expiring `ttl_secs` after that.
    pub fn build(
        event: Event<'a>,
        meta: &RecordMeta<'a>,
        processed_at_ms: i64,
        ttl_secs: i64,
    ) -> Result<Self, ValidationError> {
        let mut item = Self::pending(event, meta, processed_at_ms, ttl_secs);
        item.complete()?;
        Ok(item)
    }

    /// Decodes `json` and builds its item straight into `out`, without moving the item
    /// (the Lambda's batch path). On error `out` is `None`. `shape` carries the layout of
    /// the events decoded before this one (one [`Shape`] per batch).
    pub fn decode_into(
        json: &'a str,
        meta: &RecordMeta<'a>,
        processed_at_ms: i64,
        ttl_secs: i64,
        shape: &mut Shape,
        out: &mut Option<Self>,
    ) -> Result<(), ItemError> {
        let item = out.insert(Self::pending(Event::default(), meta, processed_at_ms, ttl_secs));
        let result = Event::decode_into_default(json, &mut item.event, shape)
            .map_err(ItemError::Decode)
            .and_then(|()| item.complete().map_err(ItemError::Invalid));
        if result.is_err() {
            *out = None;
        }
        result
    }

    /// An item whose derived fields are not yet set; [`StoredItem::complete`] sets them.
    fn pending(event: Event<'a>, meta: &RecordMeta<'a>, processed_at_ms: i64, ttl_secs: i64) -> Self {
        StoredItem {
            user_id: Str::Borrowed(""),
            event,
            event_type: EventType::View,
            event_score: 0,
            event_timestamp: meta.arrival_ms,
            timestamp_source: TimestampSource::Arrival,
            processed_at: processed_at_ms,
            arrival_timestamp: meta.arrival_ms,
            shard_id: Str::Borrowed(meta.shard_id),
            sequence_number: Str::Borrowed(meta.sequence_number),
            sub_sequence: meta.sub_sequence,
            expires_at: processed_at_ms.div_euclid(1000) + ttl_secs,
        }
    }

    /// Validates the event and derives the fields that depend on it.
    fn complete(&mut self) -> Result<(), ValidationError> {
        self.event.validate(self.processed_at)?;
        // Both present and non-blank: `validate` checked them.
        self.user_id = self.event.user_id.clone().unwrap_or_default();
        self.event_type = EventType::parse(self.event.event_type.clone().unwrap_or_default());
        self.event_score = self.event_type.score();
        if let Some(ts) = self.event.timestamp {
            self.event_timestamp = ts;
            self.timestamp_source = TimestampSource::Event;
        }
        if !self.event.extra.is_empty() {
            // Only events with unknown fields can approach the limit: every known field is
            // bounded by `limits`, and their sum stays far below 400 KB.
            let bytes = self.estimated_size();
            if bytes > MAX_ITEM_BYTES {
                return Err(ValidationError::ItemTooLarge { bytes, max: MAX_ITEM_BYTES });
            }
        }
        Ok(())
    }

    /// The item's table key, in parts.
    pub fn key(&self) -> ItemKey<'_> {
        let id = match self.event.event_id.as_deref() {
            Some(id) => KeyId::Event(id),
            None => KeyId::Record {
                shard_id: &self.shard_id,
                sequence_number: &self.sequence_number,
                sub_sequence: self.sub_sequence,
            },
        };
        ItemKey { user_id: &self.user_id, timestamp_ms: self.event_timestamp, id }
    }

    /// The range key string (see [`ItemKey::event_key`]).
    pub fn event_key(&self) -> String {
        self.key().event_key()
    }

    /// `User <id> <action> product <productId or unknown>`.
    pub fn insight(&self) -> String {
        self.insight_parts().text()
    }

    fn insight_parts(&self) -> Derived<'_> {
        let product = self.event.product_id.as_deref().unwrap_or("unknown");
        Derived::Insight { user_id: &self.user_id, action: self.event_type.action(), product }
    }

    /// Calls `f` with every attribute of the item, in a stable order. Absent optional
    /// fields are skipped. This is the one description of the item's layout that the
    /// DynamoDB adapter, the in-memory table and the size estimate all use.
    pub fn for_each_attribute<'i>(&'i self, mut f: impl FnMut(&'static str, AttrValue<'i>)) {
        use AttrValue::*;
        f(attr::USER_ID, S(&self.user_id));
        f(attr::EVENT_KEY, Derived(self::Derived::EventKey(self.key())));
        let e = &self.event;
        let optional = [
            ("eventId", &e.event_id),
            ("sessionId", &e.session_id),
            ("productId", &e.product_id),
            ("userAgent", &e.user_agent),
            ("ipAddress", &e.ip_address),
            ("currency", &e.currency),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                f(name, S(v));
            }
        }
        f("eventType", S(self.event_type.as_str()));
        if let Some(p) = e.price {
            f("price", Float(p));
        }
        if let Some(q) = e.quantity {
            f("quantity", Int(q as i64));
        }
        f(attr::EVENT_TIMESTAMP, Int(self.event_timestamp));
        f("timestampSource", S(self.timestamp_source.as_str()));
        f("eventScore", Int(i64::from(self.event_score)));
        f("insight", Derived(self.insight_parts()));
        f(attr::PROCESSED_AT, Int(self.processed_at));
        f(attr::ARRIVAL_TIMESTAMP, Int(self.arrival_timestamp));
        f("shardId", S(&self.shard_id));
        f("sequenceNumber", S(&self.sequence_number));
        f(attr::EXPIRES_AT, Int(self.expires_at));
        if !e.extra.is_empty() {
            f(attr::EXTRA, Extra(&e.extra));
        }
    }

    /// DynamoDB's idea of the item size, slightly over-estimated: attribute names plus
    /// values, numbers counted as their decimal text.
    pub fn estimated_size(&self) -> usize {
        let mut total = 0;
        self.for_each_attribute(|name, value| {
            total += name.len()
                + match value {
                    AttrValue::S(s) => s.len(),
                    AttrValue::Derived(d) => d.len(),
                    AttrValue::Int(_) | AttrValue::Float(_) => 21,
                    AttrValue::Extra(fields) => fields.iter().map(|(k, v)| k.len() + v.get().len() + 3).sum::<usize>(),
                }
        });
        total
    }

    /// Detaches the item from the record bytes it borrows (for stores that keep items).
    pub fn into_owned(self) -> StoredItem<'static> {
        let own = |s: Str<'_>| -> Str<'static> { Str::Owned(s.into_owned()) };
        StoredItem {
            user_id: own(self.user_id),
            event: self.event.into_owned(),
            event_type: match self.event_type {
                EventType::Other(s) => EventType::Other(own(s)),
                EventType::View => EventType::View,
                EventType::AddToCart => EventType::AddToCart,
                EventType::Purchase => EventType::Purchase,
            },
            event_timestamp: self.event_timestamp,
            timestamp_source: self.timestamp_source,
            event_score: self.event_score,
            processed_at: self.processed_at,
            arrival_timestamp: self.arrival_timestamp,
            shard_id: own(self.shard_id),
            sub_sequence: self.sub_sequence,
            sequence_number: own(self.sequence_number),
            expires_at: self.expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;
    const META: RecordMeta<'static> = RecordMeta {
        shard_id: "shardId-000000000003",
        sequence_number: "49590338271490256608559692538361571095921575989136588898",
        arrival_ms: 1_763_999_999_500,
        sub_sequence: None,
    };

    fn item(json: &str) -> StoredItem<'_> {
        StoredItem::build(Event::from_json(json).unwrap(), &META, NOW, 86_400).unwrap()
    }

    /// The key's hash reads only the strings' ends: keys equal as strings, whatever
    /// memory they are in, hash equally and are one entry of a map; keys that differ
    /// only where the hash does not look stay distinct keys.
    #[test]
    fn keys_equal_as_strings_are_one_key_in_a_map() {
        use std::collections::HashMap;
        use std::hash::BuildHasher;
        let key = |user: &'static str, id: &'static str, sub: Option<u64>| ItemKey {
            user_id: user,
            timestamp_ms: NOW,
            id: KeyId::Record { shard_id: "shardId-000000000003", sequence_number: id, sub_sequence: sub },
        };
        let mut seen: HashMap<ItemKey<'_>, usize> = HashMap::new();
        let keys = [
            key("user-0000001", "4959033827149025660855969253836157109592157598913658889800000001", None),
            key("user-0000001", "5059033827149025660855969253836157109592157598913658889800000001", None),
            key("xser-0000001", "4959033827149025660855969253836157109592157598913658889800000001", None),
            key("user-0000001", "4959033827149025660855969253836157109592157598913658889800000001", Some(0)),
        ];
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(seen.insert(*k, i), None, "key {i} is distinct");
        }
        // The same text in other allocations.
        let (user, id) = (String::from("user-0000001"), keys[0].event_key()[14..].to_string());
        let sequence = id.rsplit(':').next().unwrap_or_default();
        let again = ItemKey {
            user_id: &user,
            timestamp_ms: NOW,
            id: KeyId::Record { shard_id: "shardId-000000000003", sequence_number: sequence, sub_sequence: None },
        };
        assert_eq!(again, keys[0]);
        let hasher = seen.hasher();
        assert_eq!(hasher.hash_one(again), hasher.hash_one(keys[0]));
        assert_eq!(seen.insert(again, 9), Some(0), "an equal key is the same entry");
    }

    /// The size estimate counts the derived attributes by their length alone: it must be
    /// the length of the text the encoder writes, for every kind of key.
    #[test]
    fn derived_lengths_are_their_texts_lengths() {
        let with_id = item(r#"{"userId":"ü-1","eventType":"view","eventId":"e-1","productId":"P1"}"#);
        let without_id = item(r#"{"userId":"u","eventType":"purchase","timestamp":1764000000000}"#);
        let mut items = vec![with_id.clone(), without_id.clone()];
        for sub in [0, 9, 10, 12_345, u64::MAX] {
            items.push(StoredItem { sub_sequence: Some(sub), ..without_id.clone() });
        }
        for it in &items {
            let mut derived = Vec::new();
            it.for_each_attribute(|name, value| {
                if let AttrValue::Derived(d) = value {
                    derived.push((name, d.len(), d.text()));
                }
            });
            assert_eq!(derived.len(), 2, "the range key and the insight");
            for (name, len, text) in derived {
                assert_eq!(len, text.len(), "{name}: {text}");
            }
            assert_eq!(it.key().event_key_len(), it.event_key().len());
        }
        assert_eq!(items[3].event_key(), format!("{}:9", without_id.event_key()));
        assert_eq!(with_id.insight(), "User ü-1 viewed product P1");
    }

    #[test]
    fn key_uses_event_id_and_sorts_by_time() {
        let a = item(r#"{"userId":"u","eventType":"view","eventId":"e1","timestamp":999999999999}"#);
        let b = item(r#"{"userId":"u","eventType":"view","eventId":"e0","timestamp":1000000000000}"#);
        assert_eq!(a.event_key(), "0999999999999#e1");
        assert_eq!(b.event_key(), "1000000000000#e0");
        assert!(a.event_key() < b.event_key(), "lexical order is time order");
    }

    #[test]
    fn key_without_event_id_is_the_record_identity() {
        let json = r#"{"userId":"u","eventType":"view","timestamp":1763999999000}"#;
        let first = item(json);
        let redelivered = item(json);
        assert_eq!(first.event_key(), format!("1763999999000#{}:{}", META.shard_id, META.sequence_number));
        assert_eq!(first.event_key(), redelivered.event_key(), "stable across redelivery");
        let other_meta = RecordMeta { sequence_number: "2", ..META };
        let other = StoredItem::build(Event::from_json(json).unwrap(), &other_meta, NOW, 0).unwrap();
        assert_ne!(first.event_key(), other.event_key(), "unique per record");
    }

    #[test]
    fn missing_timestamp_falls_back_to_arrival() {
        let it = item(r#"{"userId":"u","eventType":"view"}"#);
        assert_eq!(it.event_timestamp, META.arrival_ms);
        assert_eq!(it.timestamp_source, TimestampSource::Arrival);
    }

    #[test]
    fn scores_insight_and_ttl() {
        let it = item(r#"{"userId":"u7","eventType":"purchase","productId":"P1","price":3.5,"quantity":2}"#);
        assert_eq!(it.event_score, 10);
        assert_eq!(it.insight(), "User u7 purchased product P1");
        assert_eq!(it.expires_at, NOW / 1000 + 86_400);
        let it = item(r#"{"userId":"u7","eventType":"view"}"#);
        assert_eq!(it.insight(), "User u7 viewed product unknown");
    }

    #[test]
    fn attributes_cover_the_contract() {
        let it = item(
            r#"{"userId":"u","eventType":"add_to_cart","eventId":"e","sessionId":"s","productId":"p","timestamp":1763999999000,"userAgent":"ua","ipAddress":"ip","price":1.5,"quantity":1,"currency":"EUR","x":1}"#,
        );
        let mut names = Vec::new();
        it.for_each_attribute(|n, _| names.push(n));
        for expected in [
            "userId",
            "eventKey",
            "eventId",
            "sessionId",
            "productId",
            "userAgent",
            "ipAddress",
            "currency",
            "eventType",
            "price",
            "quantity",
            "eventTimestamp",
            "eventScore",
            "insight",
            "processedAt",
            "arrivalTimestamp",
            "shardId",
            "sequenceNumber",
            "expiresAt",
            "extra",
        ] {
            assert!(names.contains(&expected), "missing {expected}");
        }
        let owned = it.clone().into_owned();
        assert_eq!(owned, it);
    }

    #[test]
    fn oversize_unknown_fields_are_rejected() {
        let blob = "z".repeat(MAX_ITEM_BYTES);
        let json = format!(r#"{{"userId":"u","eventType":"view","blob":"{blob}"}}"#);
        assert!(matches!(
            StoredItem::build(Event::from_json(&json).unwrap(), &META, NOW, 0),
            Err(ValidationError::ItemTooLarge { .. })
        ));
    }
}
