//! Record data as text: the batch path checks every record's bytes are UTF-8 before it
//! parses them.
//!
//! Producers send ASCII JSON nearly always (serde's and Python's `json.dumps` escape
//! every non-ASCII character by default). An ASCII check is one OR per 16 bytes and
//! needs no state between bytes, where a UTF-8 validator for a 230-byte record (here
//! `simdutf8`) spent about 230 instructions, most of them copying the record's tail into
//! a 64-byte block (callgrind, `benches/examples/handler_ir.rs`). So the ASCII check runs
//! first, and the validator only for records that have a byte above 0x7f.

/// `bytes` as text, if they are UTF-8.
#[inline]
pub fn from_utf8(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        return Some(ascii_str(bytes));
    }
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Whether no byte of `bytes` is above 0x7f: sixteen at a time where SSE2 is there
/// (every x86-64 CPU), the last sixteen loaded overlapping the ones before; std's
/// word-at-a-time check elsewhere and for short inputs.
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if bytes.len() >= 16 {
        let chunks = bytes.chunks_exact(16);
        let last = &bytes[bytes.len() - 16..];
        let mut high = sse2::high_bits(last.try_into().unwrap_or(&[0; 16]));
        for chunk in chunks {
            high |= sse2::high_bits(chunk.try_into().unwrap_or(&[0; 16]));
        }
        return high == 0;
    }
    bytes.is_ascii()
}

/// The module's one use of `unsafe`, in two parts, each with its safety note: SSE2's
/// sixteen-byte load, and text made from bytes [`is_ascii`] has checked.
#[allow(unsafe_code)]
fn ascii_str(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: called only on bytes `is_ascii` found all below 0x80 (see `from_utf8`),
    // and ASCII is UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
mod sse2 {
    use std::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8};

    /// Bit k set where byte k of `chunk` is above 0x7f.
    #[inline(always)]
    pub(super) fn high_bits(chunk: &[u8; 16]) -> u32 {
        // SAFETY: the module is compiled only where SSE2 is enabled (the cfg above), so
        // the intrinsics are available; the unaligned load reads exactly the 16 bytes
        // `chunk` borrows.
        unsafe { _mm_movemask_epi8(_mm_loadu_si128(chunk.as_ptr().cast())) as u32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_utf8_are_text_and_anything_else_is_not() {
        let mut text = String::new();
        for len in 0..80 {
            assert_eq!(from_utf8(text.as_bytes()), Some(text.as_str()), "{len} ASCII bytes");
            text.push(char::from(b'a' + (len % 26) as u8));
        }
        // A non-ASCII character, or an invalid byte, at every position of every length
        // around the 16-byte chunks.
        for len in 1..70 {
            for at in 0..len {
                let mut bytes = vec![b'x'; len];
                bytes[at] = 0xff;
                assert_eq!(from_utf8(&bytes), None, "0xff at {at} of {len}");
                bytes[at] = 0xc3;
                if at + 1 < len {
                    bytes[at + 1] = 0xa9; // é
                    let s = from_utf8(&bytes).expect("UTF-8");
                    assert_eq!(s.chars().filter(|&c| c == 'é').count(), 1);
                } else {
                    assert_eq!(from_utf8(&bytes), None, "a cut-off character at the end of {len}");
                }
            }
        }
    }
}
