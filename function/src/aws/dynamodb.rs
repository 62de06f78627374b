//! [`EventStore`] on DynamoDB: one `BatchWriteItem` per call, its body written straight
//! from the items in DynamoDB's JSON (no attribute maps in between) and sent by
//! [`JsonRpcClient`].

use std::io::Write as _;

use aws_config::SdkConfig;
use retail_events::{attr, push_json_string, AttrValue, StoredItem};

use super::json_rpc::{Answer, ClientError, JsonRpcClient, Service};
use crate::ports::{EventStore, ServiceError};

/// DynamoDB in the JSON 1.0 protocol.
pub const SERVICE: Service = Service { id: "DynamoDB", name: "dynamodb", target_prefix: "DynamoDB_20120810" };
const OPERATION: &str = "BatchWriteItem";
/// Room reserved per item in a body: a full-contract item is about 800 bytes of
/// DynamoDB JSON; a larger one grows the buffer.
const BODY_BYTES_PER_ITEM: usize = 1024;

/// Writes items to one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbStore {
    client: JsonRpcClient,
    table: String,
}

impl DynamoDbStore {
    /// A store writing to `table` with the region, endpoint and credentials of `sdk`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Result<Self, ClientError> {
        Ok(Self { client: JsonRpcClient::new(sdk, SERVICE)?, table: table.into() })
    }
}

impl EventStore for DynamoDbStore {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        let mut body = Vec::with_capacity(64 + self.table.len() + items.len() * BODY_BYTES_PER_ITEM);
        write_batch_write_item(&self.table, items, &mut body);
        let answer = self.client.call(OPERATION, body).await?;
        unprocessed_positions(&answer, &self.table, items)
    }
}

/// The `BatchWriteItem` body putting `items` into `table`.
fn write_batch_write_item(table: &str, items: &[&StoredItem<'_>], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"RequestItems\":{");
    push_json_string(out, table);
    out.extend_from_slice(b":[");
    // The derived attributes' text, built here once per body instead of once per item.
    let mut scratch = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"PutRequest\":{\"Item\":");
        write_item(item, out, &mut scratch);
        out.extend_from_slice(b"}}");
    }
    out.extend_from_slice(b"]}}");
}

/// An item as DynamoDB JSON: `{"name":{"S":"…"},"n":{"N":"1"},…}` in the layout of
/// [`StoredItem::for_each_attribute`]; `scratch` holds a derived attribute's text while it
/// is written.
fn write_item(item: &StoredItem<'_>, out: &mut Vec<u8>, scratch: &mut String) {
    out.push(b'{');
    let mut first = true;
    item.for_each_attribute(|name, value| {
        // The names are the contract's own, which need no escapes: copied, not scanned.
        debug_assert!(name.bytes().all(|c| c >= b' ' && c != b'"' && c != b'\\'), "{name}");
        out.extend_from_slice(if first { b"\"" } else { b",\"" });
        first = false;
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        match value {
            AttrValue::S(s) => string_attribute(s, out),
            AttrValue::Derived(d) => {
                scratch.clear();
                d.push_to(scratch);
                string_attribute(scratch, out);
            }
            AttrValue::Int(n) => {
                out.extend_from_slice(b"{\"N\":\"");
                out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                out.extend_from_slice(b"\"}");
            }
            AttrValue::Float(f) => {
                out.extend_from_slice(b"{\"N\":\"");
                // Writing to a Vec cannot fail.
                let _ = write!(out, "{f}");
                out.extend_from_slice(b"\"}");
            }
            AttrValue::Extra(fields) => {
                // A repeated unknown field keeps its last value, as a JSON object does.
                let map: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, raw)| (k.to_string(), serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)))
                    .collect();
                map_attribute(&map, out);
            }
        }
    });
    out.push(b'}');
}

fn string_attribute(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"S\":");
    push_json_string(out, s);
    out.push(b'}');
}

fn map_attribute(map: &serde_json::Map<String, serde_json::Value>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"M\":{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_string(out, k);
        out.push(b':');
        json_attribute(v, out);
    }
    out.extend_from_slice(b"}}");
}

/// A JSON value as a DynamoDB attribute value: null, bool, number, string, list, map.
fn json_attribute(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Null => out.extend_from_slice(b"{\"NULL\":true}"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"{\"BOOL\":true}" } else { b"{\"BOOL\":false}" }),
        Value::Number(n) => {
            out.extend_from_slice(b"{\"N\":\"");
            let _ = write!(out, "{n}");
            out.extend_from_slice(b"\"}");
        }
        Value::String(s) => string_attribute(s, out),
        Value::Array(a) => {
            out.extend_from_slice(b"{\"L\":[");
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_attribute(v, out);
            }
            out.extend_from_slice(b"]}");
        }
        Value::Object(o) => map_attribute(o, out),
    }
}

/// The positions in `items` that DynamoDB left unprocessed, or the call's error.
fn unprocessed_positions(answer: &Answer, table: &str, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
    if let Some(e) = answer.error("DynamoDB BatchWriteItem") {
        return Err(e);
    }
    unprocessed_keys(&answer.body, table)
        .map(|keys| {
            // DynamoDB returns the unprocessed requests themselves; find them by key.
            keys.iter()
                .filter_map(|(user, key)| {
                    items.iter().position(|i| i.user_id == user.as_str() && i.event_key() == *key)
                })
                .collect()
        })
        .map_err(|e| ServiceError::Unavailable(format!("DynamoDB BatchWriteItem: an answer that is not its JSON: {e}")))
}

/// The (userId, eventKey) of every put request in the answer's `UnprocessedItems` for
/// `table`.
fn unprocessed_keys(body: &[u8], table: &str) -> Result<Vec<(String, String)>, serde_json::Error> {
    use std::collections::HashMap;

    use serde_json::{Map, Value};
    #[derive(serde::Deserialize)]
    struct Output {
        #[serde(rename = "UnprocessedItems", default)]
        unprocessed: HashMap<String, Vec<WriteRequest>>,
    }
    #[derive(serde::Deserialize)]
    struct WriteRequest {
        #[serde(rename = "PutRequest")]
        put: Option<PutRequest>,
    }
    #[derive(serde::Deserialize)]
    struct PutRequest {
        #[serde(rename = "Item")]
        item: Map<String, Value>,
    }
    let out: Output = serde_json::from_slice(body)?;
    let string = |item: &Map<String, Value>, name: &str| item.get(name)?.get("S")?.as_str().map(str::to_string);
    Ok(out
        .unprocessed
        .get(table)
        .into_iter()
        .flatten()
        .filter_map(|w| w.put.as_ref())
        .filter_map(|p| Some((string(&p.item, attr::USER_ID)?, string(&p.item, attr::EVENT_KEY)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use retail_events::{Event, RecordMeta};

    fn item_json(event: &str) -> serde_json::Value {
        let meta = RecordMeta {
            shard_id: "shardId-000000000003",
            sequence_number: "49",
            arrival_ms: 1_764_000_000_000,
            sub_sequence: None,
        };
        let item = StoredItem::build(Event::from_json(event).unwrap(), &meta, 1_764_000_000_500, 60).unwrap();
        let mut out = Vec::new();
        write_batch_write_item("events", &[&item], &mut out);
        serde_json::from_slice(&out).expect("the body is JSON")
    }

    #[test]
    fn the_body_carries_every_attribute_typed() {
        let body = item_json(
            r#"{"eventId":"e\"1","userId":"u\\1","eventType":"purchase","productId":"P\n7","timestamp":1763999999000,"price":9.99,"quantity":2,"currency":"USD","campaign":{"id":7,"tags":["a",null,true,1.5e3]},"dup":1,"dup":"last"}"#,
        );
        let item = &body["RequestItems"]["events"][0]["PutRequest"]["Item"];
        assert_eq!(item["userId"], serde_json::json!({"S": "u\\1"}));
        assert_eq!(item["eventKey"], serde_json::json!({"S": "1763999999000#e\"1"}));
        assert_eq!(item["productId"], serde_json::json!({"S": "P\n7"}));
        assert_eq!(item["price"], serde_json::json!({"N": "9.99"}));
        assert_eq!(item["quantity"], serde_json::json!({"N": "2"}));
        assert_eq!(item["eventScore"], serde_json::json!({"N": "10"}));
        assert_eq!(item["expiresAt"], serde_json::json!({"N": "1764000060"}));
        assert_eq!(item["shardId"], serde_json::json!({"S": "shardId-000000000003"}));
        assert_eq!(item["insight"], serde_json::json!({"S": "User u\\1 purchased product P\n7"}));
        assert_eq!(
            item["extra"],
            serde_json::json!({"M": {
                "campaign": {"M": {"id": {"N": "7"}, "tags": {"L": [{"S": "a"}, {"NULL": true}, {"BOOL": true}, {"N": "1500.0"}]}}},
                "dup": {"S": "last"}
            }})
        );
        let mut names = Vec::new();
        let meta = RecordMeta { shard_id: "s", sequence_number: "1", arrival_ms: 1, sub_sequence: None };
        let it =
            StoredItem::build(Event::from_json(r#"{"userId":"u","eventType":"view"}"#).unwrap(), &meta, 5, 1).unwrap();
        it.for_each_attribute(|n, _| names.push(n));
        let mut out = Vec::new();
        write_item(&it, &mut out, &mut String::new());
        let written: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(written.len(), names.len(), "one member per attribute");
    }

    #[test]
    fn unprocessed_keys_are_read_for_the_table() {
        assert_eq!(unprocessed_keys(br#"{"UnprocessedItems":{}}"#, "t").unwrap(), vec![]);
        let body = br#"{"UnprocessedItems":{"t":[
            {"PutRequest":{"Item":{"userId":{"S":"u1"},"eventKey":{"S":"k1"},"n":{"N":"1"}}}},
            {"DeleteRequest":{"Key":{"userId":{"S":"u2"}}}},
            {"PutRequest":{"Item":{"userId":{"S":"u3"},"eventKey":{"S":"k3"}}}}
        ],"other":[{"PutRequest":{"Item":{"userId":{"S":"x"},"eventKey":{"S":"y"}}}}]}}"#;
        assert_eq!(
            unprocessed_keys(body, "t").unwrap(),
            vec![("u1".to_string(), "k1".to_string()), ("u3".to_string(), "k3".to_string())]
        );
        assert!(unprocessed_keys(b"<html>", "t").is_err());
    }
}
