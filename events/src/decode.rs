//! Decoding an event from a record's JSON: the flat fast path ([`crate::flat_json`]) for
//! the shape producers send, serde for everything else. Decoding lives apart from the
//! event type so that the fast path can fill an [`Event`] without the two modules
//! importing each other.

use crate::event::Event;
use crate::flat_json::Shape;

/// Why a record's bytes are not an event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not JSON, or not a JSON object. The producer wrote something other
    /// than this contract; the record goes to the dead-letter queue.
    #[error("not a JSON event object: {0}")]
    Syntax(#[source] serde_json::Error),
    /// The JSON is well formed but a known field has a value of the wrong type (a string
    /// where a number must be, for example).
    #[error("a field has the wrong type: {0}")]
    WrongType(#[source] serde_json::Error),
}

impl<'a> Event<'a> {
    /// Decodes one event from JSON text, borrowing strings from `json` where possible.
    pub fn from_json(json: &'a str) -> Result<Self, DecodeError> {
        Self::decode_with(json, &mut Shape::default())
    }

    /// [`Event::from_json`] for one of a run of events, reading with and updating `shape`:
    /// the layout of the events decoded before (see [`Shape`]). Events from one producer
    /// share one layout, so their keys are not scanned again. The event is the same with
    /// any shape.
    pub fn decode_with(json: &'a str, shape: &mut Shape) -> Result<Self, DecodeError> {
        let mut event = Event::default();
        Self::decode_into_default(json, &mut event, shape)?;
        Ok(event)
    }

    /// Decodes `json` into `out`, which is `Event::default()` (a new item's event, so the
    /// batch path decodes straight into the item it stores), reading with and updating
    /// `shape` (the layout of the events decoded before it). On error `out` holds no
    /// meaningful event.
    pub(crate) fn decode_into_default(
        json: &'a str,
        out: &mut Event<'a>,
        shape: &mut Shape,
    ) -> Result<(), DecodeError> {
        if !crate::flat_json::parse_into(json, out, shape) {
            *out = Self::from_json_with_serde(json)?;
        }
        Ok(())
    }

    /// Decodes with serde alone, skipping the fast path (tests compare the two).
    #[doc(hidden)]
    pub fn from_json_with_serde(json: &'a str) -> Result<Self, DecodeError> {
        serde_json::from_str(json).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => DecodeError::WrongType(e),
            _ => DecodeError::Syntax(e),
        })
    }
}
