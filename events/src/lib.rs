//! The retail click-stream contract shared by the load generator and the Lambda.
//!
//! One [`Event`] is one Kinesis record: camelCase JSON whose only required fields are
//! `userId` and `eventType`. [`Event::validate`] checks it against the contract, reporting a typed
//! [`ValidationError`]; [`StoredItem::build`] turns a valid event plus the Kinesis record's
//! metadata into the DynamoDB item, including the table key ([`event_key`]) and the TTL
//! attribute.
//!
//! Everything borrows from the record's bytes where it can, so the Lambda's batch path does
//! few allocations per record. The crate is pure: no I/O, no clock (callers pass `now`), no
//! AWS types.

// `deny`, not `forbid`: three modules allow it (flat_json's SSE2 scan, base64's AVX2
// decoder and utf8's ASCII check), each with its safety note.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod aggregation;
pub mod base64;
mod decode;
mod event;
mod flat_json;
mod item;
pub mod limits;
pub mod utf8;
mod validate;

pub use decode::DecodeError;
pub use event::{Event, EventType, Str};
pub use flat_json::{push_json_string, Shape};
pub use item::{
    attr, event_key, AttrValue, Derived, ItemError, ItemKey, KeyId, RecordMeta, StoredItem, TimestampSource,
};
pub use validate::ValidationError;
