//! Size and range limits of the contract, each with the reason it exists.
//!
//! The limits come from the services the event passes through (Kinesis partition keys,
//! DynamoDB key attributes and item size) and from what a sane producer sends. A record
//! over a limit is a permanent fault: retrying it can never succeed, so it goes to the
//! dead-letter queue instead of stalling its shard.

/// `userId` is the default Kinesis partition key (at most 256 characters) and the table's
/// hash key; 256 bytes keeps it valid for both.
pub const MAX_USER_ID_BYTES: usize = 256;
/// `eventType` is a short enum-like label; anything longer is a producer bug.
pub const MAX_EVENT_TYPE_BYTES: usize = 64;
/// `eventId` ends up in the range key (at most 1,024 bytes in DynamoDB) after a 14-byte
/// timestamp prefix; 128 bytes holds any UUID or ULID with room to spare.
pub const MAX_EVENT_ID_BYTES: usize = 128;
/// Any other string field (`sessionId`, `productId`, `userAgent`, `ipAddress`,
/// `currency`): long enough for real user agents, short enough to catch garbage.
pub const MAX_TEXT_FIELD_BYTES: usize = 2048;
/// DynamoDB rejects items over 400 KB (names and values counted); we stop a little short
/// because our size figure is an estimate of DynamoDB's.
pub const MAX_ITEM_BYTES: usize = 400 * 1024 - 1024;
/// 2000-01-01T00:00:00Z in epoch milliseconds. Older timestamps are almost always epoch
/// *seconds* sent by mistake, or zero.
pub const MIN_TIMESTAMP_MS: i64 = 946_684_800_000;
/// How far in the future an event's timestamp may be (one day, for skewed clocks).
pub const MAX_FUTURE_SKEW_MS: i64 = 24 * 3600 * 1000;
/// Largest accepted `price` (a cart of anything costs less than this).
pub const MAX_PRICE: f64 = 1.0e9;
/// Largest accepted `quantity`.
pub const MAX_QUANTITY: u64 = 1_000_000;
