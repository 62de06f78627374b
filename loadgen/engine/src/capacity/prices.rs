//! Prices the planner uses, in one table with the date they were taken.
//!
//! Source: `docs/aws-quotas.md` (us-east-1, the AWS pricing pages, gathered 2026; DynamoDB
//! on-demand after the November 2024 price cut). Prices change: `loadgen plan --prices FILE` replaces any
//! of them with a JSON object using the same field names.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Hours in a billing month (AWS's convention).
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Seconds in a billing month.
pub const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;

/// Unit prices in US dollars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    /// When and where the prices were taken.
    pub source: String,
    /// Kinesis provisioned: per shard-hour.
    pub kinesis_shard_hour: f64,
    /// Kinesis provisioned: per million PUT payload units (25 KB each).
    pub kinesis_put_units_per_million: f64,
    /// Kinesis on-demand: per stream-hour.
    pub kinesis_on_demand_stream_hour: f64,
    /// Kinesis on-demand: per GB written (records rounded up to 1 KB).
    pub kinesis_on_demand_gb_written: f64,
    /// Kinesis on-demand: per GB read.
    pub kinesis_on_demand_gb_read: f64,
    /// Lambda: per million requests.
    pub lambda_requests_per_million: f64,
    /// Lambda arm64: per GB-second.
    pub lambda_gb_second_arm64: f64,
    /// Lambda x86_64: per GB-second.
    pub lambda_gb_second_x86_64: f64,
    /// DynamoDB on-demand: per million write request units.
    pub dynamodb_write_units_per_million: f64,
    /// DynamoDB provisioned: per WCU-hour.
    pub dynamodb_wcu_hour: f64,
    /// DynamoDB: per GB-month stored.
    pub dynamodb_storage_gb_month: f64,
    /// Kinesis enhanced fan-out: per consumer-shard-hour.
    pub kinesis_efo_consumer_shard_hour: f64,
    /// Kinesis enhanced fan-out: per GB retrieved.
    pub kinesis_efo_gb_retrieved: f64,
    /// CloudWatch Logs: per GB ingested (standard class).
    pub cloudwatch_logs_gb_ingested: f64,
    /// CloudWatch Logs: per GB-month stored.
    pub cloudwatch_logs_gb_month: f64,
    /// CloudWatch: per custom metric per month (EMF metrics are custom metrics).
    pub cloudwatch_metric_month: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Self {
            source: "us-east-1, docs/aws-quotas.md (2026)".into(),
            kinesis_shard_hour: 0.015,
            kinesis_put_units_per_million: 0.014,
            kinesis_on_demand_stream_hour: 0.04,
            kinesis_on_demand_gb_written: 0.08,
            kinesis_on_demand_gb_read: 0.04,
            lambda_requests_per_million: 0.20,
            lambda_gb_second_arm64: 0.000_013_333_4,
            lambda_gb_second_x86_64: 0.000_016_666_7,
            dynamodb_write_units_per_million: 0.625,
            dynamodb_wcu_hour: 0.000_65,
            dynamodb_storage_gb_month: 0.25,
            kinesis_efo_consumer_shard_hour: 0.015,
            kinesis_efo_gb_retrieved: 0.013,
            cloudwatch_logs_gb_ingested: 0.50,
            cloudwatch_logs_gb_month: 0.03,
            cloudwatch_metric_month: 0.30,
        }
    }
}

/// How far past the built-in price a prices file may go (regional prices differ from
/// us-east-1's by well under 2×).
pub const MAX_PRICE_FACTOR: f64 = 1000.0;

impl Prices {
    /// The defaults with any field of the JSON object in `path` replacing its own: each a
    /// finite number of dollars from 0 to [`MAX_PRICE_FACTOR`] times the built-in one.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the prices file {}: {e}", path.display()))?;
        let mut prices: Prices = serde_json::from_str(&text).map_err(|e| {
            format!("the prices file {} is not a JSON object of known price fields: {e}", path.display())
        })?;
        // Every price a finite amount of zero or more dollars, named when it is not.
        // Nor far past the built-in price: a figure a thousand times AWS's is a unit
        // mistake (cents, per second), and the plan would print it as a fact.
        let fields = serde_json::to_value(&prices).map_err(|e| e.to_string())?;
        let built_in = serde_json::to_value(Prices::default()).map_err(|e| e.to_string())?;
        for (name, value) in fields.as_object().into_iter().flatten() {
            if let Some(v) = value.as_f64() {
                if !v.is_finite() || v < 0.0 {
                    return Err(format!(
                        "the prices file {} sets {name} to {v}: a price is 0 or more dollars",
                        path.display()
                    ));
                }
                let reference = built_in[name.as_str()].as_f64().unwrap_or(f64::INFINITY);
                if v > reference * MAX_PRICE_FACTOR {
                    return Err(format!(
                        "the prices file {} sets {name} to {v:e}, more than {MAX_PRICE_FACTOR} times the built-in {reference}: check its unit (dollars, per the field's name)",
                        path.display()
                    ));
                }
            }
        }
        // A file that does not name its source is still not the built-in table.
        if prices.source == Prices::default().source {
            prices.source = format!("{} over the built-in {}", path.display(), Prices::default().source);
        }
        Ok(prices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("loadgen-prices-{}-{name}.json", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_price_file_replaces_prices_and_names_itself() {
        let path = file("ok", r#"{"kinesis_shard_hour": 0.02}"#);
        let p = Prices::from_file(&path).unwrap();
        assert_eq!(p.kinesis_shard_hour, 0.02);
        assert_eq!(p.lambda_requests_per_million, Prices::default().lambda_requests_per_million);
        assert!(p.source.starts_with(&path.display().to_string()), "{}", p.source);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn negative_prices_are_refused_by_name() {
        let path = file("negative", r#"{"dynamodb_wcu_hour": -1}"#);
        let e = Prices::from_file(&path).unwrap_err();
        assert!(e.contains("dynamodb_wcu_hour to -1"), "{e}");
        let _ = std::fs::remove_file(path);
    }
}
