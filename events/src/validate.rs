//! Validation: whether a decoded [`Event`] meets the contract and can be stored.
//!
//! A failed validation is permanent (the same bytes fail the same way on every retry), so
//! the function dead-letters the record with the error's text. The clock is a parameter:
//! the crate stays pure and the rules are testable at any instant.

use crate::event::{Event, Str};
use crate::limits::*;

/// Why an event cannot be stored. Every variant names the field and what a producer must
/// change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// A required field (`userId`, `eventType`) is absent or `null`.
    #[error("required field `{field}` is missing; every event needs `userId` and `eventType`")]
    MissingField {
        /// The JSON field name.
        field: &'static str,
    },
    /// A required or key field is present but empty or only whitespace.
    #[error("field `{field}` is blank; send a non-empty value")]
    BlankField {
        /// The JSON field name.
        field: &'static str,
    },
    /// A string field is longer than the contract allows (see [`crate::limits`]).
    #[error("field `{field}` is {len} bytes, over the {max}-byte limit")]
    FieldTooLong {
        /// The JSON field name.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// `timestamp` is before 2000 or more than a day in the future.
    #[error("timestamp {timestamp} is absurd: {reason}")]
    AbsurdTimestamp {
        /// The value sent.
        timestamp: i64,
        /// What is wrong with it, and the likely cause.
        reason: &'static str,
    },
    /// `price` or `quantity` is negative, not finite, or implausibly large.
    #[error("field `{field}` has an impossible value {value}: {reason}")]
    BadNumber {
        /// The JSON field name.
        field: &'static str,
        /// The value sent.
        value: f64,
        /// What the contract allows.
        reason: &'static str,
    },
    /// The stored item would exceed DynamoDB's 400 KB item limit.
    #[error("the stored item would be about {bytes} bytes, over DynamoDB's limit of {max}; shrink the event's unknown fields")]
    ItemTooLarge {
        /// Estimated item size.
        bytes: usize,
        /// The limit used.
        max: usize,
    },
}

fn check_len(field: &'static str, value: &Option<Str<'_>>, max: usize) -> Result<(), ValidationError> {
    match value {
        Some(v) if v.len() > max => Err(ValidationError::FieldTooLong { field, len: v.len(), max }),
        _ => Ok(()),
    }
}

/// Whether `v` is empty or only (Unicode) whitespace. A value starting with an ASCII
/// letter or digit, as nearly every one does, is answered without scanning it.
fn is_blank(v: &str) -> bool {
    match v.as_bytes().first() {
        Some(b) if b.is_ascii_alphanumeric() => false,
        _ => v.trim().is_empty(),
    }
}

fn check_required(field: &'static str, value: &Option<Str<'_>>, max: usize) -> Result<(), ValidationError> {
    let v = value.as_ref().ok_or(ValidationError::MissingField { field })?;
    if is_blank(v) {
        return Err(ValidationError::BlankField { field });
    }
    check_len(field, value, max)
}

impl Event<'_> {
    /// Checks the event against the contract at time `now_ms` (epoch milliseconds).
    ///
    /// It borrows: the batch path validates and then moves the event once, into its
    /// [`crate::StoredItem`].
    pub fn validate(&self, now_ms: i64) -> Result<(), ValidationError> {
        check_required("userId", &self.user_id, MAX_USER_ID_BYTES)?;
        check_required("eventType", &self.event_type, MAX_EVENT_TYPE_BYTES)?;
        if let Some(id) = &self.event_id {
            if is_blank(id) {
                return Err(ValidationError::BlankField { field: "eventId" });
            }
        }
        check_len("eventId", &self.event_id, MAX_EVENT_ID_BYTES)?;
        check_len("sessionId", &self.session_id, MAX_TEXT_FIELD_BYTES)?;
        check_len("productId", &self.product_id, MAX_TEXT_FIELD_BYTES)?;
        check_len("userAgent", &self.user_agent, MAX_TEXT_FIELD_BYTES)?;
        check_len("ipAddress", &self.ip_address, MAX_TEXT_FIELD_BYTES)?;
        check_len("currency", &self.currency, MAX_TEXT_FIELD_BYTES)?;
        if let Some(ts) = self.timestamp {
            check_timestamp(ts, now_ms)?;
        }
        if let Some(price) = self.price {
            if !(0.0..=MAX_PRICE).contains(&price) {
                return Err(ValidationError::BadNumber {
                    field: "price",
                    value: price,
                    reason: "a price is between 0 and 1e9",
                });
            }
        }
        if let Some(q) = self.quantity {
            if q > MAX_QUANTITY {
                return Err(ValidationError::BadNumber {
                    field: "quantity",
                    value: q as f64,
                    reason: "a quantity is at most 1,000,000",
                });
            }
        }
        Ok(())
    }
}

fn check_timestamp(ts: i64, now_ms: i64) -> Result<(), ValidationError> {
    if ts < MIN_TIMESTAMP_MS {
        let reason = if ts > 0 && ts < MIN_TIMESTAMP_MS / 1000 * 10 {
            "before the year 2000; it looks like epoch seconds, send epoch milliseconds"
        } else {
            "before the year 2000; send epoch milliseconds"
        };
        return Err(ValidationError::AbsurdTimestamp { timestamp: ts, reason });
    }
    if ts > now_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
        return Err(ValidationError::AbsurdTimestamp {
            timestamp: ts,
            reason: "more than a day in the future; check the producer's clock and units",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;

    fn ev(json: &str) -> Result<(), ValidationError> {
        Event::from_json(json).unwrap().validate(NOW)
    }

    #[test]
    fn minimal_event_is_valid() {
        assert_eq!(ev(r#"{"userId":"u1","eventType":"view"}"#), Ok(()));
    }

    #[test]
    fn missing_and_blank_required_fields() {
        assert_eq!(ev(r#"{"eventType":"view"}"#), Err(ValidationError::MissingField { field: "userId" }));
        assert_eq!(ev(r#"{"userId":null,"eventType":"view"}"#), Err(ValidationError::MissingField { field: "userId" }));
        assert_eq!(ev(r#"{"userId":"u"}"#), Err(ValidationError::MissingField { field: "eventType" }));
        assert_eq!(ev(r#"{"userId":"  ","eventType":"view"}"#), Err(ValidationError::BlankField { field: "userId" }));
        assert_eq!(ev(r#"{"userId":"u","eventType":""}"#), Err(ValidationError::BlankField { field: "eventType" }));
        assert_eq!(
            ev(r#"{"userId":"u","eventType":"view","eventId":""}"#),
            Err(ValidationError::BlankField { field: "eventId" })
        );
    }

    #[test]
    fn blank_means_what_trim_says() {
        for v in ["", " ", "\t\n", "\u{b}", "\u{3000}", "\u{a0}x", "u", " u", "9", "é", "_", "\u{3000}\u{2003}"] {
            assert_eq!(is_blank(v), v.trim().is_empty(), "{v:?}");
        }
    }

    #[test]
    fn absurd_timestamps() {
        let secs = ev(r#"{"userId":"u","eventType":"view","timestamp":1764000000}"#).unwrap_err();
        assert!(secs.to_string().contains("epoch seconds"), "{secs}");
        assert!(ev(r#"{"userId":"u","eventType":"view","timestamp":0}"#).is_err());
        assert!(ev(r#"{"userId":"u","eventType":"view","timestamp":-5}"#).is_err());
        let future = NOW + MAX_FUTURE_SKEW_MS + 1;
        let json = format!(r#"{{"userId":"u","eventType":"view","timestamp":{future}}}"#);
        assert!(ev(&json).unwrap_err().to_string().contains("future"));
        let ok = format!(r#"{{"userId":"u","eventType":"view","timestamp":{}}}"#, NOW + 1000);
        assert!(ev(&ok).is_ok());
    }

    #[test]
    fn oversize_fields() {
        let long = "x".repeat(MAX_USER_ID_BYTES + 1);
        let json = format!(r#"{{"userId":"{long}","eventType":"view"}}"#);
        assert_eq!(ev(&json), Err(ValidationError::FieldTooLong { field: "userId", len: 257, max: 256 }));
        let ua = "y".repeat(MAX_TEXT_FIELD_BYTES + 1);
        let json = format!(r#"{{"userId":"u","eventType":"view","userAgent":"{ua}"}}"#);
        assert!(matches!(ev(&json), Err(ValidationError::FieldTooLong { field: "userAgent", .. })));
    }

    #[test]
    fn impossible_numbers() {
        assert!(matches!(
            ev(r#"{"userId":"u","eventType":"purchase","price":-1}"#),
            Err(ValidationError::BadNumber { field: "price", .. })
        ));
        assert!(matches!(
            ev(r#"{"userId":"u","eventType":"purchase","quantity":1000001}"#),
            Err(ValidationError::BadNumber { field: "quantity", .. })
        ));
    }

    #[test]
    fn unknown_event_type_is_valid() {
        assert_eq!(ev(r#"{"userId":"u","eventType":"wishlist"}"#), Ok(()));
    }
}
