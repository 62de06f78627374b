//! Event ids: the generator draws a `u128` per event and writes it as an RFC 4122
//! version-4 UUID (the version and variant bits forced); random partition keys and
//! verification's table lookups write the same text from the same number.

/// `id` as a version-4 UUID.
pub fn uuid(id: u128) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(id.to_be_bytes()).into_uuid()
}

/// `id`'s UUID text (36 bytes, lower-case hex), without allocating.
pub fn uuid_text(id: u128) -> [u8; uuid::fmt::Hyphenated::LENGTH] {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid(id).hyphenated().encode_lower(&mut text);
    text
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
}
