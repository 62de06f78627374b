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
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// A string without escapes or control characters, positioned at its opening quote.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        self.i = special_byte(self.b, self.i);
        if self.b.get(self.i) != Some(&b'"') {
            return None; // an escape, a control character, or the end of input
        }
        let out = &self.s[start..self.i];
        self.i += 1;
        Some(out)
    }

    /// A JSON number token, checked against the JSON grammar.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
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
        self.i = i;
        Some(&self.s[start..i])
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

/// The index of the first `"`, `\\` or control character at or after `i` (or the
/// length). Eight bytes at a time: the classic zero-byte and less-than tricks flag the
/// first matching byte exactly (a borrow can only create false flags above a true one).
#[inline(always)]
fn special_byte(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
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

/// A value of the simple shape.
enum Value<'a> {
    Str(&'a str),
    Num(&'a str),
    Null,
    Bool,
}

fn value<'a>(sc: &mut Scanner<'a>) -> Option<(Value<'a>, usize)> {
    sc.ws();
    let start = sc.i;
    let v = match *sc.b.get(sc.i)? {
        b'"' => Value::Str(sc.string()?),
        b'n' if sc.literal("null") => Value::Null,
        b't' if sc.literal("true") => Value::Bool,
        b'f' if sc.literal("false") => Value::Bool,
        b'-' | b'0'..=b'9' => Value::Num(sc.number()?),
        _ => return None,
    };
    Some((v, start))
}

/// An integer token (at most 18 digits) as serde's lenient number would read it, or
/// `None` to fall back.
fn int_token(t: &str) -> Option<f64> {
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(if negative { -v } else { v } as f64)
}

/// A decimal token of at most 15 digits and no exponent, where every correct parser
/// (serde's fast one included) gives the same f64; longer ones go to serde.
fn short_decimal(t: &str) -> Option<f64> {
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    if digits <= 15 && !t.contains(['e', 'E']) {
        t.parse().ok()
    } else {
        None
    }
}

/// Parses `json` if it has the simple shape; `None` sends the caller to serde.
#[cfg(test)]
pub(crate) fn parse(json: &str) -> Option<Event<'_>> {
    let mut ev = Event::default();
    parse_into(json, &mut ev).then_some(ev)
}

/// Parses `json` into `ev` (reset first) if it has the simple shape, in place so the
/// caller's storage is filled without moving the event; `false` sends the caller to
/// serde, with `ev` in an unspecified state.
pub(crate) fn parse_into<'a>(json: &'a str, ev: &mut Event<'a>) -> bool {
    *ev = Event::default();
    scan(json, ev).is_some()
}

fn scan<'a>(json: &'a str, ev: &mut Event<'a>) -> Option<()> {
    let mut sc = Scanner { s: json, b: json.as_bytes(), i: 0 };
    sc.eat(b'{')?;
    sc.ws();
    if sc.b.get(sc.i) == Some(&b'}') {
        sc.i += 1;
    } else {
        loop {
            let key = sc.string()?;
            sc.eat(b':')?;
            let (v, start) = value(&mut sc)?;
            let text = |v: Value<'a>| match v {
                Value::Str(s) => Some(Some(Cow::Borrowed(s))),
                Value::Null => Some(None),
                _ => None,
            };
            let number = |v: Value<'a>| match v {
                Value::Num(t) => Some(Some(t)),
                Value::Null => Some(None),
                _ => None,
            };
            match key {
                "eventId" => ev.event_id = text(v)?,
                "userId" => ev.user_id = text(v)?,
                "sessionId" => ev.session_id = text(v)?,
                "eventType" => ev.event_type = text(v)?,
                "productId" => ev.product_id = text(v)?,
                "userAgent" => ev.user_agent = text(v)?,
                "ipAddress" => ev.ip_address = text(v)?,
                "currency" => ev.currency = text(v)?,
                "timestamp" => {
                    ev.timestamp = match number(v)? {
                        None => None,
                        Some(t) => Some(int_token(t)? as i64),
                    }
                }
                "price" => {
                    ev.price = match number(v)? {
                        None => None,
                        Some(t) => Some(short_decimal(t)?),
                    }
                }
                "quantity" => {
                    ev.quantity = match number(v)? {
                        None => None,
                        // Whole, non-negative, below 2^53; anything else is serde's to judge.
                        Some(t) => match int_token(t)? {
                            q if (0.0..2f64.powi(53)).contains(&q) => Some(q as u64),
                            _ => return None,
                        },
                    }
                }
                _ => {
                    let raw = RawValue::from_string(json[start..sc.i].to_owned()).ok()?;
                    ev.extra.push((Cow::Borrowed(key), raw));
                }
            }
            if !next(&mut sc)? {
                break;
            }
        }
    }
    sc.ws();
    (sc.i == sc.b.len()).then_some(())
}

/// After a member: `Some(true)` for a comma, `Some(false)` for the closing brace.
fn next(sc: &mut Scanner<'_>) -> Option<bool> {
    sc.ws();
    match *sc.b.get(sc.i)? {
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
    fn the_common_shape_takes_the_fast_path() {
        let json = r#"{"eventId":"7d1f0a9e-0b5e-4c1e-9f5e-2f3c4b5a6d7e","userId":"user-42","eventType":"purchase","timestamp":1764000000123,"price":19.99,"quantity":2,"currency":"USD","x":true}"#;
        let ev = parse(json).expect("fast path");
        assert_eq!(Some(ev), Event::from_json_with_serde(json).ok());
    }

    #[test]
    fn unusual_shapes_fall_back() {
        for json in [
            r#"{"userId":"a\"b"}"#,
            r#"{"userId":"u","campaign":{"id":1}}"#,
            r#"{"timestamp":"1764000000000"}"#,
            r#"{"quantity":1.5}"#,
            r#"{"price":1e999}"#,
            r#"{"userId":"u",}"#,
            r#"{"userId":"u"} x"#,
            "[1]",
        ] {
            assert!(parse(json).is_none(), "{json}");
        }
    }
}
