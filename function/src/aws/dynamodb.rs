//! [`EventStore`] on DynamoDB: one `BatchWriteItem` per call.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use retail_events::{attr, AttrValue, StoredItem};

use crate::ports::{EventStore, ServiceError};

/// Writes items to one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbStore {
    client: Client,
    table: String,
}

impl DynamoDbStore {
    /// A store writing to `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

/// The DynamoDB attributes of an item (the layout of [`StoredItem::for_each_attribute`]).
pub fn item_attributes(item: &StoredItem<'_>) -> HashMap<String, AttributeValue> {
    let mut map = HashMap::with_capacity(24);
    item.for_each_attribute(|name, value| {
        let v = match value {
            AttrValue::S(s) => AttributeValue::S(s.to_string()),
            AttrValue::Text(s) => AttributeValue::S(s),
            AttrValue::Int(n) => AttributeValue::N(n.to_string()),
            AttrValue::Float(f) => AttributeValue::N(f.to_string()),
            AttrValue::Extra(fields) => AttributeValue::M(
                fields
                    .iter()
                    .map(|(k, raw)| {
                        let value = serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null);
                        (k.to_string(), json_to_attribute(value))
                    })
                    .collect(),
            ),
        };
        map.insert(name.to_string(), v);
    });
    map
}

fn json_to_attribute(v: serde_json::Value) -> AttributeValue {
    use serde_json::Value;
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(a) => AttributeValue::L(a.into_iter().map(json_to_attribute).collect()),
        Value::Object(o) => AttributeValue::M(o.into_iter().map(|(k, v)| (k, json_to_attribute(v))).collect()),
    }
}

fn key_of(request: &WriteRequest) -> Option<(&str, &str)> {
    let item = request.put_request()?.item();
    let user = item.get(attr::USER_ID)?.as_s().ok()?;
    let key = item.get(attr::EVENT_KEY)?.as_s().ok()?;
    Some((user.as_str(), key.as_str()))
}

impl EventStore for DynamoDbStore {
    async fn put_batch(&self, items: &[&StoredItem<'_>]) -> Result<Vec<usize>, ServiceError> {
        let requests = items
            .iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item_attributes(item)))
                    .build()
                    .map_err(|e| ServiceError::Rejected(e.to_string()))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        let out = self
            .client
            .batch_write_item()
            .request_items(&self.table, requests)
            .send()
            .await
            .map_err(super::classify)?;
        let Some(left) = out.unprocessed_items().and_then(|m| m.get(&self.table)) else {
            return Ok(Vec::new());
        };
        // DynamoDB returns the unprocessed requests themselves; find them by key.
        Ok(left
            .iter()
            .filter_map(key_of)
            .filter_map(|(user, key)| items.iter().position(|i| i.user_id == user && i.event_key() == key))
            .collect())
    }
}
