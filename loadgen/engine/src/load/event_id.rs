//! Event ids: the generator draws a `u128` per event and writes it as an RFC 4122
//! version-4 UUID (the version and variant bits forced); random partition keys and
//! verification's table lookups write the same text from the same number.

/// `id` as a version-4 UUID.
pub fn uuid(id: u128) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(id.to_be_bytes()).into_uuid()
}

/// `id`'s UUID text (36 bytes, lower-case hex), without allocating: the text `uuid`'s
/// hyphenated form writes, sixteen digits at a time instead of a table look-up per digit
/// (the generator writes two per event; `uuid`'s encoder was a tenth of its instructions).
pub fn uuid_text(id: u128) -> [u8; uuid::fmt::Hyphenated::LENGTH] {
    let digits = hex32(uuid(id).as_bytes());
    let mut text = [b'-'; uuid::fmt::Hyphenated::LENGTH];
    text[0..8].copy_from_slice(&digits[0..8]);
    text[9..13].copy_from_slice(&digits[8..12]);
    text[14..18].copy_from_slice(&digits[12..16]);
    text[19..23].copy_from_slice(&digits[16..20]);
    text[24..36].copy_from_slice(&digits[20..32]);
    text
}

/// `bytes` as 32 lower-case hex digits, first byte first: SSE2 splits the bytes'
/// nibbles, interleaves them and makes all sixteen digits of each half at once.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn hex32(bytes: &[u8; 16]) -> [u8; 32] {
    // SAFETY: `hex32_sse2` needs SSE2, which this build's target has (the `cfg` above; it
    // is in every x86-64's baseline), so every CPU this code can run on has it. It reads
    // and writes nothing but its argument and its result.
    #[allow(unsafe_code)]
    unsafe {
        hex32_sse2(bytes)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn hex32_sse2(bytes: &[u8; 16]) -> [u8; 32] {
    use std::arch::x86_64::{
        _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_cvtsi128_si64, _mm_set1_epi8, _mm_set_epi64x, _mm_srli_epi16,
        _mm_unpackhi_epi64, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
    };
    let half = |i: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i..i + 8]);
        i64::from_le_bytes(word)
    };
    let x = _mm_set_epi64x(half(8), half(0));
    let low = _mm_set1_epi8(0x0f);
    let (high_nibbles, low_nibbles) = (_mm_and_si128(_mm_srli_epi16::<4>(x), low), _mm_and_si128(x, low));
    let mut out = [0u8; 32];
    for (k, nibbles) in [_mm_unpacklo_epi8(high_nibbles, low_nibbles), _mm_unpackhi_epi8(high_nibbles, low_nibbles)]
        .into_iter()
        .enumerate()
    {
        let letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8((b'a' - b'9' - 1) as i8));
        let digits = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8(b'0' as i8)), letters);
        out[k * 16..k * 16 + 8].copy_from_slice(&_mm_cvtsi128_si64(digits).to_le_bytes());
        out[k * 16 + 8..k * 16 + 16]
            .copy_from_slice(&_mm_cvtsi128_si64(_mm_unpackhi_epi64(digits, digits)).to_le_bytes());
    }
    out
}

/// `bytes` as 32 lower-case hex digits, first byte first (any other architecture): eight
/// digits at a time (`hex8`).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn hex32(bytes: &[u8; 16]) -> [u8; 32] {
    portable_hex32(bytes)
}

#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))] // tested against `hex32`
fn portable_hex32(bytes: &[u8; 16]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (digits, word) in out.chunks_exact_mut(8).zip(bytes.chunks_exact(4)) {
        digits.copy_from_slice(&hex8(u32::from_be_bytes([word[0], word[1], word[2], word[3]])));
    }
    out
}

/// `x` as eight lower-case hex digits, most significant first: each nibble spread into a
/// byte of its own, then all eight made digits at once (a nibble above 9 gets the
/// distance from `'9' + 1` to `'a'`).
fn hex8(x: u32) -> [u8; 8] {
    let x = u64::from(x);
    let x = (x & 0xffff_0000) << 16 | (x & 0xffff);
    let x = (x & 0x0000_ff00_0000_ff00) << 8 | (x & 0x0000_00ff_0000_00ff);
    let x = (x & 0x00f0_00f0_00f0_00f0) << 4 | (x & 0x000f_000f_000f_000f);
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * u64::from(b'a' - b'9' - 1)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_text() {
        let text = uuid_text(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(std::str::from_utf8(&text).unwrap(), "01234567-89ab-4def-8123-456789abcdef");
        assert_eq!(uuid(0).get_version_num(), 4);
    }

    #[test]
    fn uuid_text_is_the_uuid_crates_text() {
        let mut x = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834_u128;
        let mut ids =
            vec![0, u128::MAX, 0x0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f, 0xa5a5_5a5a_a5a5_5a5a_a5a5_5a5a_a5a5_5a5a];
        for _ in 0..10_000 {
            // A 128-bit LCG step: every digit value at every position, many times over.
            x = x.wrapping_mul(0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645).wrapping_add(0x5851_f42d_4c95_7f2d);
            ids.push(x);
        }
        for id in ids {
            let text = uuid_text(id);
            assert_eq!(std::str::from_utf8(&text).unwrap(), uuid(id).hyphenated().to_string(), "{id:#x}");
            // The other architectures' digits, checked here too.
            assert_eq!(portable_hex32(&id.to_be_bytes()), hex32(&id.to_be_bytes()), "{id:#x}");
        }
    }
}
