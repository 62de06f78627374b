//! Standard (padded) base64 decoding for the Lambda's batch path, where every record's
//! `data` is base64.
//!
//! On x86-64 CPUs with AVX2 (every Lambda x86-64 host) the whole record is decoded 32
//! characters at a time, its last partial block included: the block is copied into a
//! buffer filled with `A` (the digit zero) and decoded like the others. `base64-simd`,
//! which the function used before, hands the last 6 to 37 characters of every input to
//! a scalar loop; for a 320-character record that loop was a third of the decoding's
//! instructions. Elsewhere (Graviton's aarch64, or a CPU without AVX2) `base64-simd`
//! decodes, with its own NEON or SSE paths.
//!
//! Both paths accept exactly the same inputs: a length that is a multiple of four, only
//! `A`–`Z`, `a`–`z`, `0`–`9`, `+` and `/`, at most two `=` at the end, and no bits set
//! after the last whole byte (the canonical encoding). `tests/properties.rs` holds the
//! AVX2 path to the scalar `base64` crate on random and nearly valid inputs.

/// The input is not standard padded base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBase64;

impl std::fmt::Display for InvalidBase64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not valid standard base64")
    }
}

impl std::error::Error for InvalidBase64 {}

/// Spare room [`decode_append`] needs in `out` beyond the decoded bytes, so that it does
/// not grow the vector: the AVX2 path stores 32 bytes at a time.
pub const SCRATCH: usize = 32;

/// Decodes `data` and appends the bytes to `out`. On an error `out` is left as it was.
pub fn decode_append(data: &[u8], out: &mut Vec<u8>) -> Result<(), InvalidBase64> {
    #[cfg(target_arch = "x86_64")]
    if let Some(cpu) = avx2::Avx2::detect() {
        return decode_by_blocks(cpu, data, out);
    }
    portable_decode_append(data, out)
}

/// Whether [`decode_append`] takes the AVX2 path on this CPU.
pub fn decodes_with_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    return avx2::Avx2::detect().is_some();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `base64-simd`'s decoder: the path on CPUs without AVX2, and the one the AVX2 path is
/// measured against.
pub fn portable_decode_append(data: &[u8], out: &mut Vec<u8>) -> Result<(), InvalidBase64> {
    let start = out.len();
    base64_simd::STANDARD.decode_append(data, out).map(|_| ()).map_err(|_| {
        out.truncate(start);
        InvalidBase64
    })
}

/// Checks the length and the padding, then decodes the digits with
/// [`avx2::Avx2::decode_append`].
#[cfg(target_arch = "x86_64")]
fn decode_by_blocks(cpu: avx2::Avx2, data: &[u8], out: &mut Vec<u8>) -> Result<(), InvalidBase64> {
    if !data.len().is_multiple_of(4) {
        return Err(InvalidBase64);
    }
    // The digits before the padding: all must be in the alphabet.
    let padding = match data {
        [.., b'=', b'='] => 2,
        [.., b'='] => 1,
        _ => 0,
    };
    let digits = &data[..data.len() - padding];
    let decoded = digits.len() / 4 * 3 + [0, 0, 1, 2][digits.len() % 4];
    if digits.len() % 4 == 1 {
        return Err(InvalidBase64); // "x===": a lone digit is no byte
    }
    if cpu.decode_append(digits, decoded, out) {
        Ok(())
    } else {
        Err(InvalidBase64)
    }
}

/// The crate's second use of `unsafe`: the AVX2 intrinsics, in a function compiled for
/// AVX2 and reached only through an [`avx2::Avx2`], which exists only where
/// `is_x86_feature_detected!("avx2")` said yes.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi8, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_madd_epi16,
        _mm256_maddubs_epi16, _mm256_or_si256, _mm256_permutevar8x32_epi32, _mm256_set1_epi32, _mm256_set1_epi8,
        _mm256_setr_epi32, _mm256_setr_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi32,
        _mm256_storeu_si256, _mm256_testz_si256,
    };

    /// Proof that the CPU supports AVX2.
    #[derive(Clone, Copy)]
    pub(super) struct Avx2(());

    impl Avx2 {
        /// `Some` on a CPU with AVX2 (std caches the answer: one load after the first).
        #[inline]
        pub(super) fn detect() -> Option<Self> {
            std::arch::is_x86_feature_detected!("avx2").then_some(Avx2(()))
        }

        /// Decodes `digits` (checked by the caller: not 1 more than a multiple of 4)
        /// into the `decoded` bytes they stand for, appended to `out`. `false`, with `out`
        /// as it was, if a byte is not a digit or a last group of 2 or 3 digits leaves
        /// its spare bits set (not the canonical encoding).
        ///
        /// The blocks are stored into `out`'s spare capacity, not into bytes zeroed
        /// first: zeroing `decoded` + 32 bytes per record was 35 instructions of the
        /// ~2,800 the processor spends on one.
        #[inline]
        pub(super) fn decode_append(self, digits: &[u8], decoded: usize, out: &mut Vec<u8>) -> bool {
            debug_assert!(digits.len() % 4 != 1 && decoded == digits.len() / 4 * 3 + [0, 0, 1, 2][digits.len() % 4]);
            out.reserve(decoded + BLOCK);
            let start = out.len();
            let spare = out.spare_capacity_mut();
            // SAFETY: an `Avx2` exists only where the CPU has AVX2; `spare` holds
            // `decoded` + 32 bytes, as `decode_digits` asks.
            let mut ok = unsafe { decode_digits(digits, spare.as_mut_ptr().cast(), spare.len()) };
            if !digits.len().is_multiple_of(4) {
                // A last group of 2 or 3 digits must leave its spare bits zero. They land
                // in the byte after the output, which is zero otherwise: the last block
                // was filled out with `A`s, which decode to zero bits.
                // SAFETY: that byte lies within the last block, which `decode_digits`
                // stored: the digits' length is not a multiple of 32.
                ok &= unsafe { spare[decoded].assume_init() } == 0;
            }
            if ok {
                // SAFETY: `decode_digits` stored every byte up to `decoded` and past it.
                unsafe { out.set_len(start + decoded) };
            }
            ok
        }
    }

    /// Digits per block, and the bytes they decode to.
    const _: () = assert!(BLOCK <= super::SCRATCH);
    const BLOCK: usize = 32;
    const BLOCK_BYTES: usize = 24;

    /// The same 16 bytes in both 128-bit lanes (`vpshufb` looks up within a lane).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn table(t: [i8; 16]) -> __m256i {
        _mm256_setr_epi8(
            t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15], t[0],
            t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15],
        )
    }

    /// Decodes `digits` (a length that is not 1 more than a multiple of 4) into the
    /// `room` bytes at `out`, which must hold the decoded bytes plus 32; what follows the
    /// decoded bytes is overwritten. `false` if any byte is not a base64 digit (`=`
    /// included).
    ///
    /// Blocks of 32 digits decode to 24 bytes. The last partial block is copied into a
    /// block of `A`s, which decode to zero bits, so the byte after the last output byte
    /// holds a last partial group's spare bits and is zero when they are.
    ///
    /// The alphabet is checked by nibbles: each high nibble has a class bit, and the
    /// table of low nibbles sets, for each low nibble, the classes in which it is *not*
    /// a digit. A byte is a digit when its two lookups share no bit:
    ///
    /// | high nibble | digits | class bit | low nibbles that are not digits |
    /// |---|---|---|---|
    /// | 0, 1, 8–F | none | 0x10 | all |
    /// | 2 | `+` (B), `/` (F) | 0x01 | all but B and F |
    /// | 3 | `0`–`9` | 0x02 | A–F |
    /// | 4, 6 | `A`–`O`, `a`–`o` | 0x04 | 0 |
    /// | 5, 7 | `P`–`Z`, `p`–`z` | 0x08 | B–F |
    ///
    /// A digit's value is the byte plus an offset that depends on its high nibble alone,
    /// except for `/`, whose nibble it shares with `+`: the offsets are looked up by the
    /// high nibble less one for `/` (`A`–`Z` −65, `a`–`z` −71, `0`–`9` +4, `+` +19, `/` +16).
    /// Four 6-bit values a, b, c, d then pack into 24 bits: `vpmaddubsw` forms a·64 + b
    /// and c·64 + d, `vpmaddwd` joins the pairs as (a·64 + b)·4096 + (c·64 + d), and two
    /// shuffles put each 32-bit group's three bytes in order, big end first, side by side.
    ///
    /// # Safety
    /// The CPU must support AVX2, and `out` must be valid for `room` bytes of writes.
    #[target_feature(enable = "avx2")]
    unsafe fn decode_digits(digits: &[u8], out: *mut u8, room: usize) -> bool {
        let not_digit_low =
            table([0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a]);
        let class_high =
            table([0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10]);
        let offset = table([0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0]);
        let nibble = _mm256_set1_epi8(0x0f);
        let slash = _mm256_set1_epi8(b'/' as i8);
        let merge_pairs = _mm256_set1_epi32(0x0140_0140);
        let join_pairs = _mm256_set1_epi32(0x0001_1000);
        // Within each lane: bytes 2, 1, 0 of each 32-bit group; the last four are zeroed.
        let order = table([2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1]);
        // Lane 0's 12 bytes, then lane 1's, then 8 zero bytes (group 3 is a zeroed one).
        let lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 3);
        let mut bad = _mm256_setzero_si256();

        let mut block = |digits: &[u8; BLOCK], at: usize| {
            assert!(at + BLOCK <= room);
            let v = _mm256_loadu_si256(digits.as_ptr().cast());
            let high = _mm256_and_si256(_mm256_srli_epi32::<4>(v), nibble);
            let low = _mm256_and_si256(v, nibble);
            let not_digit =
                _mm256_and_si256(_mm256_shuffle_epi8(not_digit_low, low), _mm256_shuffle_epi8(class_high, high));
            bad = _mm256_or_si256(bad, not_digit);
            let values =
                _mm256_add_epi8(v, _mm256_shuffle_epi8(offset, _mm256_add_epi8(high, _mm256_cmpeq_epi8(v, slash))));
            let groups = _mm256_madd_epi16(_mm256_maddubs_epi16(values, merge_pairs), join_pairs);
            let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(groups, order), lanes);
            // SAFETY: the `assert!` above keeps the 32-byte store within the `room` bytes.
            _mm256_storeu_si256(out.add(at).cast(), packed);
        };

        let mut blocks = digits.chunks_exact(BLOCK);
        let mut at = 0;
        for digits in &mut blocks {
            block(digits.try_into().unwrap_or(&[0; BLOCK]), at);
            at += BLOCK_BYTES;
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            let mut last = [b'A'; BLOCK];
            last[..rest.len()].copy_from_slice(rest);
            block(&last, at);
        }
        _mm256_testz_si256(bad, bad) == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Result<Vec<u8>, InvalidBase64> {
        let mut out = b"kept".to_vec();
        let r = decode_append(s.as_bytes(), &mut out);
        assert_eq!(&out[..4], b"kept");
        r.map(|()| out[4..].to_vec()).inspect_err(|_| assert_eq!(out, b"kept"))
    }

    #[test]
    fn decodes_every_length_and_padding() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for n in 0..bytes.len() {
            let mut encoded = String::new();
            base64_simd::STANDARD.encode_append(&bytes[..n], &mut encoded);
            assert_eq!(decode(&encoded), Ok(bytes[..n].to_vec()), "length {n}");
        }
    }

    #[test]
    fn rejects_what_is_not_canonical_padded_base64() {
        for bad in ["A", "AB", "ABC", "A===", "====", "AB=C", "AB =", "QQ=", "QR==", "QUF=", "QUE=QUE=", "Zm9v\n"] {
            assert_eq!(decode(bad), Err(InvalidBase64), "{bad:?}");
        }
        // Every byte outside the alphabet, at every place of a 64-digit input.
        let good = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2";
        for c in 0..=255u8 {
            if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' {
                continue;
            }
            for at in [0, 5, 31, 32, 47, 63] {
                let mut s = good.as_bytes().to_vec();
                s[at] = c;
                assert_eq!(decode_append(&s, &mut Vec::new()), Err(InvalidBase64), "byte {c:#x} at {at}");
            }
        }
    }
}
