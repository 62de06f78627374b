//! The event as it travels in a Kinesis record, and its JSON codec.
//!
//! Decoding is lenient where producers differ (numbers sent as strings, `null` for an
//! absent field, unknown fields) and strict where a value cannot mean anything (a string
//! where a number must be). Every field is optional at this stage: a missing `userId` is a
//! [`crate::ValidationError`], found by [`Event::validate`], never a decoding failure or a
//! panic. Strings borrow from the input when they contain no escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A string that borrows from the decoded record when it can.
pub type Str<'a> = Cow<'a, str>;

/// One retail click-stream event, as decoded from JSON.
///
/// Field names follow the JSON contract (camelCase on the wire). `extra` keeps, in input
/// order, every member the contract does not name, so nothing a producer sent is lost.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    /// `eventId`: unique per event (a UUID from loadgen). Optional for other producers.
    pub event_id: Option<Str<'a>>,
    /// `userId`: required; the default partition key and the table's hash key.
    pub user_id: Option<Str<'a>>,
    /// `sessionId`.
    pub session_id: Option<Str<'a>>,
    /// `eventType`: required; `view`, `add_to_cart`, `purchase` or anything else.
    pub event_type: Option<Str<'a>>,
    /// `productId`.
    pub product_id: Option<Str<'a>>,
    /// `timestamp` in epoch milliseconds; for load-generated events the intended send time.
    pub timestamp: Option<i64>,
    /// `userAgent`.
    pub user_agent: Option<Str<'a>>,
    /// `ipAddress`.
    pub ip_address: Option<Str<'a>>,
    /// `price` (cart and purchase events).
    pub price: Option<f64>,
    /// `quantity` (cart and purchase events).
    pub quantity: Option<u64>,
    /// `currency` (cart and purchase events), e.g. `USD`.
    pub currency: Option<Str<'a>>,
    /// Members the contract does not name, kept verbatim.
    pub extra: Vec<(Str<'a>, Box<RawValue>)>,
}

impl PartialEq for Event<'_> {
    fn eq(&self, o: &Self) -> bool {
        // RawValue has no PartialEq: unknown fields compare by their JSON text.
        self.event_id == o.event_id
            && self.user_id == o.user_id
            && self.session_id == o.session_id
            && self.event_type == o.event_type
            && self.product_id == o.product_id
            && self.timestamp == o.timestamp
            && self.user_agent == o.user_agent
            && self.ip_address == o.ip_address
            && self.price == o.price
            && self.quantity == o.quantity
            && self.currency == o.currency
            && self.extra.len() == o.extra.len()
            && self.extra.iter().zip(&o.extra).all(|((k1, v1), (k2, v2))| k1 == k2 && v1.get() == v2.get())
    }
}

/// The kinds of event the pipeline scores; anything else is kept as [`EventType::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventType<'a> {
    /// A product page view.
    View,
    /// A product added to the cart.
    AddToCart,
    /// A completed purchase.
    Purchase,
    /// An event type this version does not know; processed and scored 1.
    Other(Str<'a>),
}

impl<'a> EventType<'a> {
    /// Classifies a raw `eventType` label.
    pub fn parse(label: Str<'a>) -> Self {
        match label.as_ref() {
            "view" => Self::View,
            "add_to_cart" => Self::AddToCart,
            "purchase" => Self::Purchase,
            _ => Self::Other(label),
        }
    }

    /// The wire label.
    pub fn as_str(&self) -> &str {
        match self {
            Self::View => "view",
            Self::AddToCart => "add_to_cart",
            Self::Purchase => "purchase",
            Self::Other(s) => s,
        }
    }

    /// The engagement score: view 1, add to cart 5, purchase 10, anything else 1.
    pub fn score(&self) -> u32 {
        match self {
            Self::View => 1,
            Self::AddToCart => 5,
            Self::Purchase => 10,
            Self::Other(_) => 1,
        }
    }

    /// The verb used in the insight text.
    pub fn action(&self) -> &'static str {
        match self {
            Self::View => "viewed",
            Self::AddToCart => "added to cart",
            Self::Purchase => "purchased",
            Self::Other(_) => "interacted with",
        }
    }
}

impl<'a> Event<'a> {
    /// Encodes the event as compact JSON.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out);
        // serde_json only ever writes UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the compact JSON encoding to `out` (for producers that reuse a buffer).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail and every value here is serialisable (non-finite
        // prices are written as null by serde_json), so the result carries no error.
        let _ = serde_json::to_writer(out, self);
    }

    /// Converts every borrowed string to an owned one, detaching the event from its input.
    pub fn into_owned(self) -> Event<'static> {
        fn own(s: Option<Str<'_>>) -> Option<Str<'static>> {
            s.map(|s| Cow::Owned(s.into_owned()))
        }
        Event {
            event_id: own(self.event_id),
            user_id: own(self.user_id),
            session_id: own(self.session_id),
            event_type: own(self.event_type),
            product_id: own(self.product_id),
            timestamp: self.timestamp,
            user_agent: own(self.user_agent),
            ip_address: own(self.ip_address),
            price: self.price,
            quantity: self.quantity,
            currency: own(self.currency),
            extra: self.extra.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v)).collect(),
        }
    }
}

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let strings = [
            ("eventId", &self.event_id),
            ("userId", &self.user_id),
            ("sessionId", &self.session_id),
            ("eventType", &self.event_type),
            ("productId", &self.product_id),
        ];
        for (name, value) in strings {
            if let Some(v) = value {
                map.serialize_entry(name, v.as_ref())?;
            }
        }
        if let Some(ts) = self.timestamp {
            map.serialize_entry("timestamp", &ts)?;
        }
        if let Some(v) = &self.user_agent {
            map.serialize_entry("userAgent", v.as_ref())?;
        }
        if let Some(v) = &self.ip_address {
            map.serialize_entry("ipAddress", v.as_ref())?;
        }
        if let Some(v) = self.price {
            map.serialize_entry("price", &v)?;
        }
        if let Some(v) = self.quantity {
            map.serialize_entry("quantity", &v)?;
        }
        if let Some(v) = &self.currency {
            map.serialize_entry("currency", v.as_ref())?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Event<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor(std::marker::PhantomData))
    }
}

struct EventVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for EventVisitor<'a> {
    type Value = Event<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with the retail event fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event<'a>, A::Error> {
        let mut ev = Event::default();
        while let Some(key) = map.next_key::<CowStr<'a>>()? {
            let slot = match key.0.as_ref() {
                "eventId" => &mut ev.event_id,
                "userId" => &mut ev.user_id,
                "sessionId" => &mut ev.session_id,
                "eventType" => &mut ev.event_type,
                "productId" => &mut ev.product_id,
                "userAgent" => &mut ev.user_agent,
                "ipAddress" => &mut ev.ip_address,
                "currency" => &mut ev.currency,
                "timestamp" => {
                    ev.timestamp = map.next_value::<Option<Lenient>>()?.map(|n| n.0 as i64);
                    continue;
                }
                "price" => {
                    ev.price = map.next_value::<Option<Lenient>>()?.map(|n| n.0);
                    continue;
                }
                "quantity" => {
                    ev.quantity = match map.next_value::<Option<Lenient>>()? {
                        None => None,
                        Some(Lenient(q)) if q >= 0.0 && q.fract() == 0.0 && q < 2f64.powi(53) => Some(q as u64),
                        Some(Lenient(q)) => {
                            return Err(de::Error::custom(format_args!(
                                "quantity must be a whole number of items, got {q}"
                            )))
                        }
                    };
                    continue;
                }
                _ => {
                    let value: Box<RawValue> = map.next_value()?;
                    ev.extra.push((key.0, value));
                    continue;
                }
            };
            *slot = map.next_value::<Option<CowStr<'a>>>()?.map(|s| s.0);
        }
        Ok(ev)
    }
}

/// A string deserialised without copying when the input allows it.
struct CowStr<'a>(Str<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A number that other producers may send as a JSON number or as a numeric string.
struct Lenient(f64);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient, E> {
                Ok(Lenient(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lenient, E> {
                Ok(Lenient(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient, E> {
                match v.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => Ok(Lenient(n)),
                    _ => Err(E::custom(format_args!("{v:?} is not a number"))),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DecodeError;

    const FULL: &str = r#"{"eventId":"7d1f0a9e-0b5e-4c1e-9f5e-2f3c4b5a6d7e","userId":"user-42","sessionId":"s-1","eventType":"purchase","productId":"P0042","timestamp":1764000000123,"userAgent":"Mozilla/5.0","ipAddress":"10.0.0.1","price":19.99,"quantity":2,"currency":"USD"}"#;

    #[test]
    fn full_event_round_trips_byte_for_byte() {
        let ev = Event::from_json(FULL).unwrap();
        assert_eq!(ev.user_id.as_deref(), Some("user-42"));
        assert_eq!(ev.timestamp, Some(1_764_000_000_123));
        assert_eq!(ev.quantity, Some(2));
        assert!(matches!(ev.user_id, Some(Cow::Borrowed(_))), "plain strings are borrowed");
        assert_eq!(ev.to_json(), FULL);
    }

    #[test]
    fn unknown_fields_are_kept_in_order() {
        let json = r#"{"userId":"u","eventType":"view","campaign":{"id":7,"tags":["a","b"]},"referrer":"x"}"#;
        let ev = Event::from_json(json).unwrap();
        let names: Vec<_> = ev.extra.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(names, ["campaign", "referrer"]);
        assert_eq!(ev.extra[0].1.get(), r#"{"id":7,"tags":["a","b"]}"#);
        assert_eq!(ev.to_json(), json);
    }

    #[test]
    fn lenient_numbers_and_nulls() {
        let ev = Event::from_json(
            r#"{"userId":"u","eventType":"view","timestamp":"1764000000000","price":"9.5","quantity":3.0,"productId":null}"#,
        )
        .unwrap();
        assert_eq!(ev.timestamp, Some(1_764_000_000_000));
        assert_eq!(ev.price, Some(9.5));
        assert_eq!(ev.quantity, Some(3));
        assert_eq!(ev.product_id, None);
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let ev = Event::from_json(r#"{"userId":"a\"b\u00e9","eventType":"view"}"#).unwrap();
        assert_eq!(ev.user_id.as_deref(), Some("a\"bé"));
    }

    #[test]
    fn wrong_types_and_syntax_are_distinguished() {
        assert!(matches!(Event::from_json(r#"{"userId":5,"eventType":"view"}"#), Err(DecodeError::WrongType(_))));
        assert!(matches!(Event::from_json(r#"{"userId":"u","quantity":-1}"#), Err(DecodeError::WrongType(_))));
        assert!(matches!(Event::from_json("{\"userId\":"), Err(DecodeError::Syntax(_))));
        assert!(matches!(Event::from_json("[1,2]"), Err(DecodeError::WrongType(_))));
        assert!(matches!(Event::from_json("not json"), Err(DecodeError::Syntax(_))));
    }

    #[test]
    fn event_types_score() {
        for (label, score, action) in [
            ("view", 1, "viewed"),
            ("add_to_cart", 5, "added to cart"),
            ("purchase", 10, "purchased"),
            ("wishlist", 1, "interacted with"),
        ] {
            let t = EventType::parse(label.into());
            assert_eq!((t.score(), t.action(), t.as_str()), (score, action, label));
        }
    }
}
