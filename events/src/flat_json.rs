//! A fast path for the common shape of event JSON: one flat object whose strings have no
//! escapes.
//!
//! The Lambda spends most of its CPU parsing events. serde's generic machinery costs
//! several calls per field; this scanner reads such objects in one tight loop. It is
//! deliberately partial: anything outside the simple shape (an escape, a nested value,
//! a number sent as a string, a malformed token) makes it return `None`, and the caller
//! falls back to the serde decoder, which handles every input and produces every error.
//! For every input the scanner accepts, it produces exactly what serde would; a property
//! test in `tests/properties.rs` holds it to that.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::event::Event;

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            // Every JSON whitespace byte is at most b' ': one comparison passes the rest.
            if c > b' ' || !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.i += 1;
        }
    }

    /// The byte `c`, after any whitespace. Compact JSON has none: the byte is looked
    /// for first, and whitespace skipped only when it is not there.
    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.b.get(self.i) != Some(&c) {
            self.ws();
        }
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// The byte at the cursor after any whitespace (the whitespace is skipped only when
    /// the cursor is on a byte that could be some).
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        match *self.b.get(self.i)? {
            c if c > b' ' => Some(c),
            _ => {
                self.ws();
                self.b.get(self.i).copied()
            }
        }
    }

    /// A string without escapes or control characters, after any whitespace.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        self.string_body()
    }

    /// The rest of a string whose opening quote was just read.
    #[inline(always)]
    fn string_body(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.i = special_byte(self.b, self.i);
        if self.b.get(self.i) != Some(&b'"') {
            return None; // an escape, a control character, or the end of input
        }
        let out = &self.s[start..self.i];
        self.i += 1;
        Some(out)
    }

    /// A JSON number token, checked against the JSON grammar, with its value when it is
    /// an integer of at most 18 digits (read as it is scanned, not scanned again).
    fn number(&mut self) -> Option<(&'a str, Option<i64>)> {
        let start = self.i;
        let b = self.b;
        let mut i = self.i;
        let negative = b.get(i) == Some(&b'-');
        i += usize::from(negative);
        let int_start = i;
        let mut int: i64 = 0;
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                // Eight bytes at a time while eight are left (a 13-digit timestamp in two
                // steps), then one at a time.
                while let Some(chunk) = b.get(i..i + 8) {
                    let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                    let n = leading_digits(w);
                    if n == 0 {
                        break;
                    }
                    // Wraps only past 18 digits, where the value is discarded below.
                    int = int.wrapping_mul(POWERS_OF_TEN[n]).wrapping_add(digits_value(w, n) as i64);
                    i += n;
                    if n < 8 {
                        break;
                    }
                }
                while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    // Wraps only past 18 digits, where the value is discarded below.
                    int = int.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
                    i += 1;
                }
            }
            _ => return None,
        }
        let int_end = i;
        // One or more digits from `i`; the index after them.
        let digits = |mut i: usize| {
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            (i > start).then_some(i)
        };
        if b.get(i) == Some(&b'.') {
            i = digits(i + 1)?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = digits(i)?;
        }
        // An integer: no fraction or exponent followed, and few enough digits not to wrap.
        let is_int = i == int_end && int_end - int_start <= 18;
        self.i = i;
        Some((&self.s[start..i], is_int.then(|| if negative { -int } else { int })))
    }

    fn literal(&mut self, word: &str) -> bool {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// 10^n for n in 0..=8.
const POWERS_OF_TEN: [i64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// How many of the eight bytes of `w` (the first in the low byte) are ASCII digits before
/// the first that is not, 0 to 8. A byte is a digit when its high nibble is 3 and stays 3
/// after adding 6; a carry out of a byte of 0xfa or more can only mark bytes after it,
/// which the first non-digit already ends.
#[inline(always)]
fn leading_digits(w: u64) -> usize {
    let high = ONES * 0xf0;
    let three = ONES * 0x30;
    let not_digit = ((w & high) ^ three) | ((w.wrapping_add(ONES * 6) & high) ^ three);
    (not_digit.trailing_zeros() / 8) as usize
}

/// The value of the first `n` (1 to 8) bytes of `w`, all ASCII digits: moved to the top
/// of the word, the bytes below them are leading zeros, and three multiplications join
/// pairs, then fours, then the eight.
#[inline(always)]
fn digits_value(w: u64, n: usize) -> u64 {
    let v = w.wrapping_sub(ONES * u64::from(b'0')) << (8 * (8 - n));
    let v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1) >> 16;
    (v & 0x0000_ffff_0000_ffff).wrapping_mul(10_000 << 32 | 1) >> 32
}

/// The index of the first `"`, `\\` or control character at or after `i` (or the
/// length). Sixteen bytes at a time where SSE2 is there (every x86-64 CPU), then eight at
/// a time: the classic zero-byte and less-than tricks flag the first matching byte
/// exactly (a borrow can only create false flags above a true one).
#[inline(always)]
fn special_byte(b: &[u8], mut i: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(chunk) = b.get(i..i + 16) {
        let mask = sse2::special_mask(chunk.try_into().unwrap_or(&[0; 16]));
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let hits = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// The crate's one use of `unsafe`: SSE2's sixteen-byte compare, which the scanner's
/// hottest loop runs (12% fewer instructions on the function's whole batch path,
/// callgrind, `benches/examples/handler_ir.rs`). Other
/// targets keep the eight-byte SWAR loop; aarch64's NEON would serve there the same way,
/// but no aarch64 machine was at hand to test it on.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
mod sse2 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// Bit k set where byte k of `chunk` is `"`, `\\` or below 0x20.
    #[inline(always)]
    pub(super) fn special_mask(chunk: &[u8; 16]) -> u32 {
        // SAFETY: the module is compiled only where SSE2 is enabled (the cfg above), so
        // the intrinsics are available; the unaligned load reads exactly the 16 bytes
        // `chunk` borrows.
        unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Unsigned x <= 0x1f: min(x, 0x1f) == x.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
        }
    }
}

/// Appends `s` as a JSON string literal: quotes, backslashes and control characters
/// escaped, everything else copied in runs found by [`special_byte`]. The Lambda's
/// adapters write their request bodies with it.
pub fn push_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        let i = special_byte(b, start);
        out.extend_from_slice(&b[start..i]);
        let Some(&c) = b.get(i) else { break };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]),
        }
        start = i + 1;
    }
    out.push(b'"');
}

/// A value of the simple shape.
enum Value<'a> {
    Str(&'a str),
    /// The token, and its value if it is an integer of at most 18 digits.
    Num(&'a str, Option<i64>),
    Null,
    Bool,
}

fn value<'a>(sc: &mut Scanner<'a>) -> Option<(Value<'a>, usize)> {
    let first = sc.peek()?;
    let start = sc.i;
    let v = match first {
        b'"' => {
            sc.i += 1;
            Value::Str(sc.string_body()?)
        }
        b'n' if sc.literal("null") => Value::Null,
        b't' if sc.literal("true") => Value::Bool,
        b'f' if sc.literal("false") => Value::Bool,
        b'-' | b'0'..=b'9' => {
            let (token, int) = sc.number()?;
            Value::Num(token, int)
        }
        _ => return None,
    };
    Some((v, start))
}

/// An integer (at most 18 digits) as serde's lenient number reads it: through an f64.
fn lenient_int(int: i64) -> f64 {
    int as f64
}

/// Powers of ten that an f64 holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 16] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// A decimal token (checked against the JSON grammar by [`Scanner::number`]) of at most 15
/// digits and no exponent, where every correct parser (serde's fast one included) gives
/// the same f64; longer ones go to serde. Its digits m, with k of them after the point,
/// are m / 10^k: both are exact in an f64 (m < 10^15 < 2^53), and IEEE division rounds
/// the quotient correctly, so this is the correctly rounded value without a general
/// parser (Clinger's fast path).
fn short_decimal(t: &str) -> Option<f64> {
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut fraction_digits = 0usize;
    let mut after_point = false;
    for c in body.bytes() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                fraction_digits += usize::from(after_point);
                if digits > 15 {
                    return None;
                }
            }
            b'.' => after_point = true,
            _ => return None, // an exponent
        }
    }
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN[fraction_digits];
    Some(if negative { -value } else { value })
}

/// Parses `json` if it has the simple shape; `None` sends the caller to serde.
#[cfg(test)]
pub(crate) fn parse(json: &str) -> Option<Event<'_>> {
    let mut ev = Event::default();
    parse_into(json, &mut ev, &mut Shape::default()).then_some(ev)
}

/// Parses `json` into `ev`, which must be `Event::default()`, if it has the simple shape,
/// in place so the caller's storage is filled without moving the event; `false` sends
/// the caller to serde, with `ev` in an unspecified state. `shape` is what earlier objects
/// taught the scanner (see [`Shape`]); this object's members update it.
pub(crate) fn parse_into<'a>(json: &'a str, ev: &mut Event<'a>, shape: &mut Shape) -> bool {
    debug_assert!(ev.user_id.is_none() && ev.event_type.is_none() && ev.extra.is_empty(), "a default event");
    scan(json, ev, shape).is_some()
}

/// Members per object a [`Shape`] keeps (a full-contract event has eleven).
const SHAPE_MEMBERS: usize = 16;
/// The longest lead a [`Shape`] keeps: one 16-byte comparison. `, "ipAddress": ` is 15.
const LEAD_MAX: usize = 16;

/// The layout of the last objects the fast path read, so that the next object laid out
/// the same way costs one 16-byte comparison per member instead of scanning its key.
///
/// For the k-th member it keeps the member's *lead*: the exact bytes from the end of the
/// previous value (or the start of the text) to the first byte of the member's value,
/// such as `, "eventType": `, and the field its key names. Those bytes alone decide how
/// the scanner reads them (a separator, a key without escapes, a colon, whitespace), so
/// where the same bytes stand at the same member the scanner skips them and knows the
/// field. A member whose lead differs is read the long way and its lead learned in its
/// place. A shape changes how fast an object is read, never what is read: a property
/// test holds objects read after other objects to serde.
///
/// A producer sends every event with one layout; the function passes one shape through a
/// batch.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    leads: [Lead; SHAPE_MEMBERS],
}

/// One member's learned lead (`len` 0: none).
#[derive(Debug, Clone, Copy, Default)]
struct Lead {
    /// The lead's bytes, little-endian, zero past `len`.
    bytes: u128,
    /// Ones over the lead's bytes.
    mask: u128,
    len: u8,
    /// Where the key starts in the lead, and its length.
    key_at: u8,
    key_len: u8,
    field: Field,
}

impl Lead {
    /// Whether the lead stands at `i` of `b`. Near the end of the text (fewer than 16
    /// bytes left) it never does: the member is read the long way.
    #[inline(always)]
    fn stands_at(&self, b: &[u8], i: usize) -> bool {
        let Some(chunk) = b.get(i..i + LEAD_MAX) else { return false };
        let word = u128::from_le_bytes(chunk.try_into().unwrap_or([0; LEAD_MAX]));
        self.len != 0 && (word ^ self.bytes) & self.mask == 0
    }
}

impl Shape {
    /// Keeps `lead` (the bytes of member `k`'s lead, its key at `key_at` for `key_len`
    /// bytes) for member `k`, or forgets member `k` when the lead is too long to keep.
    fn learn(&mut self, k: usize, lead: &[u8], key_at: usize, key_len: usize, field: Field) {
        let Some(slot) = self.leads.get_mut(k) else { return };
        *slot = match lead.len() {
            len @ 1..=LEAD_MAX => {
                let mut bytes = [0u8; LEAD_MAX];
                bytes[..len].copy_from_slice(lead);
                Lead {
                    bytes: u128::from_le_bytes(bytes),
                    mask: u128::MAX >> (8 * (LEAD_MAX - len)),
                    len: len as u8,
                    key_at: key_at as u8,
                    key_len: key_len as u8,
                    field,
                }
            }
            _ => Lead::default(),
        };
    }
}

fn scan<'a>(json: &'a str, ev: &mut Event<'a>, shape: &mut Shape) -> Option<()> {
    let mut sc = Scanner { s: json, b: json.as_bytes(), i: 0 };
    let mut k = 0;
    loop {
        let lead_start = sc.i;
        let learned = shape.leads.get(k).filter(|lead| lead.stands_at(sc.b, lead_start));
        // Where the key is in `json` (only an unknown member's key is read as text).
        let (key_at, key_end, field) = match learned {
            Some(lead) => {
                sc.i += usize::from(lead.len);
                let key_at = lead_start + usize::from(lead.key_at);
                (key_at, key_at + usize::from(lead.key_len), lead.field)
            }
            None => {
                // The separator: the opening brace before the first member, a comma
                // before the others; a closing brace ends the object.
                if k == 0 {
                    sc.eat(b'{')?;
                    sc.ws();
                    if sc.b.get(sc.i) == Some(&b'}') {
                        sc.i += 1;
                        break;
                    }
                } else if !next(&mut sc)? {
                    break;
                }
                let key = sc.string()?;
                sc.eat(b':')?;
                let key_at = key.as_ptr() as usize - json.as_ptr() as usize;
                (key_at, key_at + key.len(), field(key))
            }
        };
        let (v, start) = value(&mut sc)?;
        if learned.is_none() {
            // The key lies within the lead, which ends after its colon.
            shape.learn(k, &sc.b[lead_start..start], key_at - lead_start, key_end - key_at, field);
        }
        k += 1;
        let text = |v: Value<'a>| match v {
            Value::Str(s) => Some(Some(Cow::Borrowed(s))),
            Value::Null => Some(None),
            _ => None,
        };
        let number = |v: Value<'a>| match v {
            Value::Num(t, int) => Some(Some((t, int))),
            Value::Null => Some(None),
            _ => None,
        };
        match field {
            Field::EventId => ev.event_id = text(v)?,
            Field::UserId => ev.user_id = text(v)?,
            Field::SessionId => ev.session_id = text(v)?,
            Field::EventType => ev.event_type = text(v)?,
            Field::ProductId => ev.product_id = text(v)?,
            Field::UserAgent => ev.user_agent = text(v)?,
            Field::IpAddress => ev.ip_address = text(v)?,
            Field::Currency => ev.currency = text(v)?,
            Field::Timestamp => {
                ev.timestamp = match number(v)? {
                    None => None,
                    Some((_, int)) => Some(lenient_int(int?) as i64),
                }
            }
            Field::Price => {
                ev.price = match number(v)? {
                    None => None,
                    Some((t, _)) => Some(short_decimal(t)?),
                }
            }
            Field::Quantity => {
                ev.quantity = match number(v)? {
                    None => None,
                    // Whole, non-negative, below 2^53; anything else is serde's to judge.
                    Some((_, int)) => match lenient_int(int?) {
                        q if (0.0..2f64.powi(53)).contains(&q) => Some(q as u64),
                        _ => return None,
                    },
                }
            }
            Field::Other => {
                // Between two quotes (ASCII), so on character boundaries.
                let key = json.get(key_at..key_end)?;
                let raw = RawValue::from_string(json[start..sc.i].to_owned()).ok()?;
                ev.extra.push((Cow::Borrowed(key), raw));
            }
        }
    }
    sc.ws();
    (sc.i == sc.b.len()).then_some(())
}

/// The members the contract names, and every other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Field {
    EventId,
    UserId,
    SessionId,
    EventType,
    ProductId,
    UserAgent,
    IpAddress,
    Currency,
    Timestamp,
    Price,
    Quantity,
    #[default]
    Other,
}

/// The field a member's key names. Length and first byte single out one candidate, so
/// a key costs one comparison, not one per name of its length.
fn field(key: &str) -> Field {
    // Each guard compares with a literal of the length the arm matched, which compiles to
    // a few word comparisons inline.
    match (key.len(), key.as_bytes().first()) {
        (7, Some(b'e')) if key == "eventId" => Field::EventId,
        (6, Some(b'u')) if key == "userId" => Field::UserId,
        (9, Some(b's')) if key == "sessionId" => Field::SessionId,
        (9, Some(b'e')) if key == "eventType" => Field::EventType,
        (9, Some(b'p')) if key == "productId" => Field::ProductId,
        (9, Some(b'u')) if key == "userAgent" => Field::UserAgent,
        (9, Some(b'i')) if key == "ipAddress" => Field::IpAddress,
        (8, Some(b'c')) if key == "currency" => Field::Currency,
        (9, Some(b't')) if key == "timestamp" => Field::Timestamp,
        (5, Some(b'p')) if key == "price" => Field::Price,
        (8, Some(b'q')) if key == "quantity" => Field::Quantity,
        _ => Field::Other,
    }
}

/// After a member: `Some(true)` for a comma, `Some(false)` for the closing brace.
fn next(sc: &mut Scanner<'_>) -> Option<bool> {
    match sc.peek()? {
        b',' => {
            sc.i += 1;
            Some(true)
        }
        b'}' => {
            sc.i += 1;
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_written_as_serde_json_reads_them() {
        let cases = [
            "",
            "plain",
            "a\u{1}b\u{1f}\t\"\\é",
            "0123456789abcdef\n\r\u{0}x",
            "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" \\path",
        ];
        for text in cases {
            let mut out = b"x".to_vec();
            push_json_string(&mut out, text);
            let back: String = serde_json::from_slice(&out[1..]).unwrap();
            assert_eq!(back, text);
            assert_eq!(&out[1..], serde_json::to_string(text).unwrap().as_bytes(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips_through_push_json_string(text in "\\PC*|[\\x00-\\x7f]*") {
            let mut out = Vec::new();
            push_json_string(&mut out, &text);
            let back: String = serde_json::from_slice(&out).unwrap();
            proptest::prop_assert_eq!(back, text);
        }
    }

    proptest::proptest! {
        /// Every byte value, at every offset of strings longer than one SIMD chunk.
        #[test]
        fn special_byte_finds_the_first_special_byte(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), start in 0usize..80) {
            let start = start.min(bytes.len());
            let want = bytes[start..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map_or(bytes.len(), |p| p + start);
            proptest::prop_assert_eq!(special_byte(&bytes, start), want);
        }
    }

    #[test]
    fn special_bytes_are_found_exactly() {
        for text in ["", "abc", "abcdefgh\"", "a\\b", "\u{1}xyz", "0123456789abcdef\"x", "é\"", "\u{7f}\u{80}ÿ\""] {
            let b = text.as_bytes();
            let expected = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(b.len());
            for start in 0..=b.len() {
                let want =
                    b[start..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map_or(b.len(), |p| p + start);
                assert_eq!(special_byte(b, start), want, "{text:?} from {start}");
            }
            assert_eq!(special_byte(b, 0), expected);
        }
    }

    #[test]
    fn each_contract_name_is_its_field_and_near_misses_are_not() {
        let names = [
            ("eventId", Field::EventId),
            ("userId", Field::UserId),
            ("sessionId", Field::SessionId),
            ("eventType", Field::EventType),
            ("productId", Field::ProductId),
            ("userAgent", Field::UserAgent),
            ("ipAddress", Field::IpAddress),
            ("currency", Field::Currency),
            ("timestamp", Field::Timestamp),
            ("price", Field::Price),
            ("quantity", Field::Quantity),
        ];
        for (name, f) in names {
            assert_eq!(field(name), f, "{name}");
            assert_eq!(field(&name.to_uppercase()), Field::Other, "{name}");
            let mut near = name.to_string();
            near.replace_range(name.len() - 1.., "X");
            assert_eq!(field(&near), Field::Other, "{near}");
        }
        for other in ["", "e", "campaign", "userid", "eventid", "timestamps"] {
            assert_eq!(field(other), Field::Other, "{other}");
        }
    }

    #[test]
    fn the_common_shape_takes_the_fast_path() {
        let json = r#"{"eventId":"7d1f0a9e-0b5e-4c1e-9f5e-2f3c4b5a6d7e","userId":"user-42","eventType":"purchase","timestamp":1764000000123,"price":19.99,"quantity":2,"currency":"USD","x":true}"#;
        let ev = parse(json).expect("fast path");
        assert_eq!(Some(ev), Event::from_json_with_serde(json).ok());
    }

    #[test]
    fn a_shape_learns_each_member_and_reads_the_next_object_with_it() {
        let python = |user: &str, kind: &str, ip: &str| {
            format!(
                r#"{{"userId": "{user}", "eventType": "{kind}", "timestamp": 1764000000123, "ipAddress": "{ip}", "campaign": 7}}"#
            )
        };
        let mut shape = Shape::default();
        let first = python("user-1", "view", "10.0.0.1");
        let mut ev = Event::default();
        assert!(parse_into(&first, &mut ev, &mut shape));
        let learned: Vec<(usize, Field)> =
            shape.leads.iter().take_while(|l| l.len > 0).map(|l| (usize::from(l.len), l.field)).collect();
        // `{"userId": ` and `, "eventType": ` ... `, "campaign": `: the unknown key too.
        assert_eq!(
            learned,
            [
                (11, Field::UserId),
                (15, Field::EventType),
                (15, Field::Timestamp),
                (15, Field::IpAddress),
                (14, Field::Other)
            ]
        );
        // Values of other lengths and kinds behind the same leads, a member whose lead
        // changed (no space after the colon: read the long way, learned anew), values the
        // fast path leaves to serde, a member fewer. `true`: the fast path reads it.
        for (json, fast) in [
            (python("user-22222", "add_to_cart", "192.168.100.200"), true),
            (python("u", "purchase", "1"), true),
            (first.replace(r#""eventType": "view""#, r#""eventType":"view""#), true),
            (first.replace(r#""userId": "user-1""#, r#""userId": null"#), true),
            (first.replace("1764000000123", r#""1764000000123""#), false),
            (first.replace(r#""campaign": 7"#, r#""campaign": {"a": 1}"#), false),
            (first.replace(r#", "campaign": 7"#, ""), true),
            (first.clone(), true),
        ] {
            let mut ev = Event::default();
            let read = parse_into(&json, &mut ev, &mut shape).then_some(ev);
            assert_eq!(read.is_some(), fast, "{json}");
            if let Some(ev) = read {
                assert_eq!(Some(ev), Event::from_json_with_serde(&json).ok(), "{json}");
            }
        }
        // The lead without the space is a prefix of the one with it, and serves both: the
        // value is read after any whitespace.
        assert_eq!(shape.leads[1].len, 14);
    }

    #[test]
    fn eight_bytes_of_digits_are_counted_and_read() {
        let word = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap());
        for text in [
            &b"12345678"[..],
            b"1234567x",
            b"0000000/",
            b"9999999:",
            b"1\xff\xfa99999",
            b"98\xfa\xff3456",
            b"7,\"ab\":1",
            b"x1234567",
            b"00000000",
            b"99999999",
        ] {
            let want = text.iter().take_while(|c| c.is_ascii_digit()).count();
            assert_eq!(leading_digits(word(text)), want, "{text:?}");
            for n in 1..=want {
                let value: u64 = std::str::from_utf8(&text[..n]).unwrap().parse().unwrap();
                assert_eq!(digits_value(word(text), n), value, "{text:?}, {n} digits");
            }
        }
    }

    proptest::proptest! {
        /// Every integer token of up to 20 digits, followed by anything, reads as std reads it.
        #[test]
        fn integers_are_read_as_std_reads_them(digits in "[1-9][0-9]{0,19}", after in "[ -~]{0,9}") {
            let text = format!("{digits}{after}");
            let mut sc = Scanner { s: &text, b: text.as_bytes(), i: 0 };
            let digits = &text[..text.bytes().take_while(u8::is_ascii_digit).count()];
            let Some((token, int)) = sc.number() else {
                // Only a fraction or an exponent without digits makes it no number.
                proptest::prop_assert!(text[digits.len()..].starts_with(['.', 'e', 'E']), "{}", text);
                return Ok(());
            };
            if token == digits && digits.len() <= 18 {
                proptest::prop_assert_eq!(int, Some(digits.parse::<i64>().unwrap()));
            } else {
                proptest::prop_assert!(token.starts_with(digits));
            }
        }
    }

    #[test]
    fn short_decimals_are_the_correctly_rounded_values() {
        for t in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "19.99",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567.89012345",
            "-0.00000000000001",
            "9.99999999999999",
            "100",
        ] {
            let parsed: f64 = t.parse().unwrap();
            let fast = short_decimal(t).unwrap_or_else(|| panic!("{t} takes the fast path"));
            assert_eq!(fast.to_bits(), parsed.to_bits(), "{t}");
        }
        for t in ["1234567890123456", "1.5e3", "1E2", "0.1234567890123456"] {
            assert_eq!(short_decimal(t), None, "{t} goes to serde");
        }
    }

    #[test]
    fn unusual_shapes_fall_back() {
        for json in [
            r#"{"userId":"a\"b"}"#,
            r#"{"userId":"u","campaign":{"id":1}}"#,
            r#"{"timestamp":"1764000000000"}"#,
            r#"{"quantity":1.5}"#,
            r#"{"timestamp":-92233720368547758089}"#,
            r#"{"quantity":1234567890123456789}"#,
            r#"{"price":1e999}"#,
            r#"{"userId":"u",}"#,
            r#"{"userId":"u"} x"#,
            "[1]",
        ] {
            assert!(parse(json).is_none(), "{json}");
        }
    }
}
