//! Properties of the contract that must hold for every input.

use std::borrow::Cow;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use retail_events::{DecodeError, Event, RecordMeta, Shape, StoredItem, ValidationError};

const NOW: i64 = 1_764_000_000_000;

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of("\\PC{0,40}")
}

fn event() -> impl Strategy<Value = Event<'static>> {
    (
        (opt_text(), opt_text(), opt_text(), opt_text(), opt_text()),
        prop::option::of(946_684_800_000i64..NOW),
        (opt_text(), opt_text(), prop::option::of(0u32..100_000), prop::option::of(0u64..1000), opt_text()),
    )
        .prop_map(|((id, user, session, kind, product), ts, (ua, ip, cents, qty, cur))| Event {
            event_id: id.map(Cow::Owned),
            user_id: user.map(Cow::Owned),
            session_id: session.map(Cow::Owned),
            event_type: kind.map(Cow::Owned),
            product_id: product.map(Cow::Owned),
            timestamp: ts,
            user_agent: ua.map(Cow::Owned),
            ip_address: ip.map(Cow::Owned),
            price: cents.map(|c| f64::from(c) / 100.0),
            quantity: qty,
            currency: cur.map(Cow::Owned),
            extra: Vec::new(),
        })
}

/// `fast` (the fast path's answer for `json`) is serde's: the same event, or both fail.
fn agrees_with_serde(json: &str, fast: Result<Event<'_>, DecodeError>) -> Result<(), TestCaseError> {
    match (&fast, &Event::from_json_with_serde(json)) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", json),
        (Err(_), Err(_)) => {}
        (_, slow) => prop_assert!(false, "disagree on {}: fast {:?}, serde {:?}", json, fast.is_ok(), slow.is_ok()),
    }
    Ok(())
}

/// A member's key: the contract's names (short and long), and others.
fn member_key() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("userId"),
        Just("eventType"),
        Just("eventId"),
        Just("timestamp"),
        Just("price"),
        Just("quantity"),
        Just("currency"),
        Just("ipAddress"),
        Just("other"),
        Just("a"),
        Just("campaignName"),
    ]
}

/// One JSON member value of many shapes, as text.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        r#""[a-z\\"\\\\]{0,6}""#.prop_map(|s| s),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
        "-?[0-9]{1,20}(\\.[0-9]{0,4})?([eE][+-]?[0-9]{0,3})?",
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("{\"a\":[1,2]}".to_string()),
        Just("\"1764000000000\"".to_string()),
        Just("01".to_string()),
        Just("-".to_string()),
    ]
}

proptest! {
    /// The fast path and serde agree on every input: same event, or both fail.
    #[test]
    fn fast_path_agrees_with_serde(
        members in prop::collection::vec(
            (prop_oneof![Just("userId"), Just("eventType"), Just("eventId"), Just("timestamp"), Just("price"),
                         Just("quantity"), Just("currency"), Just("other")], any_value(), "[ \\t\\n]{0,2}"),
            0..8),
        trailing in prop_oneof![Just(""), Just(" "), Just(","), Just("x")],
    ) {
        let body: Vec<String> = members.iter().map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}")).collect();
        let json = format!("{{{}}}{trailing}", body.join(","));
        agrees_with_serde(&json, Event::from_json(&json))?;
    }

    /// A shape learned from earlier objects never changes what a later one decodes to. A
    /// run of objects laid out alike (one member's key or spacing changed in some, members
    /// missing at the end of others, values of every kind) is decoded one after another
    /// with one shape, and each agrees with serde.
    #[test]
    fn shapes_learned_from_earlier_objects_agree_with_serde(
        layout in prop::collection::vec((member_key(), "[ \\t\\n]{0,2}"), 0..9),
        objects in prop::collection::vec(
            (prop::collection::vec(any_value(), 9), 0usize..12, member_key(), "[ \\t\\n]{0,2}", 0usize..10),
            1..6),
    ) {
        let mut shape = Shape::default();
        for (values, changed, new_key, new_ws, members) in &objects {
            let body: Vec<String> = layout
                .iter()
                .take(*members)
                .enumerate()
                .map(|(j, (k, ws))| {
                    let (k, ws) = if j == *changed { (new_key, new_ws) } else { (k, ws) };
                    format!("{ws}\"{k}\"{ws}:{ws}{}{ws}", values[j])
                })
                .collect();
            let json = format!("{{{}}}", body.join(","));
            agrees_with_serde(&json, Event::decode_with(&json, &mut shape))?;
        }
    }

    /// Record data is text exactly when std says it is UTF-8.
    #[test]
    fn record_text_is_what_std_calls_utf8(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..100),
            "\\PC{0,40}".prop_map(String::into_bytes),
            ("[ -~]{0,60}", any::<u8>(), any::<prop::sample::Index>()).prop_map(|(s, b, at)| {
                let mut bytes = s.into_bytes();
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                bytes
            }),
        ],
    ) {
        prop_assert_eq!(retail_events::utf8::from_utf8(&bytes), std::str::from_utf8(&bytes).ok());
    }

    #[test]
    fn encoding_round_trips(ev in event()) {
        let json = ev.to_json();
        let back = Event::from_json(&json).unwrap();
        prop_assert_eq!(back, ev);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Ok(ev) = Event::from_json(text) {
                let _ = ev.validate(NOW);
                let meta = RecordMeta { shard_id: "s", sequence_number: "1", arrival_ms: NOW, sub_sequence: None };
                let _ = StoredItem::build(ev, &meta, NOW, 60);
            }
        }
    }

    #[test]
    fn arbitrary_json_objects_decode_or_fail_cleanly(
        fields in prop::collection::btree_map(
            prop_oneof![Just("userId".to_string()), Just("eventType".to_string()), Just("timestamp".to_string()),
                        Just("price".to_string()), Just("quantity".to_string()), "[a-z]{1,8}"],
            prop_oneof![
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
                "\\PC{0,20}".prop_map(serde_json::Value::from),
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::from),
            ],
            0..8,
        )
    ) {
        let json = serde_json::Value::Object(fields.into_iter().collect()).to_string();
        if let Ok(ev) = Event::from_json(&json) {
            match ev.validate(NOW) {
                Ok(()) => {
                    let meta = RecordMeta { shard_id: "shardId-000000000000", sequence_number: "1", arrival_ms: NOW, sub_sequence: None };
                    let item = StoredItem::build(ev, &meta, NOW, 60);
                    let ok = item.is_ok() || matches!(item, Err(ValidationError::ItemTooLarge { .. }));
                    prop_assert!(ok);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn keys_are_unique_per_event_and_ordered_by_time(
        a in (946_684_800_000i64..NOW, "[a-f0-9-]{1,36}"),
        b in (946_684_800_000i64..NOW, "[a-f0-9-]{1,36}"),
    ) {
        let meta = RecordMeta { shard_id: "s", sequence_number: "1", arrival_ms: NOW, sub_sequence: None };
        let ka = retail_events::event_key(a.0, Some(&a.1), &meta);
        let kb = retail_events::event_key(b.0, Some(&b.1), &meta);
        prop_assert_eq!(ka == kb, a == b);
        if a.0 < b.0 {
            prop_assert!(ka < kb);
        }
    }
}

type Decoder = fn(&[u8], &mut Vec<u8>) -> Result<(), retail_events::base64::InvalidBase64>;

/// Text that is base64 or nearly: an encoding with one byte replaced, or digits, `=` and
/// a few strangers in any order and length.
fn nearly_base64() -> impl Strategy<Value = Vec<u8>> {
    use base64::Engine;
    let encoded = prop::collection::vec(any::<u8>(), 0..200)
        .prop_map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes).into_bytes());
    prop_oneof![
        encoded.clone(),
        (encoded, any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut s, at, byte)| {
            if !s.is_empty() {
                let i = at.index(s.len());
                s[i] = byte;
            }
            s
        }),
        prop::collection::vec(prop::sample::select(b"AQgw/+9z=-_ \n\0\x80".to_vec()), 0..80),
    ]
}

proptest! {
    /// The batch path's base64 decoder (AVX2 where the CPU has it) accepts exactly what
    /// the scalar `base64` crate accepts and decodes it to the same bytes, as does the
    /// portable path; both leave the output as it was on an error.
    #[test]
    fn base64_paths_agree_with_the_scalar_crate(text in nearly_base64()) {
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.decode(&text).ok();
        let decoders: [Decoder; 2] = [retail_events::base64::decode_append, retail_events::base64::portable_decode_append];
        for decode in decoders {
            let mut out = b"before".to_vec();
            let got = decode(&text, &mut out).ok().map(|()| out[6..].to_vec());
            prop_assert_eq!(&got, &expected);
            prop_assert_eq!(&out[..6], b"before");
            if got.is_none() {
                prop_assert_eq!(out.len(), 6);
            }
        }
    }
}
