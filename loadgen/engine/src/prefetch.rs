//! Cache hints: asking the CPU to bring memory the next steps will read into its cache
//! while it works on the current one. Hints only: nothing is read, nothing changes, and
//! on other architectures than x86-64 they do nothing. One of the crate's two uses of
//! `unsafe` (the other: `load::event_id`'s SSE2 hex digits).

/// Hints that `value` will be read soon.
#[inline(always)]
pub(crate) fn value<T>(value: &T) {
    line((value as *const T).cast::<u8>());
}

/// Hints that the first `max_lines` cache lines of `bytes` will be read soon.
#[inline(always)]
pub(crate) fn bytes(bytes: &[u8], max_lines: usize) {
    for offset in (0..bytes.len()).step_by(64).take(max_lines) {
        line(bytes[offset..].as_ptr());
    }
}

/// Hints that the `bytes` at `at` will be used soon. `at` may be any address, null or
/// dangling included (a hint kept from an earlier step): a prefetch never faults.
#[inline(always)]
pub(crate) fn address<T>(at: *const T, bytes: usize) {
    // Every line the span touches, once each, from the start of the first.
    let skew = at.addr() % 64;
    let first = at.cast::<u8>().wrapping_sub(skew);
    for offset in (0..skew + bytes).step_by(64) {
        line(first.wrapping_add(offset));
    }
}

#[inline(always)]
fn line(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint to the cache: it never faults, whatever the
    // address, and reads or writes nothing the program sees.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
