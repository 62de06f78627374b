//! loadgen's compact load specs (`--rate-profile`, `--user-popularity`, `--mix`, shares,
//! durations, rates, sizes, `--shards`, `--metrics-listen`) on arbitrary text: an answer or an error message, never a panic; and a
//! spec that parses renders back to text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgen::spec;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    let _ = spec::profile(text);
    let _ = spec::popularity(text);
    let _ = spec::parse_share(text);
    let _ = spec::rps(text);
    let _ = spec::bytes(text);
    let _ = spec::shards(text);
    let _ = spec::listen_addr(text);
    if let Ok(d) = spec::duration(text) {
        assert_eq!(spec::duration(&spec::duration_text(d)), Ok(d), "duration {text:?}");
    }
    if let Ok(mix) = spec::mix(text) {
        let again = spec::mix(&spec::mix_text(&mix));
        assert!(again.is_ok(), "mix {text:?} rendered as {:?} does not parse", spec::mix_text(&mix));
    }
});
